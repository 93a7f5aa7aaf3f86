"""Issue 6, found by the attacker's probe of the first fixes: a stranger cannot lock a learner out of their
own account, every login and registration post is counted per client, the client address behind a proxy is
configurable, and password checks stay cheap."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from lms.domain import passwords
from tests.conftest import Auth


def _client_at(app: Flask, ip: str) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    return browser


def test_a_stranger_cannot_lock_a_learner_out_of_a_known_device(app: Flask, client: FlaskClient,
                                                                 auth: Auth) -> None:
    """Wrong passwords typed for an account elsewhere lock out unknown devices only: the learner's own
    browser, where they logged in before, still logs in; its own wrong passwords are limited on their own."""
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "3 per minute"
    auth.register()
    auth.logout()
    assert auth.login().status_code == 302  # this browser is now a known device for an@example.vn
    auth.logout()
    attacker = Auth(_client_at(app, "10.0.0.66"))
    codes = [attacker.login(password="sai-mat-khau-roi").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert auth.login().status_code == 302  # the owner's device is not locked out
    auth.logout()
    own = [auth.login(password="sai-mat-khau-roi").status_code for _ in range(4)]
    assert own == [200, 200, 200, 429]  # and guessing from a known device is limited too


def test_a_device_cookie_for_another_account_does_not_help(app: Flask, client: FlaskClient, auth: Auth) -> None:
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "2 per minute"
    auth.register(email="ke-gian@example.vn")  # the attacker's own account gives this browser a device cookie
    auth.logout()
    Auth(_client_at(app, "10.0.0.5")).register(email="nan-nhan@example.vn")
    codes = [auth.login(login="nan-nhan@example.vn", password="sai-mat-khau-roi").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_every_login_post_is_counted_per_client(app: Flask, auth: Auth) -> None:
    """Successful logins cost a password hash each: a client may make only so many login posts, right or
    wrong (LOGIN_RATE_LIMIT_CLIENT_ALL)."""
    app.config["LOGIN_RATE_LIMIT_CLIENT_ALL"] = "3 per minute"
    auth.register()
    codes = []
    for _ in range(4):
        auth.logout()
        codes.append(auth.login().status_code)
    assert codes == [302, 302, 302, 429]


def test_registration_posts_are_limited_per_client(app: Flask, auth: Auth) -> None:
    app.config["REGISTER_RATE_LIMIT"] = "2 per minute"
    codes = [auth.register(email="khong-hop-le").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_client_address_behind_trusted_proxies(app: Flask) -> None:
    """With TRUSTED_PROXIES = 1 the visitor's address is the last X-Forwarded-For hop: visitors behind the
    proxy get their own limits. With the default 0 the header is ignored (a visitor cannot forge it)."""
    app.config["LOGIN_RATE_LIMIT_CLIENT"] = "2 per minute"

    def wrong(forwarded_for: str) -> int:
        browser = _client_at(app, "10.0.0.1")
        token_page = browser.get("/login", headers={"X-Forwarded-For": forwarded_for})
        assert token_page.status_code == 200
        from tests.conftest import CSRF_RE
        match = CSRF_RE.search(token_page.get_data(as_text=True))
        assert match
        token = match.group(1) or match.group(2)
        return browser.post("/login", headers={"X-Forwarded-For": forwarded_for},
                            data={"login": f"x{forwarded_for}@example.vn", "password": "sai-mat-khau-roi",
                                  "csrf_token": token}).status_code

    assert [wrong(f"203.0.113.{i}") for i in range(3)] == [200, 200, 429]  # default: one bucket, header ignored


def test_trusted_proxies_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lms import create_app

    app = create_app({"TESTING": True, "TRUSTED_PROXIES": 1, "LOGIN_RATE_LIMIT_CLIENT": "2 per minute",
                      "WTF_CSRF_ENABLED": False, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                     instance_path=str(tmp_path))
    from lms import migrate
    from lms.db import make_engine
    schema_engine = make_engine(app.config["DATABASE_URL"])
    migrate.upgrade(schema_engine)
    schema_engine.dispose()
    browser = _client_at(app, "10.0.0.1")

    def wrong(ip: str) -> int:
        return browser.post("/login", headers={"X-Forwarded-For": ip},
                            data={"login": f"x{ip}@example.vn", "password": "sai-mat-khau-roi"}).status_code

    assert [wrong(f"203.0.113.{i}") for i in range(4)] == [200] * 4  # each visitor its own bucket
    assert [wrong("203.0.113.9") for _ in range(3)] == [200, 200, 429]
    app.extensions["lms_db"].engine.dispose()


def test_the_password_hint_and_the_platform_name_are_refused() -> None:
    for password in ("bà thích trồng hoa hồng đỏ", "Bà thích trồng hoa hồng đỏ!", "hocvuso2026", "Học Vụ Số 2026"):
        assert passwords.is_guessable(password), password
    assert not passwords.is_guessable("cháu đi học bơi lúc năm giờ")
