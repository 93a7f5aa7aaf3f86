"""Quarters and the quarterly reporting calendar, defined once (docs/reporting.md, "Quarterly reports").

Every party cell and commune reports its results quarterly, **before the 15th of the last month of the
quarter** (the provincial plans, e.g. Hà Nội 05-KH/BCĐ57, TP.HCM 08-KH/BCĐT). Here:

- a quarter is written `2025Q3` (machine form) and shown "Quý III/2025" / "Q3 2025";
- the report of a quarter can be closed from the first day of its last month (a unit closes it once its
  figures for the quarter are in: the plans ask for the report before the quarter ends);
- the **deadline** is 00:00 on the 15th of the last month, Vietnam time (UTC+7, no daylight saving): a report
  closed before it is on time, one closed later is late (still accepted, and shown as late);
- the figures of a report are those **as of the moment it is closed** (its cutoff): frozen then, later
  events cannot change them.

Pure: no database, no clock (the caller passes `now`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Literal

VIETNAM = timezone(timedelta(hours=7), "ICT")
DEADLINE_DAY = 15
ROMAN = ("I", "II", "III", "IV")
_PATTERN = re.compile(r"^\s*([0-9]{4})\s*-?\s*[Qq]\s*([1-4])\s*$", re.ASCII)

Status = Literal["not_open", "open", "overdue", "on_time", "late"]


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1-4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a quarter: {self.year}Q{self.number}")

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """`2025Q3` (also `2025-Q3`, `2025q3`); ValueError for anything else."""
        match = _PATTERN.match(text or "")
        if not match:
            raise ValueError(f"not a quarter (expected e.g. 2025Q3): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date | datetime) -> "Quarter":
        """The quarter a day falls in; a datetime is read in Vietnam time."""
        if isinstance(day, datetime):
            day = day.astimezone(VIETNAM).date() if day.tzinfo else day.date()
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    def label(self, locale: str = "vi") -> str:
        return f"Quý {ROMAN[self.number - 1]}/{self.year}" if locale == "vi" else f"Q{self.number} {self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next.first_day - timedelta(days=1)

    @property
    def last_month(self) -> int:
        return 3 * self.number

    @property
    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def start(self) -> datetime:
        """00:00 Vietnam time on the first day (an aware datetime)."""
        return datetime.combine(self.first_day, time(), VIETNAM)

    @property
    def end(self) -> datetime:
        """00:00 Vietnam time on the first day of the next quarter (exclusive)."""
        return self.next.start

    @property
    def opens(self) -> datetime:
        """From when the quarter's report can be closed: the first day of its last month, 00:00 Vietnam time."""
        return datetime.combine(date(self.year, self.last_month, 1), time(), VIETNAM)

    @property
    def deadline(self) -> datetime:
        """00:00 Vietnam time on the 15th of the last month: reports closed before it are on time."""
        return datetime.combine(date(self.year, self.last_month, DEADLINE_DAY), time(), VIETNAM)


def quarters(first: Quarter, last: Quarter) -> Iterator[Quarter]:
    """Every quarter from `first` to `last`, both included."""
    q = first
    while q <= last:
        yield q
        q = q.next


def can_close(quarter: Quarter, now: datetime) -> bool:
    """Whether the report of `quarter` may be closed at `now` (from its opening on; late ones too)."""
    return now >= quarter.opens


def status(quarter: Quarter, now: datetime, submitted_at: datetime | None) -> Status:
    """Where a unit's report of `quarter` stands at `now`: on time / late (by its first submission, the one
    a correction never changes), else not open yet, open (before the deadline) or overdue."""
    if submitted_at is not None:
        return "on_time" if submitted_at < quarter.deadline else "late"
    if now < quarter.opens:
        return "not_open"
    return "open" if now < quarter.deadline else "overdue"


def reporting_quarter(now: datetime) -> Quarter:
    """The quarter an official closes at `now`: the current one once its last month has begun, otherwise the
    previous one (which may still be outstanding, late)."""
    current = Quarter.of(now)
    return current if now >= current.opens else current.previous
