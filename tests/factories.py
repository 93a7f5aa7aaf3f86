"""Fixtures for the certificate tests: the demo courses published, verified people made by setting the
identity fields directly (as the VNeID client would after a verification), completed courses, and the issuing
settings. No component of ours is replaced: issuing, signing and checking are the real code."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.domain import content, idnumber
from lms.domain.content import CompiledCourse
from lms.models import Course, Enrolment, User
from lms.services import certificates, publishing
from tests.conftest import REPO

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
SCAM = "nhan-dien-lua-dao"
VNEID = "dung-vneid-dich-vu-cong"
IDENTITY_KEY = b"test-identity-key"
BASE_URL = "https://hocvuso.example.vn"
SHARED = REPO.parent / "shared"  # the project's shared folder, beside the repository (as in CI)
SCHEMA = SHARED / "reference" / "openbadges-3.0" / "achievementcredential.schema.json"


def id_number(serial: int) -> str:
    """A structurally valid fictional ID number (Hà Nội, born 17/05/1990, female)."""
    return idnumber.generate("001", date(1990, 5, 17), "female", serial)


def verify_identity(user: User, number: str, level: int = 2, when: datetime = NOW) -> None:
    """What a VNeID verification stores on the account: never the number itself."""
    user.person_hash = idnumber.keyed_hash(number, IDENTITY_KEY)
    user.id_masked = idnumber.mask(number)
    user.id_level = level
    user.verified_at = when
    user.birth_date = date(1990, 5, 17)
    user.sex = "female"


@pytest.fixture(scope="session")
def demo_courses(tmp_path_factory: pytest.TempPathFactory) -> list[CompiledCourse]:
    root = tmp_path_factory.mktemp("demo-certificates")
    shutil.copytree(REPO / "courses", root / "courses")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    result = content.load(root)
    assert result.problems == []
    return result.courses


def publish_demo(engine: Engine, demo: list[CompiledCourse]) -> dict[str, int]:
    """Publish the demo courses (committed); course ids by slug."""
    with Session(engine) as s:
        publishing.publish(s, demo, NOW)
        s.commit()
        return {c.slug: c.id for c in s.scalars(select(Course))}


@pytest.fixture
def courses(session: Session, clean_db: Engine, demo_courses: list[CompiledCourse]) -> dict[str, Course]:
    """The demo courses, published, loaded in the test's session."""
    ids = publish_demo(clean_db, demo_courses)
    return {slug: session.get(Course, cid) for slug, cid in ids.items()}  # type: ignore[misc]


@pytest.fixture
def settings(tmp_path: Path) -> certificates.Settings:
    return certificates.Settings(base_url=BASE_URL, keys_dir=tmp_path / "keys", issuer_name="Học Vụ Số",
                                 min_level=2)


PersonFactory = Callable[..., User]


@pytest.fixture
def person(session: Session) -> PersonFactory:
    """`person(serial, level=2, verified=True, email=...)`: a committed learner, verified through VNeID."""
    def make(serial: int = 1, level: int = 2, verified: bool = True, email: str | None = None,
             name: str = "Nguyễn Thị Ánh Hường") -> User:
        user = User(full_name=name, email=email or f"hoc-vien-{serial}@example.vn", password_hash="!",
                    target_group=3, province_code="01", commune_code="00070", created_at=NOW)
        if verified:
            verify_identity(user, id_number(serial), level)
        session.add(user)
        session.commit()
        return user
    return make


def complete(session: Session, user: User, course: Course, when: datetime = NOW) -> None:
    """Record the course as completed (what learning.update_completion stamps), committed."""
    session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=when, completed_at=when))
    session.commit()
