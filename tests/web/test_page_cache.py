"""The lesson page cache (web/page_cache.py): a cached page is byte for byte the page rendering gives (CSRF
tokens aside, which differ per request), for every kind of reader, and its token is the reader's own."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from lms.web import page_cache
from tests.conftest import Auth, csrf_token
from tests.web.conftest import LUA_DAO
from tests.web.pages import flashes, page
from tests.web.test_lessons import syllabus

TOKEN = re.compile(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]+(")')


def _masked(html: str) -> str:
    return TOKEN.sub(r"\1TOKEN\2", html)


def _three(app: Flask, client: FlaskClient, url: str) -> tuple[str, str, str]:
    """The page rendered with the cache off, then through the cache twice (a miss, then a hit)."""
    pages = page_cache.lesson_pages(app)
    size = pages.size
    pages.size = 0
    try:
        reference = client.get(url)
    finally:
        pages.size = size
    first, second = client.get(url), client.get(url)
    for reply in (reference, first, second):
        assert reply.status_code == 200, (url, reply.status_code)
    return reference.get_data(as_text=True), first.get_data(as_text=True), second.get_data(as_text=True)


def _same(app: Flask, client: FlaskClient, url: str) -> str:
    reference, first, second = _three(app, client, url)
    for cached in (first, second):
        assert page_cache.CSRF_MARK not in cached and page_cache.PATH_MARK not in cached
        assert _masked(cached) == _masked(reference), url
    return second


def test_cached_lesson_pages_are_the_rendered_pages(demo: Flask, client: FlaskClient, auth: Auth,
                                                    clean_db: Engine) -> None:
    """Anonymous and logged in, not done and done, Vietnamese and English, with a query string that needs
    escaping: the page through the cache equals the page rendered for that request."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    first, second = (f"/courses/{LUA_DAO}/{s}" for s in slugs[:2])
    tricky = first + "?a=<b>&c=\"d'&e=%26amp;"
    _same(demo, client, first)
    html = _same(demo, client, tricky)
    assert 'name="next" value="' + first + "?a=&lt;b&gt;&amp;c=&#34;d&#39;&amp;e=%26amp;\"" in html  # escaped
    auth.register()
    client.get("/")  # the welcome message
    for url in (first, tricky, second):
        _same(demo, client, url)
    token = csrf_token(client, first)
    done = client.post(f"{first}/done", data={"csrf_token": token})
    assert done.status_code == 302
    client.get(done.headers["Location"])  # the page with the flash message
    html = _same(demo, client, first)  # now done
    assert "mark_done" not in html and f"{first}/done" not in html
    client.post("/lang", data={"lang": "en", "next": first, "csrf_token": csrf_token(client, first)})
    html = _same(demo, client, first)
    assert '<html lang="en">' in html
    assert len(page_cache.lesson_pages(demo)) >= 5


def test_the_token_on_a_cached_page_is_the_readers_own(demo: Flask, client: FlaskClient, auth: Auth,
                                                       other_client: FlaskClient, other_auth: Auth,
                                                       clean_db: Engine) -> None:
    """Two readers of the same lesson get the same cached page with their own tokens: each token works for
    its reader only."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    url = f"/courses/{LUA_DAO}/{slugs[0]}"
    auth.register()
    other_auth.register(email="binh@example.vn")
    client.get("/"), other_client.get("/")  # the welcome messages
    mine, theirs = csrf_token(client, url), csrf_token(other_client, url)
    assert len(page_cache.lesson_pages(demo)) == 1  # one page, two readers
    assert client.post(f"{url}/done", data={"csrf_token": theirs}).status_code == 400
    assert client.post(f"{url}/done", data={"csrf_token": mine}).status_code == 302


def test_a_page_with_a_message_is_not_kept(demo: Flask, client: FlaskClient, auth: Auth,
                                           clean_db: Engine) -> None:
    """The flash message after "mark as done" is shown once, and the page kept for others never holds it."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    first, second = (f"/courses/{LUA_DAO}/{s}" for s in slugs[:2])
    auth.register()
    client.get("/")  # the welcome message
    client.get(second)
    kept = len(page_cache.lesson_pages(demo))
    reply = client.post(f"{first}/done", data={"csrf_token": csrf_token(client, first)})
    assert reply.headers["Location"].endswith(second)
    with_message = page(client.get(second))
    assert flashes(with_message)
    assert len(page_cache.lesson_pages(demo)) == kept + 1  # the first lesson (now done) only
    assert not flashes(page(client.get(second)))
