"""Sessions that really end (issue 6, points 2 and 4): logout ends the session and the "keep me logged in"
cookie everywhere they were copied; remember tokens are random and kept hashed on the server; password
change, "sign out on every device", a role change and an administrator's lock end every session."""
from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from tests.conftest import Auth, csrf_token
from tests.web.pages import field_error, flashes, page, vi

PASSWORD = "mat-khau-dai-123"


def remember_login(client: FlaskClient, login: str = "an@example.vn", password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"login": login, "password": password, "remember": "y",
                                       "csrf_token": token})


def replay(app: Flask, **cookies: str) -> FlaskClient:
    """A fresh browser that only has these stolen cookie values."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_logout_ends_the_remember_cookie(app: Flask, client: FlaskClient, auth: Auth) -> None:
    """Log in with "keep me logged in", log out: the cookie is deleted, and its old value logs nobody in."""
    auth.register()
    auth.logout()
    assert remember_login(client).status_code == 302
    remember = client.get_cookie("remember_token")
    assert remember is not None
    stolen = remember.value
    auth.logout()
    assert client.get_cookie("remember_token") is None
    assert client.get("/me").status_code == 302
    assert replay(app, remember_token=stolen).get("/me").status_code == 302


def test_remember_tokens_are_random_and_stored_hashed(client: FlaskClient, auth: Auth,
                                                      clean_db: Engine) -> None:
    """Two logins give two different remember cookies; the server keeps neither value, only a hash."""
    auth.register()
    auth.logout()
    values = []
    for _ in range(2):
        remember_login(client)
        cookie = client.get_cookie("remember_token")
        assert cookie is not None
        values.append(cookie.value)
        auth.logout()
    assert values[0] != values[1]
    with clean_db.connect() as conn:
        dump = " ".join(str(row) for table in ("user_account", "login_session")
                        for row in conn.execute(text(f"SELECT * FROM {table}")))
    for value in values:
        secret = value.split("|")[0].split(":")[-1]
        assert len(secret) >= 32 and secret not in dump


def test_stolen_session_cookie_dies_at_logout(app: Flask, client: FlaskClient, auth: Auth) -> None:
    """A copy of the session cookie taken while logged in no longer works once the learner logs out."""
    auth.register()
    session = client.get_cookie("session")
    assert session is not None
    stolen = session.value
    assert replay(app, session=stolen).get("/me").status_code == 200
    auth.logout()
    assert replay(app, session=stolen).get("/me").status_code == 302


def two_devices(app: Flask, auth: Auth) -> FlaskClient:
    """The learner registered on `auth`'s client, and logged in with "keep me logged in" on another."""
    auth.register()
    other = app.test_client()
    assert remember_login(other).status_code == 302
    assert other.get("/me").status_code == 200
    return other


def test_sign_out_on_every_device(app: Flask, client: FlaskClient, auth: Auth) -> None:
    """"Sign out on every device" on the profile ends the other browser's session and remember cookie."""
    other = two_devices(app, auth)
    remember = other.get_cookie("remember_token")
    assert remember is not None
    token = csrf_token(client, "/profile")
    response = client.post("/profile/sessions/end", data={"csrf_token": token})
    assert response.status_code == 302
    assert other.get("/me").status_code == 302
    assert replay(app, remember_token=remember.value).get("/me").status_code == 302
    assert client.get("/me").status_code == 302
    assert vi("You have been signed out on every device.") in flashes(page(client.get("/")))


def change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> Any:
    token = csrf_token(client, "/profile")
    return client.post("/profile/password/change", data={
        "current": current, "password": new, "confirm": new if confirm is None else confirm, "csrf_token": token})


def test_password_change_needs_the_current_password(client: FlaskClient, auth: Auth) -> None:
    auth.register()
    doc = page(change_password(client, "sai-mat-khau-roi", "con-meo-den-an-ca-kho"))
    assert field_error(doc, "current") == vi("This is not your current password.")
    weak = page(change_password(client, PASSWORD, "12345678"))
    assert field_error(weak, "password") == vi(
        "This password is too easy to guess. Use a short sentence of several words that only you know, "
        "for example “bà thích trồng hoa hồng đỏ”, and not your name, phone number or e-mail.")
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 302


def test_password_change_ends_the_other_sessions(app: Flask, client: FlaskClient, auth: Auth) -> None:
    other = two_devices(app, auth)
    response = change_password(client, PASSWORD, "con-meo-den-an-ca-kho")
    assert response.status_code == 302
    assert client.get("/me").status_code == 200  # this browser stays in
    assert other.get("/me").status_code == 302
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 200
    assert auth.login(password="con-meo-den-an-ca-kho").status_code == 302


def test_role_change_and_lock_end_every_session(app: Flask, client: FlaskClient, auth: Auth) -> None:
    """`lms users set-role` and `lms users lock` end the account's sessions; a locked account cannot log in
    until `lms users unlock`."""
    other = two_devices(app, auth)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "set-role", "an@example.vn", "teacher"]).exit_code == 0
    assert client.get("/me").status_code == 302 and other.get("/me").status_code == 302
    assert auth.login().status_code == 302
    result = runner.invoke(args=["users", "lock", "an@example.vn"])
    assert result.exit_code == 0, result.output
    assert client.get("/me").status_code == 302
    assert auth.login().status_code == 200
    assert runner.invoke(args=["users", "unlock", "an@example.vn"]).exit_code == 0
    assert auth.login().status_code == 302


def test_a_session_expires_on_the_server(client: FlaskClient, auth: Auth, clean_db: Engine) -> None:
    """A login kept on the server past its expiry no longer logs in, whatever the cookie says."""
    auth.register()
    auth.logout()
    remember_login(client)
    with clean_db.begin() as conn:
        conn.execute(text("UPDATE login_session SET expires_at = '2000-01-01 00:00:00'"))
    assert client.get("/me").status_code == 302


def test_session_ids_are_not_the_user_id(client: FlaskClient, auth: Auth, app: Flask) -> None:
    """The session names a server-side login, not only the account number."""
    auth.register()
    cookie = client.get_cookie("session")
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    assert ":" in data["_user_id"]
    assert hashlib.sha256(data["_user_id"].split(":")[1].encode()).hexdigest() != data["_user_id"]


def test_guessing_the_current_password_is_limited(app: Flask, client: FlaskClient, auth: Auth) -> None:
    """Someone at an open session cannot try current passwords without end: LOGIN_RATE_LIMIT_ACCOUNT applies."""
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "2 per minute"
    auth.register()
    codes = [change_password(client, f"doan-thu-{i}-lan", "con-meo-den-an-ca-kho").status_code for i in range(3)]
    assert codes == [200, 200, 429]
