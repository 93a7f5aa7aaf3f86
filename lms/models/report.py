"""Reporting facts and summary tables (docs/reporting.md, "Facts and summary tables").

- `report_fact`: the ledger. Every event that changes a figure (registration, verification, enrolment,
  completion, certificate issue, revocation, a move) appends one row per place it touches, with the
  person's province, commune and group **at that moment**, the quarter it falls in and a signed delta per
  measure. Facts are never updated: a past quarter is the sum of the facts up to its end, so it does not
  change when someone moves later.
- `report_person`: where each person stands now (their place, group and funnel flags), so the next event
  knows which deltas it makes; one row per account (the identity service keeps one account per person).
- `report_summary`: the sum of the facts by unit × period × group × program × course, kept for every
  level (commune, province, nation), updated by an UPSERT in the transaction of the event. A figure as of
  a quarter is the sum of the rows of the periods up to it (at most a few per year).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

# The measures, in the order of the columns of report_fact and report_summary. The first five are the
# funnel of people (docs/reporting.md "The funnel"); the last three count a course's events.
MEASURES = ("registered", "verified", "started", "completed", "achieved", "enrolled", "course_completed",
            "certified")
NATION = "VN"


class ReportFact(Base):
    __tablename__ = "report_fact"
    __table_args__ = (Index("ix_report_fact_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    period: Mapped[int]  # the quarter, year * 10 + quarter: 20253 is 2025Q3
    user_id: Mapped[int]  # no foreign key: the ledger outlives a deleted account
    province_code: Mapped[str] = mapped_column(String(2))  # "" when unknown
    commune_code: Mapped[Optional[str]] = mapped_column(String(20))
    target_group: Mapped[int] = mapped_column(SmallInteger)
    program: Mapped[str] = mapped_column(String(100), default="")  # achievements: the program judged under
    course_id: Mapped[int] = mapped_column(default=0)  # course measures: the course; else 0
    registered: Mapped[int] = mapped_column(SmallInteger, default=0)
    verified: Mapped[int] = mapped_column(SmallInteger, default=0)
    started: Mapped[int] = mapped_column(SmallInteger, default=0)
    completed: Mapped[int] = mapped_column(SmallInteger, default=0)
    achieved: Mapped[int] = mapped_column(SmallInteger, default=0)
    enrolled: Mapped[int] = mapped_column(SmallInteger, default=0)
    course_completed: Mapped[int] = mapped_column(SmallInteger, default=0)
    certified: Mapped[int] = mapped_column(SmallInteger, default=0)


class ReportPerson(Base):
    __tablename__ = "report_person"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[Optional[str]] = mapped_column(String(20))
    target_group: Mapped[int] = mapped_column(SmallInteger)
    verified: Mapped[bool] = mapped_column(default=False)  # at the default level (2) or higher
    started: Mapped[bool] = mapped_column(default=False)  # joined a course (or holds a certificate)
    completed: Mapped[bool] = mapped_column(default=False)  # holds at least one valid certificate
    achieved_program: Mapped[str] = mapped_column(String(100), default="")  # "" when not achieved
    achieved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ReportSummary(Base):
    __tablename__ = "report_summary"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[int] = mapped_column(primary_key=True)
    target_group: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    program: Mapped[str] = mapped_column(String(100), primary_key=True, default="")
    course_id: Mapped[int] = mapped_column(primary_key=True, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    achieved: Mapped[int] = mapped_column(Integer, default=0)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    course_completed: Mapped[int] = mapped_column(Integer, default=0)
    certified: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportTarget(Base):
    """A plan's target: percent of a unit's group to achieve in a year (inherited by the units below)."""

    __tablename__ = "report_target"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    target_group: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    percent: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(200), default="")


class ReportPopulation(Base):
    """The target population (denominator) of a unit's group in a year, with its source and date."""

    __tablename__ = "report_population"

    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    target_group: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    population: Mapped[int]
    source: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)  # the date the source gives the figure for
