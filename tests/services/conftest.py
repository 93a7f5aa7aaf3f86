"""Fixtures for service tests: a fixed clock, learners, and the demo content compiled and published."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.domain import content
from lms.domain.content import CompiledCourse
from lms.models import Course, User
from lms.services import accounts, publishing
from tests.conftest import REPO

NOW = datetime(2025, 7, 1, 8, 0, tzinfo=timezone.utc)
SCAM = "nhan-dien-lua-dao"
VNEID = "dung-vneid-dich-vu-cong"


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def demo_courses(tmp_path_factory: pytest.TempPathFactory) -> list[CompiledCourse]:
    """The demo content compiled once per run (rendering it takes a noticeable fraction of a second)."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "courses", root / "courses")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    result = content.load(root)
    assert result.problems == []
    return result.courses


@pytest.fixture
def courses(session: Session, demo_courses: list[CompiledCourse]) -> dict[str, Course]:
    """The demo courses published and committed, by slug."""
    publishing.publish(session, demo_courses, NOW)
    session.commit()
    return {c.slug: c for c in session.scalars(select(Course))}


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Registers (and commits) a learner through the real service; each call needs a distinct e-mail."""
    def make(email: str = "an@example.vn", phone: str | None = None,
             password: str = "mat-khau-dai-123") -> User:
        user = accounts.register(session, accounts.Registration(
            full_name="Nguyễn Văn An", email=email, phone=phone, password=password, target_group=3,
            province_code="01", commune_code="00070"), NOW)
        session.commit()
        return user
    return make


@pytest.fixture
def make_learner(session: Session) -> Callable[..., User]:
    """A learner row for tests that never sign in: skips the deliberately slow password hash."""
    def make(email: str = "an@example.vn") -> User:
        user = User(full_name="Nguyễn Văn An", email=email, password_hash="!", target_group=3,
                    province_code="01", commune_code="00070", created_at=NOW)
        session.add(user)
        session.commit()
        return user
    return make

