"""Fixtures for the web tests: the demo content published cheaply (`demo`, `whole_pool`), row counts, a second
learner's browser, quiz answers built from the key stored in the database (the page never carries it, so
a test looks it up like the grader does), and the VNeID fixtures of tests/web/identity.py."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lms.domain.content import CompiledCourse
from lms.models import Course, Question, QuizAttempt, utcnow
from tests import factories
from tests.conftest import Auth
from tests.web.identity import learner, registry_file, vneid, vneid_app  # noqa: F401 (fixtures)

LUA_DAO = factories.SCAM
VNEID = factories.VNEID
ATTEMPT_URL = re.compile(r"/attempts/(\d+)$")


@pytest.fixture
def count(clean_db: Engine) -> Callable[[type[Any]], int]:
    """`count(Model)`: rows of that table right now, read on a connection of its own."""
    def rows(model: type[Any]) -> int:
        with Session(clean_db) as s:
            return s.scalar(select(func.count()).select_from(model)) or 0
    return rows


@pytest.fixture
def read(clean_db: Engine) -> Callable[[type[Any], int], Any]:
    """`read(Model, id)`: a fresh copy of one row (detached), or None."""
    def get(model: type[Any], key: int) -> Any:
        with Session(clean_db, expire_on_commit=False) as s:
            row = s.get(model, key)
            if row is not None:
                s.expunge(row)
            return row
    return get


@pytest.fixture
def other_client(app: Flask) -> FlaskClient:
    """A second browser (its own cookies) on the same app."""
    return app.test_client()


@pytest.fixture
def other_auth(other_client: FlaskClient) -> Auth:
    return Auth(other_client)


def live_quiz(engine: Engine, course_slug: str) -> tuple[str, int]:
    """(quiz slug, max attempts) of the course's live quiz."""
    with Session(engine) as s:
        course = s.scalars(select(Course).where(Course.slug == course_slug)).one()
        assert course.published is not None and course.published.quizzes
        quiz = course.published.quizzes[0]
        return quiz.slug, quiz.max_attempts


def attempt_id(response: Any) -> int:
    """The attempt id a start redirect points at."""
    assert response.status_code == 302, response.status_code
    match = ATTEMPT_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def answers(engine: Engine, attempt: int, right: bool) -> dict[str, Any]:
    """Form data for every question of the attempt: all right, or all wrong, from the stored key."""
    with Session(engine) as s:
        row = s.get(QuizAttempt, attempt)
        assert row is not None
        data: dict[str, Any] = {}
        for entry in row.layout:
            q = s.get(Question, entry["question"])
            assert q is not None
            name = f"q{q.id}"
            keys = [o["key"] for o in q.options]
            if q.kind == "single":
                correct = q.answer["correct"][0]
                data[name] = correct if right else next(k for k in keys if k != correct)
            elif q.kind == "multiple":
                correct = list(q.answer["correct"])
                wrong = [k for k in keys if k not in correct]
                data[name] = correct if right else (wrong[:1] or correct[:-1] or [])
            elif q.kind == "text":
                data[name] = q.answer["accepted"][0] if right else "câu trả lời sai"
            else:
                value = q.answer["values"][0][0]
                data[name] = f"{value:g}" if right else f"{value + 1000:g}"
        return data


def _publish(engine: Engine, courses: list[CompiledCourse]) -> None:
    with Session(engine) as s:
        factories.publish(s, courses, utcnow())


@pytest.fixture
def demo(app: Flask, clean_db: Engine, demo_content: list[CompiledCourse]) -> Flask:
    """The demo content live, published by the real publishing service (like `published`, minus the search
    index, and without rendering the Markdown again for every test)."""
    _publish(clean_db, demo_content)
    return app


@pytest.fixture
def whole_pool(app: Flask, clean_db: Engine, whole_pool_content: list[CompiledCourse]) -> Flask:
    """Like `demo`, but every attempt holds the quiz's whole question pool."""
    _publish(clean_db, whole_pool_content)
    return app
