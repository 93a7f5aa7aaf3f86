"""Fixtures for the web tests: the demo content published cheaply (`demo`, `whole_pool`), row counts, a second
learner's browser, and quiz answers built from the key stored in the database (the page never carries it, so
a test looks it up like the grader does)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lms.domain import content
from lms.domain.content import CompiledCourse
from lms.models import Course, Question, QuizAttempt, utcnow
from lms.services import publishing
from tests.conftest import REPO, Auth

LUA_DAO = "nhan-dien-lua-dao"
VNEID = "dung-vneid-dich-vu-cong"
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


def _compile(root: Path, draw_all: bool = False) -> list[CompiledCourse]:
    """Compile a private copy of the demo content (edits elsewhere in the tree cannot race with a run)."""
    shutil.copytree(REPO / "courses", root / "courses")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    if draw_all:
        for quiz in (root / "quizzes").glob("*.md"):
            text = quiz.read_text(encoding="utf-8")
            quiz.write_text(re.sub(r"(?m)^draw:.*\n", "", text, count=1), encoding="utf-8")
    result = content.load(root)
    assert not result.problems, result.problems
    return result.courses


@pytest.fixture(scope="session")
def demo_content(tmp_path_factory: pytest.TempPathFactory) -> list[CompiledCourse]:
    """The demo courses compiled once per run."""
    return _compile(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def whole_pool_content(tmp_path_factory: pytest.TempPathFactory) -> list[CompiledCourse]:
    """The demo courses with quizzes that draw their whole pool: every question, of every kind, in each
    attempt, so tests that need a given kind of question do not depend on the random draw."""
    return _compile(tmp_path_factory.mktemp("whole-pool"), draw_all=True)


def _publish(engine: Engine, courses: list[CompiledCourse]) -> None:
    with Session(engine) as s:
        publishing.publish(s, courses, utcnow())
        s.commit()


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
