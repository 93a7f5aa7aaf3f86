"""Deployment and data handling: embedded or standalone (also as a real process on another port), the
settings that point a client elsewhere, the CLI, and where raw ID numbers may (not) go."""
from __future__ import annotations

import base64
import json
import logging
import os
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from flask import Flask
from itsdangerous import base64_decode
from sqlalchemy import Engine, inspect, text

from lms import create_app
from lms.vneid_stub import create_stub_app
from tests.conftest import REPO
from tests.vneid.conftest import SECRET_KEY, A, B, C, Provider, install_registry

STANDALONE = "http://127.0.0.1:5001"


def test_standalone_on_another_port(tmp_path: Path, registry_json: Path) -> None:
    """Served at 127.0.0.1:5001 the stub's issuer is http://127.0.0.1:5001/vneid and the flow works there."""
    app = create_stub_app(str(tmp_path / "instance"), {"TESTING": True, "SECRET_KEY": SECRET_KEY})
    install_registry(app, registry_json)
    client = app.test_client()
    # The platform runs on port 5000, the stub on 5001.
    rp = Provider(app, client, base="http://127.0.0.1:5000", stub_base=STANDALONE)
    doc = client.get(f"{STANDALONE}/vneid/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == f"{STANDALONE}/vneid"
    assert doc["token_endpoint"] == f"{STANDALONE}/vneid/token"
    _auth, body = rp.tokens(A)
    from joserfc import jwt
    from joserfc.jwk import KeySet
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(rp.jwks())).claims
    assert claims["iss"] == f"{STANDALONE}/vneid"
    assert client.get(f"{STANDALONE}/").headers["Location"] == "/vneid/"
    app.extensions["vneid"].dispose()


def test_standalone_keeps_the_platform_session_cookie(provider: Provider) -> None:
    """Cookies are shared across ports of a host: the standalone stub uses its own cookie name."""
    auth = provider.authorization()
    response = provider.login(auth, A.id_number)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all(c.startswith("vneid_session=") for c in cookies)


def test_issuer_from_configuration(tmp_path: Path, registry_json: Path) -> None:
    """VNEID_STUB_ISSUER (e.g. a public URL behind a proxy) is the issuer in discovery and ID tokens."""
    issuer = "https://id.example.vn/vneid"
    app = create_stub_app(str(tmp_path / "instance"),
                          {"TESTING": True, "SECRET_KEY": SECRET_KEY, "VNEID_STUB_ISSUER": issuer})
    install_registry(app, registry_json)
    rp = Provider(app, app.test_client())
    doc = rp.client.get("/vneid/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == issuer and doc["jwks_uri"] == f"{issuer}/jwks.json"
    _auth, body = rp.tokens(B)
    payload = body["id_token"].split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iss"] == issuer
    app.extensions["vneid"].dispose()


def test_stub_can_be_disabled(clean_db: Engine, database_url: str, tmp_path: Path) -> None:
    """With VNEID_STUB_ENABLED = False the platform mounts no provider (a real one is configured instead)."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                      "VNEID_STUB_ENABLED": False}, instance_path=str(tmp_path / "instance"))
    assert "vneid" not in app.blueprints and "vneid" not in app.extensions
    assert app.test_client().get("/vneid/.well-known/openid-configuration").status_code == 404
    app.extensions["lms_db"].engine.dispose()


def test_stub_headers_do_not_relax_the_platform(embedded: Provider) -> None:
    """Only the stub's pages allow a form to end at the client; the platform keeps form-action 'self'."""
    auth = embedded.authorization()
    embedded.login(auth, A.id_number)
    assert "form-action 'self' http://localhost;" in \
        embedded.client.get(auth.url).headers["Content-Security-Policy"]
    assert "form-action 'self';" in embedded.client.get("/login").headers["Content-Security-Policy"]


def test_expired_form_gets_the_stub_error_page(embedded: Provider) -> None:
    """A bad CSRF token on a stub form shows the stub's own page (not the platform's), status 400."""
    auth = embedded.authorization()
    response = embedded.client.post(auth.url, data={"id_number": A.id_number, "passcode": "123456",
                                                    "csrf_token": "stale"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn" in html and "VNeID — Định danh điện tử" in html


def _session_payload(cookie: str) -> str:
    """The readable contents of a Flask session cookie (signed, not encrypted)."""
    value = cookie.split("=", 1)[1].split(";", 1)[0]
    compressed = value.startswith(".")
    data = base64_decode(value.lstrip(".").split(".")[0])
    return (zlib.decompress(data) if compressed else data).decode("utf-8")


def test_raw_id_number_stays_in_the_registry(embedded: Provider, clean_db: Engine,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """After login, consent, token and userinfo the raw number is in no log record, no session cookie,
    no platform table and not in the stub's own database file."""
    caplog.set_level(logging.DEBUG)
    cookies: list[str] = []
    auth = embedded.authorization()
    cookies += embedded.login(auth, A.id_number).headers.getlist("Set-Cookie")
    cookies += embedded.client.get(auth.url).headers.getlist("Set-Cookie")
    decision = embedded.decide(auth, "allow")
    cookies += decision.headers.getlist("Set-Cookie")
    code = embedded.callback(decision)["code"]
    body = embedded.exchange(code, auth.verifier).get_json()
    info = embedded.client.get("/vneid/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.get_json()["vn_personal_id"] == A.id_number  # it was shared, as consented
    assert caplog.records  # the flow did log (werkzeug, authlib), and none of it carries the number
    assert A.id_number not in caplog.text
    assert cookies and not any(A.id_number in _session_payload(c) for c in cookies)
    with clean_db.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                assert A.id_number not in " ".join(map(str, row)), table
    embedded.stub.dispose()
    stub_files = (Path(embedded.app.instance_path) / "vneid").glob("stub.db*")
    for path in stub_files:
        assert A.id_number.encode("ascii") not in path.read_bytes(), path


def test_cli_registry_and_citizens(app: Flask, runner: Any) -> None:
    """`lms vneid registry` writes a seeded registry; `lms vneid citizens` prints the demo logins."""
    result = runner.invoke(args=["vneid", "registry", "--count", "5", "--seed", "1"])
    assert result.exit_code == 0, result.output
    path = Path(app.instance_path) / "vneid" / "registry.json"
    citizens = json.loads(path.read_text(encoding="utf-8"))["citizens"]
    assert len(citizens) == 8
    assert {c["id_number"] for c in citizens} >= {A.id_number, B.id_number, C.id_number}
    listing = runner.invoke(args=["vneid", "citizens"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert len(lines) == 3
    assert "001190012345" in lines[0] and "passcode 123456" in lines[0] and "level 2" in lines[0]
    assert "level 1" in lines[1] and "LOCKED" in lines[2] and "LOCKED" not in lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_runs_as_its_own_process(tmp_path: Path) -> None:
    """`python -m lms.vneid_stub --port N` serves discovery and JWKS over real HTTP; issuer
    http://127.0.0.1:N/vneid."""
    port = _free_port()
    env = {**os.environ, "LMS_SECRET_KEY": SECRET_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "lms.vneid_stub", "--port", str(port),
         "--instance", str(tmp_path / "instance")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/vneid"
    try:
        doc = None
        for _ in range(200):  # wait for the server to listen (not a timing assertion)
            try:
                doc = httpx.get(f"{base}/.well-known/openid-configuration").json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert doc is not None, "the stub process did not start"
        assert doc["issuer"] == base
        keys = httpx.get(doc["jwks_uri"]).json()["keys"]
        assert len(keys) == 1 and keys[0]["kty"] == "RSA"
        assert (tmp_path / "instance" / "vneid" / "keys" / "rs256.pem").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)

