"""Officials and their scope, and the audit log of what officials see and do (issue 8, section 3).

An `OfficialGrant` gives one account one role on one administrative unit, and through it on every unit below
(the unit's materialised path is a prefix of theirs): `official` sees the unit's figures and data,
`unit_admin` manages the officials of the subtree and reads its audit log. A grant is never deleted: revoking
it stamps `revoked_at`, so who could see what, and when, stays known. docs/reporting.md#officials-and-scope."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .unit import Unit
from .user import User

GRANT_ROLES = ("official", "unit_admin")


class OfficialGrant(Base):
    """One role of one account on one unit (and its subtree), from granted_at until revoked_at."""

    __tablename__ = "official_grant"
    __table_args__ = (
        CheckConstraint("role IN ('official', 'unit_admin')", name="role"),
        Index("ix_official_grant_user_active", "user_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[str] = mapped_column(String(120))  # "user:<id>" (the web page) or "cli:<login name>"
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_by: Mapped[Optional[str]] = mapped_column(String(120))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])


class AuditEvent(Base):
    """One audited action: who (`user_id`, or `actor` for the command line), what (`action`, `detail`, and
    the account it was about, `subject_id`), when (`at`), which unit, and from which client address."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    subject_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    detail: Mapped[str] = mapped_column(String(500), default="")
    client: Mapped[Optional[str]] = mapped_column(String(64))

    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])
    subject: Mapped[Optional[User]] = relationship(foreign_keys=[subject_id])
    unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[unit_id])
