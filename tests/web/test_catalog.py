"""The catalog with its filters, and search with and without Vietnamese diacritics."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import LUA_DAO, VNEID
from tests.web.pages import Node, page, vi

COURSE_LINK = re.compile(r"^/courses/([a-z0-9-]+)/$")
LESSON_LINK = re.compile(r"^/courses/([a-z0-9-]+)/([a-z0-9-]+)$")


def listed(doc: Node) -> set[str]:
    """Slugs of the course cards on a catalog page."""
    slugs = set()
    for card in doc.find_all("li", cls="card"):
        link = card.find("a")
        assert link is not None
        match = COURSE_LINK.match(link.attrs["href"])
        assert match, link.attrs["href"]
        slugs.add(match.group(1))
    return slugs


def _set_front_matter(course_md: Path, key: str, value: str) -> None:
    lines = course_md.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    lines[index] = f"{key}: {value}"
    course_md.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def distinct(app: Flask, runner: Any, content_root: Path) -> Flask:
    """The demo courses with distinct levels and target groups (VNeID: level 3, groups 1 and 3), imported."""
    course_md = content_root / "courses" / VNEID / "course.md"
    _set_front_matter(course_md, "level", "3")
    _set_front_matter(course_md, "target_groups", "[1, 3]")
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    return app


FILTER_CASES: list[tuple[str, set[str]]] = [
    ("", {LUA_DAO, VNEID}),
    ("?domain=4", {LUA_DAO}),  # lừa đảo declares 4.2, 2.1, 1.2
    ("?domain=2", {LUA_DAO, VNEID}),  # both have a competency of domain 2
    ("?domain=6", set()),
    ("?level=2", {LUA_DAO}),
    ("?level=3", {VNEID}),
    ("?level=8", set()),
    ("?group=2", {LUA_DAO}),
    ("?group=3", {LUA_DAO, VNEID}),
    ("?domain=2&level=3&group=1", {VNEID}),
    ("?domain=4&level=3", set()),
    ("?level=abc&group=", {LUA_DAO, VNEID}),  # junk in the query string is ignored, not an error
]


def test_catalog_filters(distinct: Flask, client: FlaskClient) -> None:
    """Domain, level and target-group filters (a plain GET form) narrow the list and stay selected."""
    for query, expected in FILTER_CASES:
        response = client.get(f"/courses{query}")
        assert response.status_code == 200, query
        doc = page(response)
        assert listed(doc) == expected, query
        if not expected:
            assert vi("No course matches these filters yet.") in doc.text
        for name, value in re.findall(r"(domain|level|group)=(\d+)", query):
            select = doc.find("select", name=name)
            assert select is not None
            chosen = [o.attrs.get("value") for o in select.find_all("option") if "selected" in o.attrs]
            assert chosen == [value], (query, name, chosen)


def test_catalog_filter_form_has_labels(demo: Flask, client: FlaskClient) -> None:
    """Every filter control has a label and the form works without JavaScript (method GET, /courses)."""
    doc = page(client.get("/courses"))
    form = doc.find("form", cls="filters")
    assert form is not None and form.attrs.get("method") == "get"
    for select in form.find_all("select"):
        assert doc.find("label", for_=select.attrs["id"]) is not None


def hits(doc: Node) -> list[tuple[str, str]]:
    """(link, snippet text) of each search result, in order."""
    results = doc.find("ol", cls="results")
    if results is None:
        return []
    out = []
    for item in results.find_all("li"):
        link = item.find("a")
        snippet = item.find("p", cls="snippet")
        assert link is not None and snippet is not None
        out.append((link.attrs["href"], snippet.text))
    return out


def test_search_finds_a_lesson_with_or_without_diacritics(published: Flask, client: FlaskClient) -> None:
    """Typing with or without diacritics finds a lesson about passwords; its link opens that lesson."""
    for query in ("an toan mat khau", "mật khẩu", "MẬT KHẨU an toàn", "Mat Khau"):
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        lesson_links = [href for href, _ in hits(page(response)) if LESSON_LINK.match(href)]
        assert lesson_links, f"no lesson found for {query!r}"
        marked = re.findall(r"<mark>([^<]+)</mark>", html)
        assert any(m.lower() in ("mật", "khẩu") for m in marked), (query, marked)
        lesson = client.get(lesson_links[0])
        assert lesson.status_code == 200
        assert "mật khẩu" in page(lesson).text.lower()


def test_search_results_page(published: Flask, client: FlaskClient) -> None:
    """Snippets highlight the words in escaped text, the count is announced, a course title finds the course
    page, and a word found nowhere gives an empty list rather than an error."""
    doc = page(client.get("/search", query_string={"q": "an toan mat khau"}))
    snippet = doc.find("p", cls="snippet")
    assert snippet is not None and snippet.find_all("mark")
    assert all(child.tag == "mark" for child in snippet.children if not isinstance(child, str))

    doc = page(client.get("/search", query_string={"q": "mật khẩu"}))
    status = doc.find("p", role="status")
    assert status is not None and str(len(hits(doc))) in status.text and "mật khẩu" in status.text

    doc = page(client.get("/search", query_string={"q": "nhan dien lua dao truc tuyen"}))
    assert f"/courses/{LUA_DAO}/" in [href for href, _ in hits(doc)]

    response = client.get("/search", query_string={"q": "xylophonequark"})
    assert response.status_code == 200
    assert hits(page(response)) == []


def test_search_escapes_html_and_ignores_operators(published: Flask, client: FlaskClient) -> None:
    """HTML typed into the search box comes back escaped; query syntax is treated as plain words."""
    queries = ('<script>alert(1)</script> mật khẩu', '"><img src=x onerror=alert(1)>',
               "title:OTP OR body:* AND (")
    for query in queries:
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200, query
        html = response.get_data(as_text=True)
        assert "<script" not in html
        assert "<img src=x" not in html
        doc = page(response)
        box = doc.find("input", id="q")
        assert box is not None and box.attrs.get("value") == query.strip()
        status = doc.find("p", role="status")
        assert status is not None and query.strip() in status.text
