"""The one set of test factories: users, verified people and published courses, each made by the real
services (accounts, identity, publishing), never by a stand-in. Plain functions take a session (or an
engine); the fixtures at the bottom bind them to the test's session and are imported by tests/conftest.py,
so every test can use them.

- `make_user(session, email=...)`: an account registered by the accounts service with PASSWORD (a password
  the zxcvbn policy accepts), committed; `password=None` gives an account that cannot log in and skips the
  deliberately slow password hash.
- `account(session, email, name=, group=, province=, commune=, when=)`: an account row (no password, no
  commit) at a given place and moment, with its registration fact, for the reporting tests that build
  populations by the hundred.
- `verify_identity(user, number, level)`: the account verified as the person with this ID number through the
  identity service (`identity.link`, what the VNeID callback calls), flushed in the user's session. Tests
  that need the real VNeID flow (stub pages, callback) use `Vneid` in tests/web/identity.py instead.
- `person(serial, level=2, verified=True)`: a committed learner verified as fictional person `serial`.
- `publish(session, compiled, when)`: compiled courses published by the publishing service, committed; the
  courses by slug. The demo content is compiled once per run by the `demo_load` fixture (tests/conftest.py;
  `demo_content` is its courses).
- `complete(session, user, course)`: the course recorded as completed (what learning.update_completion stamps).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from lms.domain import idnumber
from lms.domain.content import CompiledCourse
from lms.domain.verified_identity import VerifiedIdentity
from lms.models import Course, Enrolment, User
from lms.services import accounts, certificates, facts, identity, publishing

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
SCAM = "nhan-dien-lua-dao"
VNEID = "dung-vneid-dich-vu-cong"
PASSWORD = "mat-khau-dai-123"  # accepted by the password policy (lms/domain/passwords.py, zxcvbn score ≥ 3)
IDENTITY_KEY = b"test-identity-key"
BASE_URL = "https://hocvuso.example.vn"
BIRTH_DATE = date(1990, 5, 17)
SHARED = REPO.parent / "shared"  # the project's shared folder, beside the repository (as in CI)
SCHEMA = SHARED / "reference" / "openbadges-3.0" / "achievementcredential.schema.json"


def id_number(serial: int) -> str:
    """A structurally valid fictional ID number (Hà Nội, born 17/05/1990, female)."""
    return idnumber.generate("001", BIRTH_DATE, "female", serial)


def make_user(session: Session, email: str | None = "an@example.vn", *, name: str = "Nguyễn Văn An",
              phone: str | None = None, password: str | None = PASSWORD, role: str = "learner",
              when: datetime = NOW) -> User:
    """An account registered by the accounts service with `password`, committed. With `password=None` the
    same row is added directly with the password hash "!" (no password matches it): the account cannot log
    in, and tests that never sign in are spared the deliberately slow password hash."""
    if password is None:
        user = User(full_name=name, email=email, phone=phone, password_hash="!", target_group=3,
                    province_code="01", commune_code="00070", created_at=when)
        session.add(user)
    else:
        user = accounts.register(session, accounts.Registration(
            full_name=name, email=email, phone=phone, password=password, target_group=3, province_code="01",
            commune_code="00070"), when)
    user.role = role
    session.commit()
    return user


def account(session: Session, email: str | None, *, name: str = "Nguyễn Văn An", group: int = 3,
            province: str = "01", commune: str | None = "00070", when: datetime = NOW) -> User:
    """An account row as accounts.register makes it, without the slow password hash (no password matches
    "!"), flushed, with its registration fact; not committed."""
    user = User(full_name=name, email=email, password_hash="!", target_group=group, province_code=province,
                commune_code=commune, created_at=when)
    session.add(user)
    session.flush()
    facts.registered(session, user, when)
    return user


def verify_identity(user: User, number: str, level: int = 2, when: datetime = NOW,
                    key: bytes = IDENTITY_KEY) -> None:
    """Verify `user` (already in a session) as the person with ID `number` through the identity service,
    as the VNeID callback does; flushed, not committed. The verified name and residence are the account's
    own, so a test's expectations about the holder's name stay those of the account."""
    session = object_session(user)
    assert session is not None, "verify_identity needs a user that belongs to a session"
    person = VerifiedIdentity(number=number, name=user.full_name, birth_date=BIRTH_DATE, sex="female",
                              level=level, province_code=user.province_code, commune_code=user.commune_code)
    identity.link(session, user, identity.IdentityRecord.of(person, key), when)


def publish(session: Session, compiled: list[CompiledCourse], when: datetime = NOW) -> dict[str, Course]:
    """Publish compiled courses with the publishing service, committed; the courses by slug."""
    publishing.publish(session, compiled, when)
    session.commit()
    return {c.slug: c for c in session.scalars(select(Course))}


def complete(session: Session, user: User, course: Course, when: datetime = NOW) -> None:
    """Record the course as completed (what learning.update_completion stamps), committed."""
    session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=when, completed_at=when))
    session.commit()


# --- fixtures (imported by tests/conftest.py for every test) ---------------------------------------------

PersonFactory = Callable[..., User]


@pytest.fixture
def courses(session: Session, demo_content: list[CompiledCourse], now: datetime) -> dict[str, Course]:
    """The demo courses published (at `now`) and committed, by slug, loaded in the test's session."""
    return publish(session, demo_content, now)


@pytest.fixture
def person(session: Session) -> PersonFactory:
    """`person(serial, level=2, verified=True, email=...)`: a committed learner, verified as fictional person
    `serial` through the identity service (or not, with verified=False)."""
    def make(serial: int = 1, level: int = 2, verified: bool = True, email: str | None = None,
             name: str = "Nguyễn Thị Ánh Hường") -> User:
        user = make_user(session, email or f"hoc-vien-{serial}@example.vn", name=name, password=None)
        if verified:
            verify_identity(user, id_number(serial), level)
            session.commit()
        return user
    return make


@pytest.fixture
def settings(tmp_path: Path) -> certificates.Settings:
    """Certificate issuing settings with a private keys folder."""
    return certificates.Settings(base_url=BASE_URL, keys_dir=tmp_path / "keys", issuer_name="Học Vụ Số",
                                 min_level=2)
