"""Completion certificates and the public keys that verify their signatures.

A certificate is issued once per person (by identity hash) per course. Its signed payload and Open Badges
credential are frozen at issue; revocation is recorded beside them, never by editing them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("person_hash", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    person_hash: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(200))
    competencies: Mapped[list[str]] = mapped_column(JSON)
    level: Mapped[int]
    issuer_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the canonical payload that was signed
    signature: Mapped[str] = mapped_column(Text)  # base64url Ed25519 signature over the canonical payload
    key_id: Mapped[str] = mapped_column(String(64))
    credential: Mapped[str] = mapped_column(Text)  # the signed Open Badges 3.0 credential, as issued
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[Optional[str]] = mapped_column(Text)


class SigningKey(Base):
    """A public certificate-signing key; the private half stays in the instance folder of the issuer."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="Ed25519")
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
