"""The commune's follow-up list ("đi từng ngõ, gõ từng nhà", docs/reporting.md, "Follow-up list"): the
registered learners of one commune who are not verified, stalled, or one course short of their group's
programme, with their contact as they gave it and the masked ID only.

A list of people cannot be a summary, so this reads the base tables (`user_account`, with `report_person`
for the stage, and `certificate`, `enrolment`, `lesson_progress` through correlated sub-queries on their
per-user indexes): **one** statement per page, driven by the index `ix_user_account_commune` on
(`commune_code`, `id`), and a page is at most `PAGE_SIZE` people. The export walks the same statement by
keyset (`id > last`) in batches, so it streams whatever the commune's size.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..models import Certificate, Course, Enrolment, LessonProgress, ReportPerson, Unit, User
from . import programs

PAGE_SIZE = 50
BATCH = 500
STALLED_DAYS = 30  # no registration, verification, enrolment, lesson or completion in the last 30 days
VERIFIED_LEVEL = 2

# What a person needs next (the web layer words each in the reader's language).
VERIFY, ONE_COURSE, JOIN, CONTINUE = "verify", "one_course", "join", "continue"


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    phone: str | None
    email: str | None
    id_masked: str | None
    stage: str  # registered, verified, started, completed (achievement.Stage names)
    need: str  # VERIFY, ONE_COURSE, JOIN, CONTINUE
    course: str | None  # ONE_COURSE: the title of the missing course


@dataclass(frozen=True)
class Page:
    people: list[Person]
    page: int
    has_next: bool


@dataclass(frozen=True)
class _Plan:
    """The statement's parts that depend on the programmes of the year (read once per request)."""

    required: dict[int, list[int]]  # group -> required course ids
    titles: dict[int, str]


def _plan(session: Session, year: int) -> _Plan:
    required: dict[int, list[int]] = {}
    slugs: dict[str, int] = dict(session.execute(select(Course.slug, Course.id)).all())  # type: ignore[arg-type]
    for group in (1, 2, 3, 4):
        requirement = programs.live_for(session, group, year)
        if requirement is not None:
            required[group] = sorted(slugs[s] for s in requirement.courses if s in slugs)
    titles: dict[int, str] = {}
    wanted = sorted({c for ids in required.values() for c in ids})
    if wanted:
        from ..models import CourseVersion
        titles = dict(session.execute(select(Course.id, CourseVersion.title)
                                      .join(CourseVersion, CourseVersion.id == Course.published_version_id)
                                      .where(Course.id.in_(wanted))).all())  # type: ignore[arg-type]
    return _Plan(required, titles)


def _statement(commune: Unit, plan: _Plan, now: datetime) -> tuple[Select, list[int]]:  # type: ignore[type-arg]
    u = User
    cutoff = now - timedelta(days=STALLED_DAYS)
    verified = and_(u.person_hash.is_not(None), func.coalesce(u.id_level, 0) >= VERIFIED_LEVEL)
    courses = sorted({c for ids in plan.required.values() for c in ids})
    has = {c: exists().where(Certificate.user_id == u.id, Certificate.course_id == c,
                             Certificate.revoked_at.is_(None)) for c in courses}
    held: ColumnElement[int] = literal(0)
    for c in courses:
        groups = [g for g, ids in plan.required.items() if c in ids]
        held = held + case((and_(u.target_group.in_(groups), has[c]), 1), else_=0)
    needed = case(*[(u.target_group == g, len(ids)) for g, ids in plan.required.items() if ids], else_=0) \
        if any(plan.required.values()) else literal(0)
    missing = needed - held
    recent = or_(u.created_at >= cutoff, and_(u.verified_at.is_not(None), u.verified_at >= cutoff),
                 exists().where(Enrolment.user_id == u.id,
                                or_(Enrolment.enrolled_at >= cutoff, Enrolment.completed_at >= cutoff)),
                 exists().where(LessonProgress.user_id == u.id, LessonProgress.done_at >= cutoff))
    achieved = ReportPerson.achieved_program != ""
    one_short = and_(verified, needed > 0, missing == 1)
    stalled = and_(verified, or_(ReportPerson.user_id.is_(None), ~achieved), ~recent)
    columns = [u.id, u.target_group, u.full_name, u.phone, u.email, u.id_masked, verified.label("verified"),
               ReportPerson.started, ReportPerson.completed, one_short.label("one_short"),
               *[has[c].label(f"has_{c}") for c in courses]]
    return (select(*columns).outerjoin(ReportPerson, ReportPerson.user_id == u.id)
            .where(u.commune_code == commune.code, u.active.is_(True), u.role == "learner",
                   or_(~verified, one_short, stalled))
            .order_by(u.id)), courses


def _person(row, plan: _Plan) -> Person:  # type: ignore[no-untyped-def]
    started, completed = bool(row.started), bool(row.completed)
    if not row.verified:
        stage, need = "registered", VERIFY
    else:
        stage = "completed" if completed else "started" if started else "verified"
        need = ONE_COURSE if row.one_short else CONTINUE if started else JOIN
    course = None
    if need == ONE_COURSE:
        lacking = [c for c in plan.required.get(row.target_group, []) if not getattr(row, f"has_{c}")]
        course = next((plan.titles.get(c) for c in lacking if c in plan.titles), None)
    return Person(row.id, row.full_name, row.phone, row.email, row.id_masked, stage, need, course)


def page(session: Session, commune: Unit, number: int, *, now: datetime, size: int = PAGE_SIZE) -> Page:
    """One page of the commune's follow-up list, by account id (one statement)."""
    plan = _plan(session, now.year)
    statement, courses = _statement(commune, plan, now)
    rows = session.execute(statement.offset((max(1, number) - 1) * size).limit(size + 1)).all()
    return Page([_person(r, plan) for r in rows[:size]], number,
                len(rows) > size)


def every(session: Session, commune: Unit, *, now: datetime, batch: int = BATCH) -> Iterator[Person]:
    """The whole list, in batches of `batch` by keyset (constant memory: for a streamed export)."""
    plan = _plan(session, now.year)
    statement, courses = _statement(commune, plan, now)
    last = 0
    while True:
        rows = session.execute(statement.where(User.id > last).limit(batch)).all()
        for r in rows:
            yield _person(r, plan)
        if len(rows) < batch:
            return
        last = rows[-1].id

