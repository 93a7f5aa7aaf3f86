"""Accounts: learners, teachers, officials and administrators."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Index, String, select, Select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

ROLES = ("learner", "teacher", "official", "admin")


class User(Base):
    __tablename__ = "user_account"
    # The commune's follow-up list pages through its accounts by id (lms/services/followup.py).
    __table_args__ = (Index("ix_user_account_commune", "commune_code", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[Optional[str]] = mapped_column(String(254), unique=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    target_group: Mapped[int]
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[Optional[str]] = mapped_column(String(5))
    role: Mapped[str] = mapped_column(String(16), default="learner")
    locale: Mapped[Optional[str]] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Verified identity (VNeID). The national ID number itself is never stored: `person_hash` is a keyed hash
    # (HMAC under the instance identity key) that recognises the person, `id_masked` is for display only.
    person_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    id_masked: Mapped[Optional[str]] = mapped_column(String(12))
    id_level: Mapped[Optional[int]]  # VNeID account level: 1 basic, 2 full electronic identity
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    birth_date: Mapped[Optional[date]]
    sex: Mapped[Optional[str]] = mapped_column(String(6))  # "male" | "female", as verified

    # Flask-Login protocol, kept here so the model stays free of Flask imports.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    # The login this object was loaded for (lms.services.sessions): Flask-Login keeps get_id() in the session
    # and the remember cookie, so both name one server-side login that logout and sign-out-all delete.
    login_token = None

    def get_id(self) -> str:
        if not self.login_token:
            raise RuntimeError("log in through lms.services.sessions.start, which gives the login a token")
        return f"{self.id}:{self.login_token}"

    @staticmethod
    def by_login(login: str) -> Select[tuple["User"]]:
        """The user whose e-mail or phone number is `login` (already normalised)."""
        return select(User).where((User.email == login) | (User.phone == login))
