"""What counts, defined once (docs/reporting.md, "What counts"): is a person "đạt phổ cập" (achieved) under
the program that applies to their group, since when, and how far along the funnel they are.

Pure: the caller gathers a person's facts (their verification, their first enrolment, their certificates with
issue and revocation dates and the competencies each certifies) and the applicable program's requirement;
everything here is a function of those values and of the moment `as_of` at which they are judged, so a
quarter's figures are the same function at the quarter's cutoff.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Iterable, Sequence


class Stage(IntEnum):
    """The funnel, in order. A person is at the last stage whose condition holds together with those of every
    earlier stage, so each stage's count is at most the previous one's, and a person "stops" at the first
    condition they do not meet (e.g. a learner who completed a course but never verified stops at
    REGISTERED: what they need next is verification)."""

    REGISTERED = 1  # has an account
    VERIFIED = 2  # verified through VNeID at the program's level (or the default level)
    STARTED = 3  # joined at least one course (a certificate, even revoked, implies it)
    COMPLETED = 4  # holds at least one valid certificate (any course); implied by ACHIEVED
    ACHIEVED = 5  # holds valid certificates covering every requirement of their group's program


@dataclass(frozen=True)
class Requirement:
    """What the applicable program asks of one group: all these courses (by slug) and all these competencies
    (each certified by some valid certificate), with a verification at least at `vneid_level`."""

    program: str
    version: int
    group: int
    vneid_level: int
    courses: frozenset[str] = frozenset()
    competencies: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.courses and not self.competencies:
            raise ValueError("a requirement names at least one course or competency")


@dataclass(frozen=True)
class HeldCertificate:
    course: str  # the course's slug
    issued_at: datetime
    competencies: frozenset[str] = frozenset()  # as certified (frozen in the certificate at issue)
    revoked_at: datetime | None = None

    def valid(self, as_of: datetime | None = None) -> bool:
        """Issued by `as_of` and not revoked by then (`as_of` None: now, i.e. every fact known)."""
        if as_of is None:
            return self.revoked_at is None
        return self.issued_at <= as_of and (self.revoked_at is None or self.revoked_at > as_of)


@dataclass(frozen=True)
class PersonFacts:
    """One person (counted once, by person hash; an account never verified is its own person)."""

    group: int
    registered_at: datetime
    verified_at: datetime | None = None
    id_level: int | None = None  # VNeID account level (1 basic, 2 full)
    started_at: datetime | None = None  # first enrolment in any course
    certificates: tuple[HeldCertificate, ...] = field(default_factory=tuple)


DEFAULT_VNEID_LEVEL = 2  # where no program applies: the level certificates require


def _at(moment: datetime | None, as_of: datetime | None) -> bool:
    return moment is not None and (as_of is None or moment <= as_of)


def verified(person: PersonFacts, level: int, as_of: datetime | None = None) -> bool:
    return _at(person.verified_at, as_of) and (person.id_level or 0) >= level


def achieved_since(person: PersonFacts, requirement: Requirement | None,
                   as_of: datetime | None = None) -> datetime | None:
    """When the person achieved under `requirement`, or None if they have not (as of `as_of`).

    Achieved: verified at the requirement's level, and holding a valid certificate for every required course
    and, for every required competency, a valid certificate that certifies it. Since: the issue of the last
    certificate needed (for each requirement the earliest valid certificate that meets it), or the
    verification if that came later. A revoked certificate no longer counts, so revoking one that was needed
    withdraws the achievement (or moves its date, if another certificate meets the same requirement).
    """
    if requirement is None or requirement.group != person.group:
        return None
    if not verified(person, requirement.vneid_level, as_of):
        return None
    valid = [c for c in person.certificates if c.valid(as_of)]
    dates: list[datetime] = [person.verified_at] if person.verified_at is not None else []
    for course in requirement.courses:
        issued = [c.issued_at for c in valid if c.course == course]
        if not issued:
            return None
        dates.append(min(issued))
    for code in requirement.competencies:
        issued = [c.issued_at for c in valid if code in c.competencies]
        if not issued:
            return None
        dates.append(min(issued))
    return max(dates)


def stage(person: PersonFacts, requirement: Requirement | None, as_of: datetime | None = None) -> Stage | None:
    """The person's funnel stage as of `as_of` (None: not registered yet at that moment)."""
    if not _at(person.registered_at, as_of):
        return None
    level = requirement.vneid_level if requirement is not None else DEFAULT_VNEID_LEVEL
    if not verified(person, level, as_of):
        return Stage.REGISTERED
    if achieved_since(person, requirement, as_of) is not None:
        return Stage.ACHIEVED
    if any(c.valid(as_of) for c in person.certificates):
        return Stage.COMPLETED
    if _at(person.started_at, as_of) or any(_at(c.issued_at, as_of) for c in person.certificates):
        return Stage.STARTED  # a certificate, even a revoked one, means a course was started
    return Stage.VERIFIED


def funnel(stages: Iterable[Stage | None]) -> dict[Stage, int]:
    """How many people reached each stage (a person at ACHIEVED counts in every stage)."""
    counts = dict.fromkeys(Stage, 0)
    for reached in stages:
        if reached is not None:
            for s in Stage:
                if s <= reached:
                    counts[s] += 1
    return counts


def missing_courses(person: PersonFacts, requirement: Requirement, as_of: datetime | None = None) -> Sequence[str]:
    """The required courses the person holds no valid certificate for, in name order ("one course short")."""
    held = {c.course for c in person.certificates if c.valid(as_of)}
    return sorted(requirement.courses - held)
