"""Issue 6, point 5: login attempts are limited per account and per client (Flask-Limiter, a Vietnamese 429
page with Retry-After, the same answer for known and unknown accounts), and guessable passwords are refused
with a message that says what a good password is."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Auth
from tests.web.pages import field_error, page, vi

WEAK = ("This password is too easy to guess. Use a short sentence of several words that only you know, "
        "for example “bà thích trồng hoa hồng đỏ”, and not your name, phone number or e-mail.")
TOO_MANY = "Too many login attempts"


def assert_too_many(response: Any) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    text = response.get_data(as_text=True)
    assert '<html lang="vi">' in text and vi(TOO_MANY) in text
    assert vi("To protect the accounts, only a few wrong passwords are allowed in a short time. Please wait "
              "a little and try again.") in text


@pytest.mark.parametrize("login", ["an@example.vn", "khong-co@example.vn"], ids=["known", "unknown"])
def test_login_attempts_are_limited_per_account(app: Flask, client: FlaskClient, auth: Auth, login: str) -> None:
    """After LOGIN_RATE_LIMIT_ACCOUNT wrong passwords for one login the next attempt is refused with 429, from
    any address, and in the same way whether the account exists or not."""
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "3 per minute"
    auth.register()
    auth.logout()
    client.delete_cookie(app.config["DEVICE_COOKIE_NAME"])  # guesses from a browser that never logged in here
    codes = [auth.login(login=login, password="sai-mat-khau-roi").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    assert_too_many(auth.login(login=login.upper(), password="sai-mat-khau-roi"))
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert_too_many(Auth(elsewhere).login(login=login, password="mat-khau-dai-123"))
    assert auth.login(login="khac@example.vn", password="sai-mat-khau-roi").status_code == 200


def test_login_attempts_are_limited_per_client(app: Flask, auth: Auth) -> None:
    """One address trying many accounts is stopped after LOGIN_RATE_LIMIT_CLIENT wrong attempts."""
    app.config["LOGIN_RATE_LIMIT_CLIENT"] = "4 per minute"
    codes = [auth.login(login=f"nguoi{i}@example.vn", password="sai-mat-khau-roi").status_code
             for i in range(4)]
    assert codes == [200] * 4
    assert_too_many(auth.login(login="nguoi9@example.vn", password="sai-mat-khau-roi"))


def test_a_successful_login_is_not_counted(app: Flask, auth: Auth) -> None:
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "2 per minute"
    auth.register()
    for _ in range(4):
        auth.logout()
        assert auth.login().status_code == 302


@pytest.mark.parametrize("password", [
    "12345678", "password", "aaaaaaaa", "matkhau123", "anhyeuem", "iloveyou", "hoilamgi", "motcaimatkhau",
    "Anhyeuem123", "nguyenvanan1", "binh.tran1990", "0912345678a", "nguyen123456",
])
def test_guessable_passwords_are_refused(client: FlaskClient, auth: Auth, password: str) -> None:
    """Common passwords (English and Vietnamese) and ones made of the person's own name, e-mail or phone are
    refused with one plain Vietnamese explanation."""
    response = auth.register(full_name="Nguyễn Văn An", email="binh.tran@example.vn", phone="0912345678",
                             password=password, confirm=password)
    assert response.status_code == 200
    assert field_error(page(response), "password") == vi(WEAK)


@pytest.mark.parametrize("password", ["con-meo-den-an-ca-kho", "ông tôi trồng hoa lan tím",
                                      "mat-khau-dai-123"])
def test_a_short_sentence_is_a_good_password(auth: Auth, password: str) -> None:
    assert auth.register(password=password, confirm=password).status_code == 302


def test_a_long_password_is_checked_without_error(auth: Auth) -> None:
    """zxcvbn refuses input over 72 characters; a 120-character passphrase is still accepted (no 500)."""
    password = "mỗi sáng bà đi chợ mua rau muống và cá rô đồng về nấu canh chua cho cả nhà cùng ăn trưa vui vẻ"
    password = (password + " thật ngon")[:120]
    assert auth.register(password=password, confirm=password).status_code == 302


def test_the_rate_limit_storage_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """In-memory by default; LMS_RATELIMIT_STORAGE_URI points every worker at one Redis."""
    from lms import config

    assert config.load(tmp_path)["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("LMS_RATELIMIT_STORAGE_URI", "redis://cache.example:6379/2")
    assert config.load(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/2"
