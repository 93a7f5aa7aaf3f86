"""Site-wide behaviour: friendly error pages, the health check, language choice, security headers and the
sanitizing of lesson Markdown."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Auth
from tests.web.conftest import LUA_DAO, attempt_id, live_quiz
from tests.web.pages import html_lang, page, vi


def assert_error_page(response: Any, code: int, title_msgid: str) -> None:
    """The friendly error page: right status, translated title, the code, a way home, the site's layout."""
    assert response.status_code == code
    assert response.mimetype == "text/html"
    doc = page(response)
    assert html_lang(doc) == "vi"
    h1 = doc.find("h1")
    assert h1 is not None and h1.text == vi(title_msgid)
    assert f"{vi('Error code')}: {code}" in doc.text
    assert doc.find("a", href="/") is not None
    assert doc.find("nav") is not None  # the normal header and menu, not a bare error
    assert "Traceback" not in response.get_data(as_text=True)


def test_404_page(client: FlaskClient) -> None:
    """An unknown address gets the friendly 404 page."""
    assert_error_page(client.get("/khong-co-trang-nay"), 404, "Page not found")


def test_405_page(client: FlaskClient) -> None:
    """A GET on a POST-only address (and a POST on a GET-only one) gets the friendly 405 page."""
    assert_error_page(client.get("/logout"), 405, "This action is not allowed here")
    assert_error_page(client.get("/lang"), 405, "This action is not allowed here")


def test_403_page(demo: Flask, auth: Auth, other_auth: Auth, other_client: FlaskClient,
                  post_form: Callable[..., Any], clean_db: Any) -> None:
    """Opening another learner's quiz attempt gets the friendly 403 page."""
    auth.register()
    slug, _ = live_quiz(clean_db, LUA_DAO)
    show = f"/courses/{LUA_DAO}/quiz/{slug}"
    attempt = attempt_id(post_form(f"{show}/start", page=show))
    other_auth.register(email="binh@example.vn")
    assert_error_page(other_client.get(f"/attempts/{attempt}"), 403, "You do not have access to this page")


def test_500_page_is_friendly(app: Flask, client: FlaskClient) -> None:
    """An unexpected exception shows the friendly 500 page (not a traceback) and is logged."""
    app.config["FRIENDLY_ERRORS_IN_TESTS"] = True

    def boom() -> str:
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/test-boom", "test_boom", boom)
    response = client.get("/test-boom")
    assert_error_page(response, 500, "Something went wrong on our side")
    assert "secret internal detail" not in response.get_data(as_text=True)


def test_healthz(client: FlaskClient) -> None:
    """The load balancer's health check answers 200 with a small JSON body."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_no_benchmark_route_in_the_app(client: FlaskClient) -> None:
    """The benchmark's baseline is a separate app (bench/bare_app.py): the platform has no /bench/bare."""
    assert client.get("/bench/bare").status_code == 404


def test_default_language_is_vietnamese(client: FlaskClient) -> None:
    """Without a choice the interface is Vietnamese, with a button to switch to English."""
    response = client.get("/")
    doc = page(response)
    assert html_lang(doc) == "vi"
    assert response.headers["Content-Language"] == "vi"
    button = doc.find("button", name="lang")
    assert button is not None and button.attrs["value"] == "en"


def test_switch_to_english_and_back(demo: Flask, client: FlaskClient, post_form: Callable[..., Any]) -> None:
    """The language form switches the UI to English, returns to the same page, and switches back."""
    course = f"/courses/{LUA_DAO}/"
    assert vi("Syllabus") in page(client.get(course)).text
    response = post_form("/lang", {"lang": "en", "next": course}, page=course)
    assert response.status_code == 302 and response.headers["Location"].endswith(course)
    english = client.get(course)
    doc = page(english)
    assert html_lang(doc) == "en"
    assert english.headers["Content-Language"] == "en"
    assert "Syllabus" in doc.text  # the English msgid, whatever the Vietnamese catalog says
    login = page(client.get("/login"))
    assert html_lang(login) == "en" and login.find("h1").text == "Log in"  # type: ignore[union-attr]
    post_form("/lang", {"lang": "vi", "next": "/"}, page="/")
    assert html_lang(page(client.get("/"))) == "vi"


def test_language_choice_survives_login(demo: Flask, client: FlaskClient, auth: Auth,
                                        post_form: Callable[..., Any]) -> None:
    """A visitor who chose English keeps it after registering, logging out and logging in."""
    post_form("/lang", {"lang": "en", "next": "/"}, page="/")
    auth.register()
    assert html_lang(page(client.get("/me"))) == "en"
    auth.logout()
    auth.login()
    assert html_lang(page(client.get("/me"))) == "en"


def test_language_form_refuses_foreign_targets(client: FlaskClient, post_form: Callable[..., Any]) -> None:
    """An unknown language is ignored and `next` never leads off the site."""
    response = post_form("/lang", {"lang": "xx", "next": "//evil.example/"}, page="/")
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert html_lang(page(client.get("/"))) == "vi"


def test_security_headers(demo: Flask, client: FlaskClient, auth: Auth) -> None:
    """Pages carry a strict CSP and the usual hardening headers; logged-in pages are not cached."""
    response = client.get(f"/courses/{LUA_DAO}/")
    csp = response.headers.get("Content-Security-Policy", "")
    directives = ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'")
    for directive in directives:
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    auth.register()
    private = client.get("/me")
    assert "no-store" in private.headers.get("Cache-Control", "")
    assert "Content-Security-Policy" in private.headers


HOSTILE = """---
title: Bài thử nghiệm an toàn
---
Nội dung bình thường của bài học.

<script>alert("xss")</script>

<p onclick="alert('click')" onmouseover="steal()">Đoạn văn có thuộc tính sự kiện.</p>

<a href="javascript:alert('link')">Bấm vào đây</a>

<a href="JaVaScRiPt:alert(2)">Liên kết viết hoa</a>
<a href=" jav&#x61;script:alert(3)">Liên kết mã hóa</a>

<img src="x" onerror="alert('img')" alt="ảnh hỏng">

<iframe src="https://evil.example/embed"></iframe>

<iframe src="https://www.youtube-nocookie.com/embed/abc123" title="Video hướng dẫn"></iframe>

<svg onload="alert(1)"><circle r="5"/></svg>

<style>body { display: none }</style>

<form action="https://evil.example/"><input name="otp"></form>
"""


def test_lesson_markdown_is_sanitized(app: Flask, runner: Any, content_root: Path,
                                      client: FlaskClient) -> None:
    """A lesson with script, event handlers, javascript: links, forms and foreign iframes is imported with all
    of them removed, while its text and an allowed video iframe survive."""
    (content_root / "courses" / LUA_DAO / "09-thu-nghiem-an-toan.md").write_text(HOSTILE, encoding="utf-8")
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    response = client.get(f"/courses/{LUA_DAO}/thu-nghiem-an-toan")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    lowered = html.lower()
    prose = page(response).find("div", cls="prose")
    assert prose is not None
    assert "Nội dung bình thường của bài học." in prose.text  # the harmless text survived
    assert "Đoạn văn có thuộc tính sự kiện." in prose.text and "Bấm vào đây" in prose.text
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert not any(k.startswith("on") for n in prose.iter() for k in n.attrs)
    assert "onclick" not in lowered and "onerror" not in lowered and "onload" not in lowered
    assert "<style" not in lowered
    assert prose.find("form") is None and prose.find("input") is None and prose.find("svg") is None
    iframes = prose.find_all("iframe")
    assert [f.attrs.get("src") for f in iframes] == ["https://www.youtube-nocookie.com/embed/abc123"]
    assert "evil.example" not in html
    links = prose.find_all("a")
    safe = ("http", "/", "#", "mailto:", "tel:")
    assert all(a.attrs.get("href", "").startswith(safe) or "href" not in a.attrs for a in links)
