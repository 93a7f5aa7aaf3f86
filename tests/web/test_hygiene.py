"""Input and transport hygiene (issue 6, points 6, 9-12): the Host header never reaches a URL we sign,
`next` never leaves the site, no input gives a 500, text fields refuse invisible and control characters, and
the cookie, header and session settings."""
from __future__ import annotations

import json

import re
import unicodedata
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.models import Certificate, User
from tests.web.test_certificates import SCAM, finish_course_on_the_site, verify_account
from tests.conftest import Auth, csrf_token
from tests.web.pages import field_error, page, vi

EVIL = "evil.example"


# --- 6. the Host header --------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"Host": EVIL}, {"Host": f"{EVIL}:8080"}])
def test_an_unknown_host_is_refused_with_a_friendly_page(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/courses", headers=headers)
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)
    assert EVIL not in response.get_data(as_text=True)


def test_certificate_urls_come_from_the_public_url_only(published: Flask, client: FlaskClient, auth: Auth,
                                                        post_form: Callable[..., Any], clean_db: Engine) -> None:
    """With the host check relaxed, a quiz submit sent to another Host (or X-Forwarded-Host) still signs
    PUBLIC_URL into the certificate: issuer, id, status and keys URLs, and the QR link."""
    published.config["TRUSTED_HOSTS"] = None
    original_open = client.open
    client.open = lambda *args, **kwargs: original_open(  # type: ignore[method-assign]
        *args, **{**kwargs, "base_url": f"http://{EVIL}", "headers": {"X-Forwarded-Host": EVIL}})
    try:
        auth.register()
        verify_account(clean_db, "an@example.vn", 31)
        finish_course_on_the_site(client, post_form, clean_db, SCAM)
        with Session(clean_db) as s:
            cert = s.scalars(select(Certificate)).one()
            number, stored = cert.number, repr([getattr(cert, c.key) for c in Certificate.__table__.columns])
        document = client.get(f"/certificates/{number}.json").get_data(as_text=True)
        html = client.get(f"/certificates/{number}").get_data(as_text=True)
    finally:
        client.open = original_open  # type: ignore[method-assign]
    for text in (document, html, stored):
        assert EVIL not in text
    credential = json.loads(document)
    assert credential["id"].startswith("http://localhost/") and credential["issuer"]["id"].startswith("http://localhost")
    assert credential["credentialStatus"]["statusListCredential"].startswith("http://localhost/status/revocation/")
    assert "http://localhost/verify/" in html


# --- 9. next never leaves the site -----------------------------------------------------------------------------

OPEN_REDIRECTS = ["//evil.example", "/%09/evil.example", "/\t/evil.example", "/%5Cevil.example",
                  "/\\evil.example", "https://evil.example/", "/%2F/evil.example", " //evil.example",
                  "/%0D%0ALocation:%20http://evil.example", "/\r\nX-Evil: 1", "javascript:alert(1)",
                  "/%E2%80%AE/evil.example", "///evil.example", "\\\\evil.example"]


def _safe(location: str) -> bool:
    return EVIL not in location and not location.startswith("//") and "\\" not in location \
        and "\r" not in location and "\n" not in location and location.startswith("/")


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_next_stays_on_the_site(client: FlaskClient, auth: Auth, target: str) -> None:
    auth.register()
    auth.logout()
    data = {"login": "an@example.vn", "password": "mat-khau-dai-123", "csrf_token": csrf_token(client, "/login")}
    response = client.post("/login", query_string={"next": target}, data=data)
    assert response.status_code == 302 and _safe(response.headers["Location"]), response.headers["Location"]
    assert response.headers["Location"] == "/me"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_register_and_language_next_stay_on_the_site(client: FlaskClient, auth: Auth, target: str) -> None:
    response = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    token = csrf_token(client, "/register")
    data = {"full_name": "Nguyễn Văn An", "email": "an@example.vn", "phone": "", "password": "mat-khau-dai-123",
            "confirm": "mat-khau-dai-123", "target_group": "3", "province": "01", "commune": "00070",
            "csrf_token": token}
    response = client.post("/register", query_string={"next": target}, data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/me"


def test_a_local_next_with_query_is_kept(client: FlaskClient, auth: Auth) -> None:
    response = client.post("/lang", data={"lang": "en", "next": "/search?q=l%E1%BB%ABa", "csrf_token":
                                          csrf_token(client, "/")})
    assert response.headers["Location"] == "/search?q=l%E1%BB%ABa"


# --- 10. no input gives a 500 ----------------------------------------------------------------------------------

def test_login_with_crlf_in_next_is_not_a_500(client: FlaskClient, auth: Auth) -> None:
    auth.register()
    auth.logout()
    data = {"login": "an@example.vn", "password": "mat-khau-dai-123", "csrf_token": csrf_token(client, "/login")}
    response = client.post("/login?next=/courses%0D%0ASet-Cookie:%20x=1", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/me"


def test_every_int_route_answers_404_to_a_huge_number(demo: Flask, client: FlaskClient, auth: Auth) -> None:
    """Every route with an integer part, given a number beyond 64 bits (or a negative one), is a 404 page."""
    auth.register()
    routes = [r for r in demo.url_map.iter_rules() if any(
        type(c).__name__ in ("IntegerConverter", "BoundedIntConverter") for c in r._converters.values())]
    assert routes, "no integer routes found"
    for rule in routes:
        for huge in ("99999999999999999999", str(2**63), str(2**31), "-1"):  # 2**31: past PostgreSQL INTEGER
            url = re.sub(r"<[^>]+>", huge, rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": csrf_token(client, "/courses")} if method == "POST" else None
                response = client.open(url, method=method, data=data)
                assert response.status_code == 404, (method, url, response.status_code)


# --- 11. names and text fields --------------------------------------------------------------------------------

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Lan")


@pytest.mark.parametrize("name", ["Lan\x00", "Lan\u202eadmin", "La\u200bn", "Lan\ufeff", "L" + "\u0301" * 100,
                                  "Lan\u2066x\u2069", "Lan\nAn", "Lan\ue000", "\u3164\u3164", "\u2800\u2800\u2800",
                                  "\u115f\u1160", "\u034f\u034fab", "\u0301\u0301x", "La\ufe0fn"],
                         ids=["nul", "rlo", "zero-width", "bom", "combining", "isolate", "newline", "private",
                              "hangul-filler", "braille-blank", "jamo-fillers", "grapheme-joiner", "leading-mark",
                              "variation-selector"])
def test_names_with_invisible_or_control_characters_are_refused(client: FlaskClient, auth: Auth,
                                                                count: Callable[[type[Any]], int], name: str) -> None:
    response = auth.register(full_name=name)
    assert response.status_code == 200
    assert field_error(page(response), "full_name") == vi(
        "This text contains invisible or control characters. Please type it again.")
    assert count(User) == 0


def test_vietnamese_name_in_nfd_is_stored_in_nfc(client: FlaskClient, auth: Auth, clean_db: Engine) -> None:
    assert auth.register(full_name=NFD_NAME).status_code == 302
    with Session(clean_db) as s:
        assert s.scalars(select(User.full_name)).one() == "Nguyễn Thị Lan"


def test_every_text_field_of_every_form_has_the_filter(app: Flask) -> None:
    """Every StringField or TextAreaField of our forms refuses format characters (no form is forgotten)."""
    from wtforms import StringField

    from lms.web import forms
    from lms.web.helpers import ActionForm  # noqa: F401  (loads every form module through the blueprints)

    from werkzeug.datastructures import MultiDict

    checked = 0
    with app.test_request_context("/"):
        for form_class in _subclasses(forms.Form):
            names = [n for n, f in form_class()._fields.items()
                     if isinstance(f, StringField) and f.type != "PasswordField" and n != "csrf_token"]
            form = form_class(formdata=MultiDict({n: "a\u202eb" for n in names}))
            for name in names:
                assert form[name].process_errors, f"{form_class.__name__}.{name}"
                checked += 1
    assert checked >= 5


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return [c for c in out if not c.__name__.startswith("_")]


def test_identity_names_are_normalised_and_checked() -> None:
    """A name from VNeID goes through the same check: NFC, and refused ("claims") with a format character."""
    from lms.domain.textnorm import clean_text
    from lms.domain.verified_identity import TokenRejected, identity_from_claims

    assert clean_text(NFD_NAME) == "Nguyễn Thị Lan"
    assert clean_text("dòng 1\r\ndòng 2", multiline=True) == "dòng 1\ndòng 2"
    with pytest.raises(ValueError):
        clean_text("Lan\u202e")
    from tests.web.identity import A
    claims = {"vn_personal_id": A.id_number, "name": NFD_NAME, "birthdate": A.birthdate.isoformat(),
              "gender": A.gender, "vn_account_level": 2, "vn_residence": {}}
    assert identity_from_claims(claims).name == "Nguyễn Thị Lan"
    with pytest.raises(TokenRejected, match="claims"):
        identity_from_claims({**claims, "name": "Lan\u202eadmin"})


# --- 12. cookies, headers, CSRF expiry, session rotation -------------------------------------------------------

def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # http://localhost: no HSTS


def test_https_public_url_means_secure_cookies_and_hsts(app: Flask, tmp_path: Any, database_url: str) -> None:
    from lms import create_app

    secure = create_app({"LMS_MODE": "demo", "TESTING": True, "DATABASE_URL": database_url,
                         "SECRET_KEY": "test-secret", "PUBLIC_URL": "https://hocvuso.example.vn",
                         "INDEX_DIR": str(tmp_path / "i2")}, instance_path=str(tmp_path / "instance2"))
    assert secure.config["SESSION_COOKIE_SECURE"] and secure.config["REMEMBER_COOKIE_SECURE"]
    response = secure.test_client().get("/", base_url="https://hocvuso.example.vn")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    secure.extensions["lms_db"].engine.dispose()


def test_csrf_tokens_expire(app: Flask) -> None:
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 12 * 3600


def test_expired_csrf_token_gets_the_reload_page(app: Flask, client: FlaskClient) -> None:
    import time as clock

    token = csrf_token(client, "/login")
    real = clock.time
    try:
        clock.time = lambda: real() + 13 * 3600  # type: ignore[assignment]
        response = client.post("/login", data={"login": "a@b.vn", "password": "x", "csrf_token": token})
    finally:
        clock.time = real  # type: ignore[assignment]
    assert response.status_code == 400
    assert vi("Please go back, reload the page and try again. Nothing was saved.") in response.get_data(as_text=True)


def _session_cookie(response: Any) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return None


def test_session_is_rotated_at_registration(client: FlaskClient, auth: Auth) -> None:
    """Anything put in the session before registering is gone after it (a fresh session), but the language stays."""
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    assert auth.register().status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess.get("lang") == "en" and sess.get("_user_id")


@pytest.mark.parametrize("value", ["\x00", "²", "99999999999999999999", "-1", "%", "\u202e", "a" * 5000, "𝟘"])
def test_query_parameters_never_give_a_500(demo: Flask, client: FlaskClient, value: str) -> None:
    for url in ("/courses", "/search", "/verify", "/"):
        for name in ("level", "domain", "group", "q", "number", "page"):
            response = client.get(url, query_string={name: value})
            assert response.status_code < 500, (url, name, value, response.status_code)


def test_quiz_answers_with_control_characters_are_not_a_500(whole_pool: Flask, client: FlaskClient, auth: Auth,
                                                            post_form: Callable[..., Any], clean_db: Engine) -> None:
    """A NUL or a format character in an answer (PostgreSQL refuses NUL in text and JSON) is dropped, not a 500."""
    from tests.web.conftest import LUA_DAO, answers, attempt_id, live_quiz

    auth.register()
    quiz_slug, _ = live_quiz(clean_db, LUA_DAO)
    show = f"/courses/{LUA_DAO}/quiz/{quiz_slug}"
    attempt = attempt_id(post_form(f"{show}/start", page=show))
    data = {k: (v + "\x00\u202e" if isinstance(v, str) else v) for k, v in answers(clean_db, attempt, True).items()}
    response = post_form(f"/attempts/{attempt}", data=data)
    assert response.status_code == 302
