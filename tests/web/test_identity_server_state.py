"""Issue 6, points 3 and 4: the new-person state of "Log in with VNeID" stays on the server (the session
cookie is signed, not encrypted), and a verified learner who forgot the password sets a new one by verifying
again through VNeID."""
from __future__ import annotations

import base64
import json
import zlib

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.conftest import Auth, csrf_token
from tests.web.identity import A, B, Vneid, snapshot
from tests.web.pages import field_error, page, vi


def cookie_payload(client: FlaskClient) -> str:
    """What anyone holding the session cookie can read (no key needed)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    value = cookie.value
    compressed = value.startswith(".")
    body = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode("utf-8")


def test_new_person_state_is_kept_on_the_server(vneid: Vneid, client: FlaskClient, clean_db: Engine) -> None:
    """Between the callback and the account form the cookie holds no hash, salt, masked number, birth date
    or sex; the form page is not cached; the state is used once."""
    response = vneid.login(B)
    assert response.headers["Location"] == "/auth/vneid/new-account"
    readable = cookie_payload(client)
    for secret in ("recipient_hash", "recipient_salt", "person_hash", "id_masked", "birth_date",
                   B.id_number[-4:], B.birthdate.isoformat(), "female", "male"):
        assert secret not in readable, secret
    form = client.get("/auth/vneid/new-account")
    assert form.status_code == 200 and B.name in page(form).text
    assert "no-store" in form.headers["Cache-Control"]
    token = csrf_token(client, "/auth/vneid/new-account")
    created = client.post("/auth/vneid/new-account", data={"target_group": "3", "email": "", "phone": "",
                                                           "csrf_token": token})
    assert created.status_code == 302
    Auth(client).logout()
    assert client.get("/auth/vneid/new-account").status_code == 400  # single use


def start_reset(client: FlaskClient) -> str:
    """Follow "Forgot your password?" on the login page, then its VNeID button."""
    links = [a for a in page(client.get("/login")).find_all("a") if a.text == vi("Forgot your password?")]
    assert len(links) == 1
    reset_page = client.get(links[0].attrs["href"])
    assert reset_page.status_code == 200
    buttons = [a for a in page(reset_page).find_all("a") if a.text == vi("Verify with VNeID")]
    assert len(buttons) == 1
    started = client.get(buttons[0].attrs["href"])
    assert started.status_code == 302
    return str(started.headers["Location"])


def test_password_reset_through_vneid(learner: Auth, vneid: Vneid, vneid_app: Flask, client: FlaskClient,
                                      clean_db: Engine) -> None:
    """A verified learner who forgot the password verifies again with VNeID and sets a new one (checked like
    any new password); every session of the account ends; the old password no longer works."""
    assert vneid.verify(A).status_code == 302
    other = vneid_app.test_client()
    assert Auth(other).login().status_code == 302
    learner.logout()
    back = vneid.callback(vneid.at_stub(start_reset(client), A))
    assert back.status_code == 302 and back.headers["Location"] == "/auth/reset-password"
    assert "no-store" in client.get("/auth/reset-password").headers["Cache-Control"]
    token = csrf_token(client, "/auth/reset-password")
    weak = client.post("/auth/reset-password", data={"password": "12345678", "confirm": "12345678",
                                                     "csrf_token": token})
    assert weak.status_code == 200 and field_error(page(weak), "password")
    done = client.post("/auth/reset-password", data={"password": "con-meo-den-an-ca-kho",
                                                     "confirm": "con-meo-den-an-ca-kho", "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert other.get("/me").status_code == 302
    assert client.get("/me").status_code == 302
    assert learner.login(password="mat-khau-dai-123").status_code == 200
    assert learner.login(password="con-meo-den-an-ca-kho").status_code == 302
    learner.logout()
    assert client.get("/auth/reset-password").status_code == 400  # single use


def test_password_reset_for_a_person_without_an_account(vneid: Vneid, client: FlaskClient,
                                                       clean_db: Engine) -> None:
    """A person with no verified account is told so, and nothing is created."""
    before = snapshot(clean_db)
    response = vneid.callback(vneid.at_stub(start_reset(client), B))
    assert response.status_code == 404
    assert vi("No account is verified as this person, so there is no password to reset. You can log in "
              "with VNeID to create one.") in page(response).text
    assert client.get("/auth/reset-password").status_code == 400
    assert snapshot(clean_db) == before
