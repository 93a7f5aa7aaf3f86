"""Registration, login and logout through the real forms, in the default language (Vietnamese)."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.models import User
from tests.conftest import Auth, csrf_token
from tests.web.pages import field_error, flashes, html_lang, invalid_fields, page, vi

VALID: dict[str, str] = {"full_name": "Trần Thị Bình", "email": "binh@example.vn", "phone": "",
                         "password": "mot-cum-tu-dai", "confirm": "mot-cum-tu-dai"}


@pytest.mark.parametrize(("changes", "field", "msgid"), [
    ({"full_name": ""}, "full_name", "Please enter your full name."),
    ({"full_name": "   "}, "full_name", "Please enter your full name."),
    ({"email": "binh-at-example"}, "email",
     "This does not look like an e-mail address, e.g. ten@example.vn."),
    ({"email": "", "phone": "12345"}, "phone",
     "Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678."),
    ({"email": "", "phone": ""}, "phone", "Enter an e-mail address or a phone number (or both)."),
    ({"password": "ngan", "confirm": "ngan"}, "password", "The password must have at least 8 characters."),
    ({"confirm": "mot-cum-tu-khac"}, "confirm", "The two passwords are not the same."),
    ({"province": "01", "commune": "20242"}, "commune", "This commune is not in the province you chose."),
    ({"province": "01", "commune": ""}, "commune", "Please choose your commune or ward."),
    ({"province": "", "commune": ""}, "province", "Please choose your province."),
    ({"target_group": "0"}, "target_group", "Please choose a group."),
], ids=["empty-name", "blank-name", "bad-email", "bad-phone", "no-contact", "short-password",
        "passwords-differ", "commune-elsewhere", "commune-missing", "no-province", "no-group"])
def test_register_error_is_shown_next_to_its_field(client: FlaskClient, auth: Auth,
                                                   count: Callable[[type[Any]], int], changes: dict[str, str],
                                                   field: str, msgid: str) -> None:
    """Each invalid input re-shows the form with its message beside that field only, and saves nothing."""
    response = auth.register(**{**VALID, **changes})
    assert response.status_code == 200
    doc = page(response)
    assert html_lang(doc) == "vi"
    assert invalid_fields(doc) == {field}
    assert field_error(doc, field) == vi(msgid)
    assert vi("Please correct the fields marked below.") in flashes(doc)
    assert count(User) == 0


def test_register_keeps_what_was_typed_except_passwords(auth: Auth) -> None:
    """After an error the learner does not retype their name and e-mail; passwords are never echoed."""
    doc = page(auth.register(**{**VALID, "confirm": "khac-han"}))
    name, email, password = doc.by_id("full_name"), doc.by_id("email"), doc.by_id("password")
    assert name is not None and email is not None and password is not None
    assert name.attrs.get("value") == VALID["full_name"]
    assert email.attrs.get("value") == VALID["email"]
    assert "value" not in password.attrs or password.attrs["value"] == ""


@pytest.mark.parametrize(("contact", "field"), [
    ({"email": "AN@example.vn"}, "email"),
    ({"email": "", "phone": "+84 912 345 678"}, "phone"),
], ids=["email", "phone"])
def test_register_duplicate_contact_is_refused(auth: Auth, count: Callable[[type[Any]], int],
                                               contact: dict[str, str], field: str) -> None:
    """A contact already in use (e-mail in any case, phone in any spelling) is refused beside its field."""
    assert auth.register(email="an@example.vn", phone="0912345678").status_code == 302
    auth.logout()
    response = auth.register(**{**VALID, **contact})
    assert response.status_code == 200
    doc = page(response)
    assert invalid_fields(doc) == {field}
    assert field_error(doc, field) == vi("An account with this contact already exists. Log in instead.")
    assert count(User) == 1


def test_register_success_logs_in(client: FlaskClient, auth: Auth, clean_db: Engine,
                                  count: Callable[[type[Any]], int]) -> None:
    """A valid form creates one account (hashed password, normalised contacts) and logs the learner in."""
    response = auth.register(**{**VALID, "email": " Binh@Example.VN ", "phone": "091 234 5678"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me")
    assert count(User) == 1
    me = client.get("/me")
    assert me.status_code == 200
    assert "Trần Thị Bình" in page(me).text
    with Session(clean_db) as s:
        user = s.scalars(select(User)).one()
    assert user.email == "binh@example.vn"
    assert user.phone == "0912345678"
    assert user.password_hash != VALID["password"] and VALID["password"] not in user.password_hash
    assert (user.province_code, user.commune_code, user.target_group) == ("01", "00070", 3)


def test_login_wrong_password_shows_message(client: FlaskClient, auth: Auth) -> None:
    """A wrong password keeps the visitor logged out and says so beside the password field."""
    auth.register()
    auth.logout()
    response = auth.login(password="sai-mat-khau-roi")
    assert response.status_code == 200
    doc = page(response)
    assert field_error(doc, "password") == vi("The e-mail/phone or the password is not right.")
    assert client.get("/me").status_code == 302


def test_login_unknown_account_gives_the_same_message(auth: Auth) -> None:
    """An unknown login gets the same message as a wrong password (accounts cannot be probed)."""
    doc = page(auth.login(login="khong-co@example.vn"))
    assert field_error(doc, "password") == vi("The e-mail/phone or the password is not right.")


def test_login_empty_fields_are_explained(auth: Auth) -> None:
    """Empty login and password each get their own message beside the field."""
    doc = page(auth.login(login="", password=""))
    assert invalid_fields(doc) == {"login", "password"}
    assert field_error(doc, "login") == vi("Please enter your e-mail or phone number.")
    assert field_error(doc, "password") == vi("Please enter your password.")


def test_login_by_phone(client: FlaskClient, auth: Auth) -> None:
    """A learner registered with a phone number logs in with it, written in another common way."""
    auth.register(email="", phone="0912345678")
    auth.logout()
    assert client.get("/me").status_code == 302
    response = auth.login(login="+84 912 345 678")
    assert response.status_code == 302
    assert client.get("/me").status_code == 200


def test_login_redirects_to_a_local_next_only(client: FlaskClient, auth: Auth) -> None:
    """`next` may send the learner back to a page of ours, never to another site."""
    auth.register()
    auth.logout()
    data = {"login": "an@example.vn", "password": "mat-khau-dai-123",
            "csrf_token": csrf_token(client, "/login")}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.headers["Location"].endswith("/me")
    auth.logout()
    data["csrf_token"] = csrf_token(client, "/login")
    response = client.post("/login?next=/courses", data=data)
    assert response.headers["Location"].endswith("/courses")


def test_logout_is_post_only_with_csrf(client: FlaskClient, auth: Auth) -> None:
    """GET /logout is not allowed, a POST without the token is refused, and the real form logs out."""
    auth.register()
    get = client.get("/logout")
    assert get.status_code == 405
    assert client.get("/me").status_code == 200
    forged = client.post("/logout")
    assert forged.status_code == 400
    assert page(forged).find("h1").text == vi("The form has expired")  # type: ignore[union-attr]
    assert client.get("/me").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/me").status_code == 302
    assert vi("You have logged out.") in flashes(page(client.get("/")))
