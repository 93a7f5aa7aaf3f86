"""Fixtures for service tests: a fixed clock of their own (the demo content is compiled once per run in
tests/conftest.py, `courses` publishes it at this clock) and learners made by tests/factories.py."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import pytest
from sqlalchemy.orm import Session

from lms.models import User
from tests import factories

NOW = datetime(2025, 7, 1, 8, 0, tzinfo=timezone.utc)
SCAM = factories.SCAM
VNEID = factories.VNEID


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Registers (and commits) a learner through the real service; each call needs a distinct e-mail."""
    def make(email: str = "an@example.vn", phone: str | None = None,
             password: str = factories.PASSWORD) -> User:
        return factories.make_user(session, email, phone=phone, password=password, when=NOW)
    return make


@pytest.fixture
def make_learner(session: Session) -> Callable[..., User]:
    """A learner row for tests that never sign in: skips the deliberately slow password hash."""
    def make(email: str = "an@example.vn") -> User:
        return factories.make_user(session, email, password=None, when=NOW)
    return make
