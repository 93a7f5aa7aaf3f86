"""Fixtures for the VNeID stub: the stub embedded in the platform app or running as its own app, a small
seeded registry, and `Provider`, a relying party that walks the real pages (login, consent) with the Flask
test client and talks to the token and userinfo endpoints like an OIDC client would."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lms.vneid_stub import create_stub_app, default_client_secret
from lms.vneid_stub import registry as stub_registry
from lms.vneid_stub.registry import DemoCitizen
from lms.vneid_stub.state import Stub
from tests.conftest import csrf_token
from tests.vneid.support import install_registry, write_cheap_registry

SECRET_KEY = "test-secret"
CLIENT_ID = "hocvuso-lms"
ALL_SCOPES = "openid profile vneid"
A, B, C = stub_registry.demo_citizens()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge, computed here independently of the code under test."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="session")
def registry_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded registry (demo + 10 random citizens) written once. Passcode hashes use a cheap PBKDF2 so the
    many logins of the suite stay fast; the format is the one `check_password_hash` reads in production."""
    return write_cheap_registry(tmp_path_factory.mktemp("registry_json") / "registry.json", 10, 7)


@dataclasses.dataclass
class Authorization:
    """What the relying party remembers between sending the citizen away and the callback."""

    state: str
    nonce: str
    verifier: str
    url: str


class Provider:
    """A relying party of the stub under test, driving the real pages through `client`."""

    def __init__(self, app: Flask, client: FlaskClient, base: str = "http://localhost",
                 stub_base: str = "") -> None:
        self.app = app
        self.client = client
        self.base = base
        self.stub_base = stub_base  # e.g. "http://127.0.0.1:5001" for a stub on its own port
        self.client_id = CLIENT_ID
        self.client_secret = default_client_secret(SECRET_KEY)
        self.redirect_uri = f"{base}/auth/vneid/callback"

    @property
    def stub(self) -> Stub:
        stub: Stub = self.app.extensions["vneid"]
        return stub

    def authorization(self, scope: str = ALL_SCOPES, drop: tuple[str, ...] = (),
                      **params: str) -> Authorization:
        """A fresh authorization request URL (all parameters right unless overridden or dropped)."""
        auth = Authorization(state=secrets.token_urlsafe(12), nonce=secrets.token_urlsafe(12),
                             verifier=secrets.token_urlsafe(48), url="")
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": scope, "state": auth.state, "nonce": auth.nonce,
                 "code_challenge": s256(auth.verifier), "code_challenge_method": "S256"}
        query.update(params)
        for name in drop:
            query.pop(name, None)
        auth.url = f"{self.stub_base}/vneid/authorize?" + urlencode(query)
        return auth

    def login(self, auth: Authorization, id_number: str, passcode: str = "123456") -> TestResponse:
        token = csrf_token(self.client, auth.url)
        return self.client.post(auth.url, data={"id_number": id_number, "passcode": passcode,
                                                "login": "Đăng nhập", "csrf_token": token})

    def decide(self, auth: Authorization, decision: str = "allow") -> TestResponse:
        """Press "Đồng ý" (allow) or "Từ chối" (deny) on the consent page."""
        token = csrf_token(self.client, auth.url)
        return self.client.post(auth.url, data={decision: "x", "csrf_token": token})

    def callback(self, response: TestResponse) -> dict[str, str]:
        """The query parameters of a redirect to our redirect_uri (fails if it goes anywhere else)."""
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
        assert location.split("?")[0] == self.redirect_uri, location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def code(self, citizen: DemoCitizen = A, scope: str = ALL_SCOPES) -> tuple[Authorization, str]:
        """Log in as `citizen`, consent, and return the request and the code from the callback."""
        auth = self.authorization(scope=scope)
        logged_in = self.login(auth, citizen.id_number, citizen.passcode)
        assert logged_in.status_code == 303, logged_in.get_data(as_text=True)[:500]
        params = self.callback(self.decide(auth, "allow"))
        assert params["state"] == auth.state
        return auth, params["code"]

    def exchange(self, code: str, verifier: str | None, *, redirect_uri: str | None = None,
                 basic: bool = True, secret: str | None = None, **extra: str) -> TestResponse:
        """POST to the token endpoint (client_secret_basic, or client_secret_post when `basic` is False)."""
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri or self.redirect_uri, **extra}
        if verifier is not None:
            data["code_verifier"] = verifier
        secret = self.client_secret if secret is None else secret
        headers = {}
        if basic:
            raw = f"{self.client_id}:{secret}".encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        else:
            data.update(client_id=self.client_id, client_secret=secret)
        return self.client.post(f"{self.stub_base}/vneid/token", data=data, headers=headers)

    def tokens(self, citizen: DemoCitizen = A,
               scope: str = ALL_SCOPES) -> tuple[Authorization, dict[str, Any]]:
        auth, code = self.code(citizen, scope)
        response = self.exchange(code, auth.verifier)
        assert response.status_code == 200, response.get_data(as_text=True)
        return auth, json.loads(response.get_data(as_text=True))

    def jwks(self) -> dict[str, Any]:
        document = self.client.get(f"{self.stub_base}/vneid/.well-known/openid-configuration").get_json()
        jwks: dict[str, Any] = self.client.get(document["jwks_uri"]).get_json()
        return jwks


@pytest.fixture
def stub_app(tmp_path: Path, registry_json: Path) -> Iterator[Flask]:
    """The stub as its own app (standalone mode), with the seeded registry."""
    application = create_stub_app(str(tmp_path / "stub-instance"),
                                  {"TESTING": True, "SECRET_KEY": SECRET_KEY})
    install_registry(application, registry_json)
    yield application
    application.extensions["vneid"].dispose()


@pytest.fixture
def provider(stub_app: Flask) -> Provider:
    """A relying party of the standalone stub."""
    return Provider(stub_app, stub_app.test_client())


@pytest.fixture
def embedded(app: Flask, registry_json: Path) -> Iterator[Provider]:
    """A relying party of the stub embedded in the platform app (platform CSRF, headers, error pages)."""
    install_registry(app, registry_json)
    yield Provider(app, app.test_client())
    app.extensions["vneid"].dispose()


@pytest.fixture(params=["embedded", "standalone"])
def any_provider(request: pytest.FixtureRequest) -> Provider:
    """The same test in both deployment modes."""
    name = "embedded" if request.param == "embedded" else "provider"
    provider: Provider = request.getfixturevalue(name)
    return provider
