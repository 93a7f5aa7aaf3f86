"""Quarterly reports: a unit's figures for a quarter, frozen at closing and signed (lms/domain/quarterly_report)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .unit import Unit
from .user import User


class QuarterlyReport(Base):
    """One submitted version of a unit's report of a quarter. Never updated: a correction is a new row with
    the next version that names the one it supersedes; every version is kept."""

    __tablename__ = "quarterly_report"
    __table_args__ = (UniqueConstraint("unit_id", "quarter", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(64), unique=True)  # HVS-R-<unit>-<quarter>-v<n>
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))  # 2025Q3
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[Optional[int]] = mapped_column(ForeignKey("quarterly_report.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(Text)  # the signed document, canonical JSON (every byte counts)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")  # why a correction was made

    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User] = relationship()
