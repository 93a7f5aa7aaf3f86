"""Fixtures for the platform as a VNeID client (imported by tests/web/conftest.py): the embedded stub with a
small seeded registry, and `Vneid`, a person walking the real pages (profile or login button → the stub's
login and consent pages → callback) with the Flask test client."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from lms.models import User
from lms.vneid_stub import registry as stub_registry
from lms.vneid_stub.registry import DemoCitizen
from tests.conftest import Auth, csrf_token
from tests.vneid.support import install_registry, write_cheap_registry
from tests.web.pages import page, vi

A, B, C = stub_registry.demo_citizens()
CALLBACK = "http://localhost/auth/vneid/callback"


@pytest.fixture(scope="session")
def registry_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo citizens and a few random ones; a cheap PBKDF2 passcode hash keeps the many logins fast."""
    return write_cheap_registry(tmp_path_factory.mktemp("registry_file") / "registry.json", 5, 3)


@pytest.fixture
def vneid_app(app: Flask, registry_file: Path) -> Iterator[Flask]:
    """The platform with its embedded stub serving the seeded registry."""
    install_registry(app, registry_file)
    yield app
    app.extensions["vneid"].dispose()


class Vneid:
    """One browser going through VNeID: `verify(A)` from the profile, `login(A)` from the login page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def follow(self, url: str, *labels: str) -> str:
        """Follow the link labelled with one of `labels` on the page at `url`; returns where it redirects
        (the stub's authorization URL)."""
        texts = {vi(label) for label in labels}
        links = [a for a in page(self.client.get(url)).find_all("a") if a.text in texts]
        assert len(links) == 1, f"no single {labels} link on {url}"
        response = self.client.get(links[0].attrs["href"])
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return str(response.headers["Location"])

    def start_verify(self) -> str:
        """Follow "Verify with VNeID" (or "Verify again") on the profile."""
        return self.follow("/profile", "Verify with VNeID", "Verify again with VNeID")

    def start_login(self) -> str:
        """Follow "Log in with VNeID" on the login page."""
        return self.follow("/login", "Log in with VNeID")

    def at_stub(self, url: str, citizen: DemoCitizen | Any, decision: str = "allow") -> str:
        """Log in at the stub as `citizen`, then press "Đồng ý" (allow) or "Từ chối" (deny); returns the
        callback URL the stub redirects to."""
        assert urlsplit(url).path == "/vneid/authorize", url
        token = csrf_token(self.client, url)
        logged_in = self.client.post(url, data={"id_number": citizen.id_number, "passcode": citizen.passcode,
                                                "login": "Đăng nhập", "csrf_token": token})
        assert logged_in.status_code == 303, logged_in.get_data(as_text=True)[:500]
        decided = self.client.post(url, data={decision: "x", "csrf_token": csrf_token(self.client, url)})
        assert decided.status_code == 302, decided.get_data(as_text=True)[:500]
        location = str(decided.headers["Location"])
        assert location.startswith(CALLBACK + "?"), location
        return location

    def callback(self, url: str) -> TestResponse:
        return self.client.get(url)

    def verify(self, citizen: DemoCitizen | Any, decision: str = "allow") -> TestResponse:
        """The whole verification from the profile; returns the callback's response."""
        return self.callback(self.at_stub(self.start_verify(), citizen, decision))

    def login(self, citizen: DemoCitizen | Any, decision: str = "allow") -> TestResponse:
        return self.callback(self.at_stub(self.start_login(), citizen, decision))


@pytest.fixture
def vneid(vneid_app: Flask, client: FlaskClient) -> Vneid:
    return Vneid(client)


@pytest.fixture
def learner(vneid_app: Flask, auth: Auth) -> Auth:
    """A registered, logged-in learner (an@example.vn, Hà Nội / Phường Hoàn Kiếm), not verified."""
    response = auth.register()
    assert response.status_code == 302
    return auth


def user_row(engine: Engine, login: str | None = None, **where: Any) -> User:
    """A detached copy of the user with this e-mail (or matching `where`)."""
    with Session(engine, expire_on_commit=False) as s:
        query = select(User).where(User.email == login) if login else select(User).filter_by(**where)
        user = s.scalars(query).one()
        s.expunge(user)
        return user


def snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    """Every user row as plain values, to show that a refused flow changed nothing."""
    with Session(engine) as s:
        columns = list(User.__table__.columns)
        return [tuple(row) for row in s.execute(select(*columns).order_by(User.id))]
