"""`next` after "Log in with VNeID" never leaves the site (issue 6, point 9)."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Auth
from tests.web.identity import A, Vneid


def test_vneid_login_next_stays_on_the_site(vneid_app: Flask, client: FlaskClient, auth: Auth) -> None:
    vneid = Vneid(client)
    auth.register()
    assert vneid.verify(A).status_code == 302
    auth.logout()
    for target in ("/%09/evil.example", "/%5Cevil.example", "/\r\nX: 1"):
        start = client.get("/auth/vneid/login", query_string={"next": target})
        assert start.status_code == 302
        response = vneid.callback(vneid.at_stub(str(start.headers["Location"]), A))
        assert response.status_code == 302 and response.headers["Location"] == "/me", response.headers
        auth.logout()


def test_vneid_redirect_uri_and_issuer_come_from_the_public_url(vneid_app: Flask, client: FlaskClient) -> None:
    """Even with the host check relaxed, another Host header reaches neither the redirect URI sent to VNeID
    nor the embedded stub's issuer (issue 6, point 6)."""
    vneid_app.config["TRUSTED_HOSTS"] = None
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    start = client.get("/auth/vneid/login", headers=headers)
    assert start.status_code == 302
    location = str(start.headers["Location"])
    assert "evil.example" not in location
    assert location.startswith("http://localhost/vneid/authorize?")
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Fauth%2Fvneid%2Fcallback" in location
    doc = client.get("/vneid/.well-known/openid-configuration", headers=headers).get_json()
    assert doc["issuer"] == "http://localhost/vneid" and "evil.example" not in str(doc)
