"""The audit log of officials' work: every view of personal data, every export, the unit admin's pages and
every grant or revocation (docs/reporting.md#the-audit-log). A row is added to the caller's session, so it is
written in the same transaction as the request's work (and rolled back with it); nothing here commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..models import AuditEvent, Unit, User
from . import units as units_service

# What is logged, one code per kind of action (the audit page names each in the reader's language).
ACTIONS = ("view_officials", "view_audit", "grant", "revoke", "view_people", "export", "close_quarter")
PAGE_SIZE = 50


def actor_of(user: User | None, cli: str | None = None) -> str:
    """How an audit row names who acted: "user:<id>" for an account, or the command line's "cli:<name>"."""
    return f"user:{user.id}" if user is not None else (cli or "cli")


def record(session: Session, user: User | None, action: str, unit: Unit | str | None, detail: str = "", *,
           now: datetime, client: str | None = None, subject: User | None = None,
           cli: str | None = None) -> AuditEvent:
    """Add one audit row: `user` (None on the command line, then `cli` names the operator) did `action` on
    `unit` (a Unit or its code) at `now` from `client` (the request's address); `subject` is the account it was
    about, `detail` a short description (no ID numbers). Added to the session, flushed with the request's
    other writes."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if isinstance(unit, str):
        unit = units_service.by_code(session, unit)
    event = AuditEvent(at=now, user_id=user.id if user is not None else None, actor=actor_of(user, cli)[:120],
                       action=action, unit_id=unit.id if unit is not None else None,
                       subject_id=subject.id if subject is not None else None, detail=detail[:500],
                       client=(client or None) and client[:64])
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditPage:
    """One page of a subtree's audit log, newest first."""

    events: list[AuditEvent]
    page: int
    has_next: bool
    total: int


def log_of(session: Session, unit: Unit, page: int = 1, size: int = PAGE_SIZE) -> AuditPage:
    """The audit rows of `unit` and every unit below it, newest first, `size` per page (page 1 first). Rows
    with no unit (none are written by the web pages) are not part of any subtree."""
    page = max(1, page)
    in_subtree = AuditEvent.unit_id.in_(units_service.subtree_ids(unit))
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(in_subtree)) or 0
    rows = list(session.scalars(
        select(AuditEvent).where(in_subtree)
        .options(joinedload(AuditEvent.user), joinedload(AuditEvent.subject), joinedload(AuditEvent.unit))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * size).limit(size + 1)))
    return AuditPage(rows[:size], page, len(rows) > size, total)
