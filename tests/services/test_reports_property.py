"""Property: for random sequences of events (register, verify, enrol, complete, certify, revoke, move,
merge), the summary rows equal a recount of the ledger (`lms reports check`), and every commune's funnel as
of every quarter equals a brute-force count with lms/domain/achievement.py over the same history."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms.domain import content
from lms.domain import achievement
from lms.models import Certificate, Course
from lms.services import accounts, certificates, facts, reports, units
from lms.services.identity import IdentityRefused
from tests.conftest import _empty_tables, _load_units, _units_changed

from .report_helpers import SCAM, VNEID, at, complete, publish_demo, register, verify

HN = "01"
COMMUNES = ("00004", "00277", "09877")
PERIODS = (20253, 20254, 20261, 20262)
START = at(2025, 7, 2)

event = st.one_of(
    st.tuples(st.just("register"), st.sampled_from(COMMUNES), st.integers(1, 4)),
    st.tuples(st.just("verify"), st.integers(0, 2), st.sampled_from((1, 2, 2)), st.integers(1, 4)),
    st.tuples(st.just("complete"), st.integers(0, 2), st.sampled_from((SCAM, VNEID))),
    st.tuples(st.just("enrol"), st.integers(0, 2), st.sampled_from((SCAM, VNEID))),
    st.tuples(st.just("revoke"), st.integers(0, 2), st.sampled_from((SCAM, VNEID))),
    st.tuples(st.just("move"), st.integers(0, 2), st.sampled_from(COMMUNES)),
    st.tuples(st.just("merge"), st.sampled_from(COMMUNES), st.sampled_from(COMMUNES)),
)


@dataclass
class Person:
    user_id: int
    group: int
    registered_at: datetime
    places: list[tuple[datetime, str]]
    verifications: list[tuple[datetime, int]] = field(default_factory=list)  # each (re)verification, level
    started_at: datetime | None = None
    certs: dict[str, list[datetime | None]] = field(default_factory=dict)  # course: [issued, revoked]


def _place_at(p: Person, moment: datetime) -> str:
    return [code for t, code in p.places if t <= moment][-1]


def _brute(people: list[Person], merged: dict[str, tuple[str, date]],
           requirements: dict[tuple[int, int], achievement.Requirement | None],
           period: int) -> dict[tuple[str, int], dict[achievement.Stage, int]]:
    end = facts.period_end(period) - timedelta(microseconds=1)
    last_day = (facts.period_end(period) - timedelta(days=1)).date()
    stages: dict[tuple[str, int], list[achievement.Stage | None]] = {}
    for p in people:
        if p.registered_at > end:
            continue
        held = tuple(achievement.HeldCertificate(c, issued, revoked_at=revoked)
                     for c, (issued, revoked) in p.certs.items() if issued is not None)
        # what the account held at the cutoff: its latest verification by then (a re-verification replaces
        # the level, as identity.link does)
        done = [v for v in p.verifications if v[0] <= end]
        verified_at, level = done[-1] if done else (None, None)
        facts_ = achievement.PersonFacts(p.group, p.registered_at, verified_at, level, p.started_at, held)
        code = _place_at(p, end)
        while code in merged and merged[code][1] <= last_day:
            code = merged[code][0]
        requirement = requirements[(p.group, period // 10)]  # the program of the person's group that year
        stages.setdefault((code, p.group), []).append(achievement.stage(facts_, requirement, end))
    return {key: achievement.funnel(found) for key, found in stages.items()}


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event, min_size=1, max_size=30))
@example(events=[("register", "00004", 3), ("verify", 0, 2, 1), ("complete", 0, SCAM), ("complete", 0, VNEID),
                 ("move", 0, "00277"), ("revoke", 0, SCAM), ("complete", 0, SCAM), ("merge", "00277", "09877"),
                 ("register", "00277", 3), ("verify", 1, 2, 1), ("enrol", 1, VNEID)])
@example(events=[("register", "00004", 1), ("verify", 0, 2, 1), ("complete", 0, SCAM), ("complete", 0, VNEID)])
def test_summary_equals_recount_and_brute_force(events: list[tuple], engine: Engine, tmp_path: Path,
                                                demo_load: content.CheckResult) -> None:
    _empty_tables(engine)
    if _units_changed(engine):
        _load_units(engine)
    settings = certificates.Settings(base_url="https://x.example.vn", keys_dir=tmp_path / "keys")
    with Session(engine, expire_on_commit=False) as s:
        courses = publish_demo(s, demo_load)
        requirements = {(g, y): facts.requirement(s, g, y) for g in (1, 2, 3, 4) for y in (2025, 2026)}
        assert requirements[(3, 2025)] is not None
        people: list[Person] = []
        users = []
        merged: dict[str, tuple[str, date]] = {}
        now = START
        serials = 0
        for ev in events:
            now += timedelta(days=23)
            kind = ev[0]
            if kind == "register":
                code = ev[1]
                while code in merged:
                    code = merged[code][0]
                user = register(s, f"p{len(users)}", HN, code, ev[2], now)
                users.append(user)
                people.append(Person(user.id, user.target_group, now, [(now, code)]))
                continue
            if kind == "merge":
                a, b = ev[1], ev[2]
                if a == b or a in merged or b in merged:
                    continue
                units.merge(s, [a], b, (now + timedelta(days=1)).date(), "test", now)
                merged[a] = (b, (now + timedelta(days=1)).date())
                continue
            if not users:
                continue
            user, p = users[ev[1] % len(users)], people[ev[1] % len(users)]
            if kind == "verify":
                level = ev[2]
                serial = ev[3]  # the same serial twice: a second account of one person, refused
                try:
                    verify(s, user, serial, now, level, settings)
                except IdentityRefused:
                    continue
                p.verifications.append((now, level))
                for cert in s.scalars(select(Certificate).where(Certificate.user_id == user.id)):
                    slug = s.get(Course, cert.course_id).slug  # type: ignore[union-attr]
                    p.certs.setdefault(slug, [cert.issued_at, None])
                    p.started_at = p.started_at or cert.issued_at
            elif kind in ("complete", "enrol"):
                course = courses[ev[2]]
                if kind == "enrol":
                    from lms.services import learning
                    learning.enrol(s, user, course, now)
                else:
                    complete(s, user, course, now, settings)
                    if ev[2] not in p.certs \
                            and s.scalar(select(Certificate.id).where(Certificate.user_id == user.id,
                                                                      Certificate.course_id == course.id)):
                        p.certs[ev[2]] = [now, None]
                p.started_at = p.started_at or now
            elif kind == "revoke":
                held = p.certs.get(ev[2])
                if held and held[1] is None:
                    number = s.scalar(select(Certificate.number).where(Certificate.user_id == user.id,
                                                                       Certificate.course_id == courses[ev[2]].id))
                    certificates.revoke(s, number, "test", now)
                    held[1] = now
            elif kind == "move":
                code = ev[2]
                if code in merged:
                    continue
                accounts.move(s, user, HN, code, now)
                p.places.append((now, code))
            s.commit()
        s.commit()
        assert facts.check(s) == []
        for period in PERIODS:
            expected = _brute(people, merged, requirements, period)
            last_day = (facts.period_end(period) - timedelta(days=1)).date()
            for code in COMMUNES:
                if code in merged and merged[code][1] <= last_day:
                    continue  # merged by the quarter's end: its people count under its successor
                for f in reports.figures(s, code, period):
                    want = expected.get((code, f.group), dict.fromkeys(achievement.Stage, 0))
                    got = (f.registered, f.verified, f.started, f.completed, f.achieved)
                    assert got == tuple(want[st_] for st_ in achievement.Stage), (code, period, f.group, events)
                for group in {g for c, g in expected if c == code}:
                    assert any(f.group == group for f in reports.figures(s, code, period))
        # a rebuild from the ledger gives the same rows
        facts.rebuild(s, now)
        assert facts.check(s) == []
        s.commit()
