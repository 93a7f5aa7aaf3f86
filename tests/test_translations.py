"""The Vietnamese translation of the interface: complete for the current source, placeholder-safe, compiled,
and actually served (Vietnamese by default, English on request)."""
from __future__ import annotations

import re
from collections import Counter
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token

REPO = Path(__file__).resolve().parent.parent
TRANSLATIONS = REPO / "lms" / "translations"
VI_PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
VI_MO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.mo"
# A printf-style conversion as Python's `%` operator reads it: `%(name)s`, `%d`, `%%`, ...
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages in the current source, extracted exactly as docs/i18n.md tells developers to."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "--quiet", "extract", "-F", str(REPO / "lms" / "babel.cfg"), "-k", "_l",
        "-o", str(pot), "--no-location", "--sort-output", str(REPO / "lms"),
    ])
    return _read_po(pot)


@pytest.fixture(scope="module")
def vi() -> Catalog:
    return _read_po(VI_PO)


def _strings(message: Message) -> list[str]:
    """Every translated form of `message` (one for a singular, msgstr[0..n] for a plural)."""
    if isinstance(message.string, (tuple, list)):
        return list(message.string)
    return [message.string]


def _label(message_id: Any) -> str:
    return repr(message_id[0] if isinstance(message_id, (tuple, list)) else message_id)


def test_extraction_finds_the_interface(extracted: Catalog) -> None:
    """Extraction reads both the Python code and the templates, so the completeness test is meaningful."""
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted if m.id}
    assert {"Log in", "Skip to main content", "Please log in to continue.", "Commune or ward"} <= ids
    assert len(ids) > 100


def test_every_source_string_has_a_vietnamese_translation(extracted: Catalog, vi: Catalog) -> None:
    """Each msgid in the source has a non-empty, non-fuzzy Vietnamese msgstr; failures name the strings."""
    missing, fuzzy = [], []
    for message in extracted:
        if not message.id:
            continue
        translated = vi.get(message.id)
        if translated is None or not all(s.strip() for s in _strings(translated)):
            missing.append(_label(message.id))
        elif translated.fuzzy:
            fuzzy.append(_label(message.id))
    assert not (missing or fuzzy), (
        "vi/messages.po is not complete; follow docs/i18n.md (extract, update, translate, compile)."
        + "".join(f"\n  untranslated: {m}" for m in missing) + "".join(f"\n  fuzzy: {m}" for m in fuzzy))


def test_catalog_has_vietnamese_plural_rule(vi: Catalog) -> None:
    """Vietnamese has one plural form, and every plural entry fills exactly msgstr[0]."""
    assert vi.num_plurals == 1
    assert vi.plural_expr == "0"
    plurals = [m for m in vi if m.pluralizable]
    assert plurals, "expected ngettext entries in the catalog"
    for message in plurals:
        assert len(_strings(message)) == 1, _label(message.id)


def test_placeholders_are_kept(vi: Catalog) -> None:
    """Each msgstr carries the same %(name)s placeholders and %% escapes as its msgid."""
    wrong = []
    for message in vi:
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, (tuple, list)) else message.id
        expected = Counter(PLACEHOLDER.findall(source))
        for string in _strings(message):
            got = Counter(PLACEHOLDER.findall(string))
            if got != expected:
                wrong.append(f"{_label(message.id)}: expected {sorted(expected.elements())}, "
                             f"got {sorted(got.elements())} in {string!r}")
    assert not wrong, "placeholders differ:\n  " + "\n  ".join(wrong)


def test_committed_mo_matches_po(vi: Catalog) -> None:
    """The committed messages.mo holds exactly what compiling messages.po gives (run `pybabel compile`)."""
    buffer = BytesIO()
    write_mo(buffer, vi)
    buffer.seek(0)
    fresh = read_mo(buffer)
    with VI_MO.open("rb") as f:
        committed = read_mo(f)

    def messages(catalog: Catalog) -> dict[Any, Any]:
        def key(value: Any) -> Any:
            return tuple(value) if isinstance(value, (tuple, list)) else value
        return {key(m.id): key(m.string) for m in catalog if m.id}

    assert messages(fresh), "compiling messages.po gave no messages"
    assert messages(committed) == messages(fresh), "messages.mo is stale: run pybabel compile (docs/i18n.md)"


@pytest.mark.parametrize("url", ["/", "/courses"])
def test_pages_are_vietnamese_by_default(published: Flask, client: FlaskClient, url: str) -> None:
    """Without a choice, pages are in Vietnamese: html lang, header and navigation."""
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="vi">' in page
    assert response.headers["Content-Language"] == "vi"
    for text in ("Đăng nhập", "Đăng ký", "Bỏ qua, đến nội dung chính", "Khóa học"):
        assert text in page
    assert ">Log in<" not in page


@pytest.mark.parametrize("url", ["/", "/courses"])
def test_pages_switch_to_english(published: Flask, client: FlaskClient, url: str) -> None:
    """After POST /lang lang=en, the same pages come in English, and the choice can be undone."""
    response = client.post("/lang", data={"lang": "en", "next": url, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert '<html lang="en">' in page
    for text in (">Log in<", ">Register<", "Skip to main content", ">Courses<"):
        assert text in page
    assert "Đăng nhập" not in page

    client.post("/lang", data={"lang": "vi", "next": url, "csrf_token": csrf_token(client, url)})
    assert "Đăng nhập" in client.get(url).get_data(as_text=True)


def test_form_errors_are_vietnamese(app: Flask, client: FlaskClient) -> None:
    """Lazy (`_l`) validation messages resolve to Vietnamese at request time."""
    token = csrf_token(client, "/login")
    page = client.post("/login", data={"login": "", "password": "", "csrf_token": token})
    text = page.get_data(as_text=True)
    assert "Vui lòng nhập email hoặc số điện thoại." in text
    assert "Vui lòng nhập mật khẩu." in text
