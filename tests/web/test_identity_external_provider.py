"""A provider elsewhere, found through VNEID_DISCOVERY_URL: the stub runs as its own server on a local port
(as a real VNeID would run on its own host) and the platform, with its embedded stub switched off, talks to it
over real HTTP. The browser is the Flask test client on the platform and an HTTP client on the provider."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pytest
from flask import Flask
from sqlalchemy import Engine
from werkzeug.serving import BaseWSGIServer, make_server

from lms import create_app
from lms.vneid_stub import create_stub_app
from tests.conftest import Auth
from tests.web.identity import A, CALLBACK, install_registry, user_row
from tests.web.pages import page, vi

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@contextmanager
def serve_stub(tmp_path: Path, registry_file: Path, **config: Any) -> Iterator[str]:
    """The standalone stub served on 127.0.0.1 (any free port); its default client secret comes from the
    same SECRET_KEY as the platform's, as the contract says. Yields its base URL."""
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", **config}
    stub = create_stub_app(str(tmp_path / "provider"), settings)
    install_registry(stub, registry_file)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, stub, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/vneid"
    finally:
        server.shutdown()
        thread.join()
        stub.extensions["vneid"].dispose()


@pytest.fixture
def provider_url(tmp_path: Path, registry_file: Path) -> Iterator[str]:
    with serve_stub(tmp_path, registry_file) as url:
        yield url


def platform(tmp_path: Path, database_url: str, discovery_url: str) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                       "INDEX_DIR": str(tmp_path / "index"), "VNEID_STUB_ENABLED": False,
                       "VNEID_DISCOVERY_URL": discovery_url}, instance_path=str(tmp_path / "platform"))


def test_verification_with_a_provider_on_another_server(provider_url: str, tmp_path: Path, database_url: str,
                                                        clean_db: Engine) -> None:
    """Discovery, authorization, code exchange and keys all come from the other server; the result is the
    same as with the embedded stub."""
    app = platform(tmp_path, database_url, f"{provider_url}/.well-known/openid-configuration")
    assert "vneid.authorize" not in app.view_functions
    client = app.test_client()
    assert Auth(client).register().status_code == 302
    started = client.get("/auth/vneid/verify")
    authorize = started.headers["Location"]
    assert authorize.startswith(f"{provider_url}/authorize?")
    with httpx2.Client(timeout=10) as browser:
        form = CSRF.search(browser.get(authorize).text)
        assert form
        logged_in = browser.post(authorize, data={"id_number": A.id_number, "passcode": A.passcode,
                                                  "login": "Đăng nhập", "csrf_token": form.group(1)})
        assert logged_in.status_code == 303
        consent = CSRF.search(browser.get(authorize).text)
        assert consent
        decided = browser.post(authorize, data={"allow": "x", "csrf_token": consent.group(1)})
    callback = decided.headers["Location"]
    assert callback.startswith(CALLBACK + "?")
    response = client.get(callback)
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert "********" + A.id_number[-4:] in page(client.get("/profile")).text
    user = user_row(clean_db, "an@example.vn")
    assert (user.id_level, user.full_name) == (2, A.name)
    app.extensions["lms_db"].engine.dispose()


def test_an_unreachable_provider_changes_nothing(tmp_path: Path, database_url: str, clean_db: Engine) -> None:
    """No provider at the configured URL: the learner is told VNeID cannot be reached, and stays put."""
    app = platform(tmp_path, database_url, "http://127.0.0.1:9/vneid/.well-known/openid-configuration")
    client = app.test_client()
    assert Auth(client).register().status_code == 302
    started = client.get("/auth/vneid/verify")
    assert started.status_code == 302 and started.headers["Location"] == "/profile"
    assert vi("The VNeID service cannot be reached right now. Nothing was changed. Please try again later.") \
        in page(client.get("/profile")).text
    assert user_row(clean_db, "an@example.vn").person_hash is None
    app.extensions["lms_db"].engine.dispose()


def test_a_discovery_document_for_another_issuer_is_refused(tmp_path: Path, registry_file: Path,
                                                             database_url: str, clean_db: Engine) -> None:
    """The issuer a discovery document names must be the one its URL belongs to (OIDC Discovery §4.3): a
    server at 127.0.0.1 claiming to be https://vneid.example is not used, and nothing changes."""
    with serve_stub(tmp_path, registry_file, VNEID_STUB_ISSUER="https://vneid.example/vneid") as url:
        app = platform(tmp_path, database_url, f"{url}/.well-known/openid-configuration")
        client = app.test_client()
        assert Auth(client).register().status_code == 302
        started = client.get("/auth/vneid/verify")
    assert started.status_code == 302 and started.headers["Location"] == "/profile"
    assert vi("The VNeID service cannot be reached right now. Nothing was changed. Please try again later.") \
        in page(client.get("/profile")).text
    assert user_row(clean_db, "an@example.vn").person_hash is None
    app.extensions["lms_db"].engine.dispose()
