"""Every form is CSRF-protected: a POST without (or with a wrong) token is refused and writes nothing."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.models import Enrolment, LessonProgress, QuizAttempt, User
from tests.conftest import Auth, csrf_token
from tests.web.conftest import LUA_DAO, answers, attempt_id, live_quiz
from tests.web.pages import html_lang, page, vi

REGISTRATION = {"full_name": "Lê Văn Cường", "email": "cuong@example.vn", "phone": "",
                "password": "mat-khau-dai-123", "confirm": "mat-khau-dai-123", "target_group": "3",
                "province": "01", "commune": "00070"}


def assert_refused(response: Any) -> None:
    """The friendly "form has expired" page, with status 400."""
    assert response.status_code == 400
    doc = page(response)
    assert html_lang(doc) == "vi"
    h1 = doc.find("h1")
    assert h1 is not None and h1.text == vi("The form has expired")
    assert vi("Please go back, reload the page and try again. Nothing was saved.") in doc.text


@pytest.mark.parametrize("token", [None, "not-a-real-token"], ids=["missing", "forged"])
def test_register_without_token(client: FlaskClient, count: Callable[[type[Any]], int],
                                token: str | None) -> None:
    """A complete registration without a valid token creates no account."""
    data = dict(REGISTRATION, **({"csrf_token": token} if token else {}))
    assert_refused(client.post("/register", data=data))
    assert count(User) == 0


def test_login_without_token(client: FlaskClient, auth: Auth) -> None:
    """Right credentials without the token do not log in."""
    auth.register()
    auth.logout()
    assert_refused(client.post("/login", data={"login": "an@example.vn", "password": "mat-khau-dai-123"}))
    assert client.get("/me").status_code == 302


def test_token_of_another_session_is_refused(app: Flask, client: FlaskClient, other_client: FlaskClient,
                                             count: Callable[[type[Any]], int]) -> None:
    """A token read from one visitor's page does not work in another visitor's session."""
    stolen = csrf_token(other_client, "/register")
    assert_refused(client.post("/register", data=dict(REGISTRATION, csrf_token=stolen)))
    assert count(User) == 0


def test_mark_done_without_token(demo: Flask, client: FlaskClient, auth: Auth,
                                 count: Callable[[type[Any]], int]) -> None:
    """"Mark as done" without the token records no progress and no enrolment."""
    auth.register()
    lesson = f"/courses/{LUA_DAO}/chieu-lua-thuong-gap"
    assert client.get(lesson).status_code == 200
    assert_refused(client.post(f"{lesson}/done"))
    assert count(LessonProgress) == 0
    assert count(Enrolment) == 0


def test_enrol_without_token(demo: Flask, client: FlaskClient, auth: Auth,
                             count: Callable[[type[Any]], int]) -> None:
    """Joining a course without the token writes nothing."""
    auth.register()
    assert_refused(client.post(f"/courses/{LUA_DAO}/enrol"))
    assert count(Enrolment) == 0


def test_quiz_start_without_token(demo: Flask, client: FlaskClient, auth: Auth, clean_db: Any,
                                  count: Callable[[type[Any]], int]) -> None:
    """Starting a quiz without the token uses no attempt."""
    auth.register()
    quiz, _ = live_quiz(clean_db, LUA_DAO)
    assert_refused(client.post(f"/courses/{LUA_DAO}/quiz/{quiz}/start"))
    assert count(QuizAttempt) == 0


def test_quiz_submit_without_token(demo: Flask, client: FlaskClient, auth: Auth, clean_db: Any,
                                   post_form: Callable[..., Any], read: Callable[..., Any]) -> None:
    """Right answers submitted without the token are not graded; the attempt stays open."""
    auth.register()
    quiz, _ = live_quiz(clean_db, LUA_DAO)
    show = f"/courses/{LUA_DAO}/quiz/{quiz}"
    attempt = attempt_id(post_form(f"{show}/start", page=show))
    assert_refused(client.post(f"/attempts/{attempt}", data=answers(clean_db, attempt, right=True)))
    row = read(QuizAttempt, attempt)
    assert row.submitted_at is None and row.answers is None and row.passed is None


def test_language_switch_without_token(client: FlaskClient) -> None:
    """Even the language button is a protected form."""
    assert_refused(client.post("/lang", data={"lang": "en", "next": "/"}))
    assert html_lang(page(client.get("/"))) == "vi"
