"""Issue 9, section 2: ending a session takes effect on every server at once. Logins are rows in the shared
database (docs/security.md), so two app processes over one database: a login made on one server is honoured
by the other (they share the secret key), and logging out, or signing out everywhere, on one server ends it on
the other for the very next request."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests import factories
from tests.web.cluster import Browser, Server


@pytest.fixture
def pair(app: Flask, tmp_path: Path, clean_db: Engine) -> Iterator[tuple[Server, Server]]:
    with Session(clean_db) as s:
        factories.make_user(s, "an@example.vn")
    servers = (Server(app, "one", tmp_path), Server(app, "two", tmp_path))
    yield servers
    for server in servers:
        server.stop()


def _signed_in(browser: Browser, server: Server) -> bool:
    status, _, headers = browser.open(server.url + "/me")
    assert status in (200, 302), status
    return status == 200 and "login" not in headers.get("Location", "")


def test_logout_on_one_server_ends_the_login_on_the_other(pair: tuple[Server, Server]) -> None:
    one, two = pair
    browser = Browser()
    assert browser.post_form(one, "/login", {"login": "an@example.vn", "password": factories.PASSWORD}) == 302
    assert _signed_in(browser, one) and _signed_in(browser, two)  # one cluster, one login
    copied = Browser()  # the same cookies in another browser (a stolen copy)
    for cookie in browser.jar:
        copied.jar.set_cookie(cookie)
    assert _signed_in(copied, two)
    assert browser.post_form(one, "/logout", {}, page="/courses") == 302
    assert not _signed_in(copied, two)  # ended on the other server too, copies included
    assert not _signed_in(browser, two)


def test_sign_out_everywhere_on_one_server_reaches_the_other(pair: tuple[Server, Server]) -> None:
    one, two = pair
    phone, laptop = Browser("198.51.100.2"), Browser("198.51.100.3")
    for browser, server in ((phone, one), (laptop, two)):
        assert browser.post_form(server, "/login", {"login": "an@example.vn", "password": factories.PASSWORD}) == 302
    assert _signed_in(laptop, two)
    assert phone.post_form(one, "/profile/sessions/end", {}, page="/profile") in (302, 303)
    assert not _signed_in(laptop, two)
    assert not _signed_in(laptop, one)
