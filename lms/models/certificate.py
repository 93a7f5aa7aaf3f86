"""Completion certificates and the public keys that verify their signatures.

A certificate is issued once per person (by identity hash) per course. Its signed payload is frozen at issue;
revocation is recorded beside it (and published as a bit of a status list), never by editing it. Its Open
Badges credential is replaced only when the credential's form changes (`lms certificates reissue`): same
number, new proof, and the old one recorded as superseded.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("person_hash", "course_id"),
                      UniqueConstraint("status_list", "status_index"))

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
    # lms.domain.openbadges.CREDENTIAL_FORM the credential was made in; rows from before the column are 1
    credential_form: Mapped[int] = mapped_column(default=2, server_default="1")
    # its bit in the revocation Bitstring Status List: list number (from 1) and a random index in that list
    status_list: Mapped[Optional[int]]
    status_index: Mapped[Optional[int]]
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[Optional[str]] = mapped_column(Text)


class SupersededCredential(Base):
    """A credential replaced by a re-issue: enough to recognise the old file when someone presents it (its
    proof value and the SHA-256 of its canonical bytes), not its content — the first form held a guessable
    hash of the ID number, which the platform does not keep."""

    __tablename__ = "superseded_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    form: Mapped[int]
    key_id: Mapped[str] = mapped_column(String(64))
    proof_value: Mapped[str] = mapped_column(String(200), unique=True)
    credential_sha256: Mapped[str] = mapped_column(String(64))
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship()


class HolderCheck(Base):
    """The audit log of "does certificate N belong to the person with ID X?" (never the ID number)."""

    __tablename__ = "holder_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    certificate_number: Mapped[str] = mapped_column(String(64))  # canonical, or as typed (cut to 64)
    client: Mapped[str] = mapped_column(String(64))  # keyed hash of the client IP address
    result: Mapped[str] = mapped_column(String(16))  # match | no_match | unknown | limited


class SigningKey(Base):
    """A public certificate-signing key; the private half stays in the instance folder of the issuer."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="Ed25519")
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
