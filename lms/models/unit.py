"""The administrative tree: the nation, its provinces, their communes and, optionally, the communes' thôn and
tổ dân phố; with effective dates and successors (merges), and an audit log of every change. Loaded from the
official list by lms.services.units.sync; see docs/reporting.md#administrative-units."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Unit(Base):
    """One administrative unit. `path` is the materialised path of codes from the root ("/VN/01/00070/"), so
    the subtree of a unit is `path LIKE '<its path>%'`. A unit is in force on day D when valid_from <= D and
    (valid_until is empty or D < valid_until); a merged unit has valid_until = the merge's effective date
    and its successor."""

    __tablename__ = "admin_unit"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="level"),
        CheckConstraint("(valid_until IS NULL) = (successor_id IS NULL)", name="merged_has_successor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[int] = mapped_column(SmallInteger)  # 0 nation, 1 province, 2 commune, 3 thôn / tổ dân phố
    kind: Mapped[str] = mapped_column(String(24))  # nation, province, city, commune, ward, special-zone, village…
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True)
    official: Mapped[bool] = mapped_column(default=False)  # from the official list (sync), not imported
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[Optional[date]] = mapped_column(Date)
    successor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_unit.id"))

    parent: Mapped[Optional["Unit"]] = relationship(remote_side=[id], foreign_keys=[parent_id])
    successor: Mapped[Optional["Unit"]] = relationship(remote_side=[id], foreign_keys=[successor_id])

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on < self.valid_until)


class UnitChange(Base):
    """The audit log of the tree: who changed what, when, and from which day it holds. A merge is one row per
    merged unit (target = its successor); a rename keeps the old and the new name; an import names the
    commune and how many units it received."""

    __tablename__ = "admin_unit_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))  # merge | rename | import
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    target_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_unit.id"))
    effective: Mapped[date] = mapped_column(Date)
    old_value: Mapped[Optional[str]] = mapped_column(String(255))
    new_value: Mapped[Optional[str]] = mapped_column(String(255))

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    target: Mapped[Optional[Unit]] = relationship(foreign_keys=[target_id])
