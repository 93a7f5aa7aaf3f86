"""Shared steps of the reporting tests: publish the demo courses and program, make people and events by the
real services at given moments."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.domain import content
from lms.domain.verified_identity import VerifiedIdentity
from lms.models import Course, Enrolment, User
from lms.services import certificates, facts, identity, learning, publishing
from tests import factories

SCAM, VNEID = factories.SCAM, factories.VNEID


def at(y: int, m: int, d: int = 1) -> datetime:
    return datetime(y, m, d, 9, 0, tzinfo=timezone.utc)


def publish_demo(session: Session, result: content.CheckResult) -> dict[str, Course]:
    """Publish the demo courses and programs compiled once per run (the `demo_load` fixture)."""
    publishing.publish(session, result.courses, at(2025, 7, 1))
    publishing.publish_programs(session, result.programs, set(), at(2025, 7, 1))
    session.commit()
    return {c.slug: c for c in session.scalars(select(Course))}


def register(session: Session, name: str, province: str, commune: str | None, group: int, when: datetime) -> User:
    """An account as accounts.register makes it (without the slow password hash), with its registration fact."""
    return factories.account(session, f"{name}@example.vn", name=name, group=group, province=province,
                             commune=commune, when=when)


def verify(session: Session, user: User, serial: int, when: datetime, level: int = 2,
           settings: certificates.Settings | None = None) -> None:
    """Verified through the identity service (residence = the account's place), then the pending
    certificates, as the VNeID callback does."""
    person = VerifiedIdentity(number=factories.id_number(serial), name=user.full_name,
                              birth_date=factories.BIRTH_DATE, sex="female", level=level,
                              province_code=user.province_code, commune_code=user.commune_code)
    identity.link(session, user, identity.IdentityRecord.of(person, factories.IDENTITY_KEY), when)
    if settings is not None:
        certificates.issue_pending(session, user, when, settings)


def complete(session: Session, user: User, course: Course, when: datetime,
             settings: certificates.Settings | None) -> None:
    """Enrolled (if not yet), the enrolment stamped complete as update_completion does, and the certificate."""
    enrolment = learning.enrol(session, user, course, when)
    if enrolment.completed_at is None:
        session.execute(update(Enrolment).where(Enrolment.id == enrolment.id).values(completed_at=when))
        session.refresh(enrolment)
        facts.completed(session, user, course.id, when)
    if settings is not None:
        certificates.issue_if_eligible(session, user, course, when, settings)
