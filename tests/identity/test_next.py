"""`next` after "Log in with VNeID" never leaves the site (issue 6, point 9)."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Auth
from tests.identity.conftest import A, Vneid


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
