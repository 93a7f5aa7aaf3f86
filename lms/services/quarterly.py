"""Closing a quarter: a unit's figures frozen into a signed report, corrections as new versions, and which
child units have submitted (docs/reporting.md, "Quarterly reports"). Nothing here commits.

The figures come from the caller (the reporting service's figures for the unit at this moment), so a report
holds exactly what the official saw when closing it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import certificates as certs
from ..domain import quarterly_report as qr
from ..domain import strict_json
from ..domain.quarters import Quarter, Status, can_close, status
from ..models import QuarterlyReport, Unit, User
from . import certificates, reports, units


class Refused(Exception):
    """`reason`: not_open (before the quarter's last month), stale (another version was closed since the
    official's page was drawn: nothing written), note_required (a correction says why), bad_figures."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def versions(session: Session, unit: Unit, quarter: Quarter) -> list[QuarterlyReport]:
    """Every submitted version of the unit's report of `quarter`, oldest first."""
    return list(session.scalars(select(QuarterlyReport).where(
        QuarterlyReport.unit_id == unit.id, QuarterlyReport.quarter == str(quarter))
        .order_by(QuarterlyReport.version)))


def close(session: Session, user: User, unit: Unit, quarter: Quarter, now: datetime,
          figures: Sequence[Mapping[str, Any]], settings: certificates.Settings, *, seen_version: int,
          program: str | None = None, note: str = "") -> QuarterlyReport:
    """Freeze `figures` (as of `now`) into the next version of the unit's report and sign it.

    `seen_version` is the latest version the official's page showed (0: none): if another was closed since,
    nothing is written (Refused("stale")), so a double submit or two officials at once never make two
    versions from one decision. A correction (version 2 on) needs a `note` saying why."""
    if not can_close(quarter, now):
        raise Refused("not_open")
    existing = versions(session, unit, quarter)
    latest = existing[-1] if existing else None
    if (latest.version if latest else 0) != seen_version:
        raise Refused("stale")
    note = note.strip()
    if latest is not None and not note:
        raise Refused("note_required")
    key_row, key = certificates.active_key(session, settings.keys_dir, now)
    version = seen_version + 1
    try:
        document = qr.build(unit_code=unit.code, unit_name=unit.name, quarter=quarter, cutoff=now, figures=figures,
                            submitted_by=user.full_name, version=version,
                            supersedes=latest.report_id if latest else None, program=program,
                            key_id=key_row.kid, issuer=settings.issuer_name)
    except qr.ReportError as error:
        raise Refused("bad_figures", str(error)) from error
    row = QuarterlyReport(report_id=document["id"], unit_id=unit.id, quarter=str(quarter), version=version,
                          supersedes_id=latest.id if latest else None, submitted_by_id=user.id,
                          submitted_at=now, document=certs.canonical(document).decode("utf-8"),
                          signature=qr.sign(key, document), key_id=key_row.kid, note=note[:500])
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as error:  # the same version closed by a concurrent request
        raise Refused("stale") from error
    return row


@dataclass(frozen=True)
class Submission:
    unit: Unit
    status: Status
    first_submitted_at: datetime | None
    latest_version: int


def submissions(session: Session, parent: Unit, quarter: Quarter, now: datetime) -> list[Submission]:
    """For each unit directly under `parent`: whether its report of `quarter` came on time (by its first
    version: a correction does not make a late report on time, nor an on-time one late), late, or not yet."""
    kids = units.children(session, parent)
    rows = session.execute(select(QuarterlyReport.unit_id, func.min(QuarterlyReport.submitted_at),
                                  func.max(QuarterlyReport.version))
                           .where(QuarterlyReport.unit_id.in_([u.id for u in kids]),
                                  QuarterlyReport.quarter == str(quarter))
                           .group_by(QuarterlyReport.unit_id)).all()
    found = {unit_id: (first, latest) for unit_id, first, latest in rows}
    out = []
    for kid in kids:
        first, latest = found.get(kid.id, (None, 0))
        out.append(Submission(kid, status(quarter, now, first), first, latest))
    return out


def verify(session: Session, document_text: str | bytes, signature: str) -> dict[str, Any] | None:
    """The report document if `signature` is the platform's signature of exactly it, else None."""
    try:
        document = strict_json.loads(document_text)
    except (strict_json.Refused, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    return document if qr.verify(document, signature, certificates.public_keys(session)) else None


def as_file(report: QuarterlyReport) -> dict[str, Any]:
    """The downloadable, verifiable form: the document and its signature."""
    return {"document": json.loads(report.document), "signature": report.signature}


# --- what the officials' pages read ------------------------------------------------------------------------

def figures_to_freeze(session: Session, unit: Unit, quarter: Quarter,
                      read: tuple[int, list[reports.Figures]] | None = None) -> list[dict[str, Any]]:
    """The unit's figures per target group as the reporting service gives them now for `quarter`, in the
    form a report freezes (whole numbers only: the rate is not frozen, its counts are). The closing page shows
    exactly these rows, and `close` is given them. `read`: (period, figures) the caller has just read with
    reports.figures and no filter, used when it is this quarter's."""
    period = quarter.year * 10 + quarter.number
    found = read[1] if read is not None and read[0] == period else reports.figures(session, unit.code, period)
    return [{"group": f.group, "registered": f.registered, "verified": f.verified, "started": f.started,
             "completed": f.completed, "achieved": f.achieved, "population": f.population,
             "population_source": f.population_source, "target_percent": f.target}
            for f in found]


@dataclass(frozen=True)
class QuarterState:
    """Where a unit's report of one quarter stands, for its official's page."""

    quarter: Quarter
    status: Status
    versions: list[QuarterlyReport]

    @property
    def latest_version(self) -> int:
        return self.versions[-1].version if self.versions else 0

    @property
    def can_close(self) -> bool:
        return self.status != "not_open"


def state(session: Session, unit: Unit, quarter: Quarter, now: datetime) -> QuarterState:
    found = versions(session, unit, quarter)
    return QuarterState(quarter, status(quarter, now, found[0].submitted_at if found else None), found)


def history(session: Session, unit: Unit) -> list[tuple[Quarter, list[QuarterlyReport]]]:
    """Every report of the unit, by quarter (newest quarter first), each quarter's versions oldest first."""
    rows = session.scalars(select(QuarterlyReport).where(QuarterlyReport.unit_id == unit.id)
                           .order_by(QuarterlyReport.quarter.desc(), QuarterlyReport.version))
    out: dict[str, list[QuarterlyReport]] = {}
    for row in rows:
        out.setdefault(row.quarter, []).append(row)
    return [(Quarter.parse(q), found) for q, found in out.items()]


def by_report_id(session: Session, unit: Unit, report_id: str) -> QuarterlyReport | None:
    """The report with this id if it is one of `unit`'s own (a report of another unit: None)."""
    return session.scalar(select(QuarterlyReport).where(QuarterlyReport.report_id == report_id,
                                                        QuarterlyReport.unit_id == unit.id))
