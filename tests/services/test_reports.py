"""Exact figures on a hand-built population (docs/reporting.md, "Facts and summary tables"): two accounts of
one person, a move between communes (the past quarter unchanged), a merge of two communes, a revoked
certificate, an unverified learner, a group with no denominator."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.domain import content
from lms.models import Certificate, ReportFact, ReportPerson, ReportPopulation, ReportSummary, ReportTarget
from lms.services import accounts, certificates, facts, reports, units
from lms.services.identity import IdentityRefused

from .report_helpers import SCAM, VNEID, at, complete, publish_demo, register, verify

HN, X, Y, Z = "01", "00004", "00277", "09877"  # Hà Nội; Ba Đình, Bạch Mai, An Khánh
Q3, Q4, Q1 = 20253, 20254, 20261


def funnel(f: reports.Figures) -> tuple[int, int, int, int, int]:
    return (f.registered, f.verified, f.started, f.completed, f.achieved)


def by_group(rows: list[reports.Figures]) -> dict[int, reports.Figures]:
    return {f.group: f for f in rows}


@pytest.fixture
def population(session: Session, demo_load: content.CheckResult, settings: certificates.Settings) -> Session:
    courses = publish_demo(session, demo_load)
    scam, vneid = courses[SCAM], courses[VNEID]
    # An: verified, both courses, achieved in Q3 at X; moves to Y in Q4.
    an = register(session, "an", HN, X, 3, at(2025, 7, 2))
    verify(session, an, 1, at(2025, 7, 3))
    complete(session, an, scam, at(2025, 8, 1), settings)
    complete(session, an, vneid, at(2025, 8, 2), settings)
    # The same person's second account: its verification is refused, so it is a registered person of its own.
    an2 = register(session, "an2", HN, X, 3, at(2025, 7, 5))
    with pytest.raises(IdentityRefused):
        verify(session, an2, 1, at(2025, 7, 6))
    # Bình: unverified, completes a course (no certificate): registered only.
    binh = register(session, "binh", HN, Y, 3, at(2025, 8, 3))
    complete(session, binh, scam, at(2025, 8, 4), None)
    # Châu: verified, one certificate (completed), revoked in Q4 (back to started).
    chau = register(session, "chau", HN, X, 3, at(2025, 8, 5))
    verify(session, chau, 2, at(2025, 8, 6))
    complete(session, chau, scam, at(2025, 8, 7), settings)
    # Dũng: group 1 (public staff) at X, verified: a group with no population.
    dung = register(session, "dung", HN, X, 1, at(2025, 9, 1))
    verify(session, dung, 3, at(2025, 9, 2))
    # Em: at Z, achieved in Q3; Z is merged into Y from 2025-12-01.
    em = register(session, "em", HN, Z, 3, at(2025, 7, 10))
    verify(session, em, 4, at(2025, 7, 11))
    complete(session, em, scam, at(2025, 7, 12), settings)
    complete(session, em, vneid, at(2025, 7, 13), settings)
    session.commit()
    accounts.move(session, an, HN, Y, at(2025, 10, 15))
    cert = session.scalars(select(Certificate).where(Certificate.user_id == chau.id)).one()
    certificates.revoke(session, cert.number, "gian lận", at(2025, 11, 1))
    units.merge(session, [Z], Y, date(2025, 12, 1), "test", at(2025, 11, 20))
    session.add_all([ReportPopulation(unit_code=X, year=2025, target_group=3, population=40, source="demo",
                                      as_of=date(2025, 1, 1)),
                     ReportTarget(unit_code=HN, year=2025, target_group=3, percent=90),
                     ReportTarget(unit_code=X, year=2025, target_group=3, percent=95)])
    session.commit()
    return session


def test_the_quarter_before_the_move_keeps_its_figures(population: Session) -> None:
    s = population
    x3 = by_group(reports.figures(s, X, Q3))
    assert funnel(x3[3]) == (3, 2, 2, 2, 1)  # An (achieved), An's second account, Châu (completed)
    assert funnel(x3[1]) == (1, 1, 0, 0, 0)
    assert funnel(by_group(reports.figures(s, Y, Q3))[3]) == (1, 0, 0, 0, 0)  # Bình, unverified
    assert funnel(by_group(reports.figures(s, Z, Q3))[3]) == (1, 1, 1, 1, 1)  # Em, before the merge
    # Q4: An moved to Y, Châu's certificate revoked, Z merged into Y (Em counts under Y).
    x4 = by_group(reports.figures(s, X, Q4))
    assert funnel(x4[3]) == (2, 1, 1, 0, 0)
    assert funnel(by_group(reports.figures(s, Y, Q4))[3]) == (3, 2, 2, 2, 2)
    assert [f.unit_code for f in reports.children(s, HN, Q4, group=3)][:1] == [Y]
    assert Z not in {f.unit_code for f in reports.children(s, HN, Q4)}
    assert Z in {f.unit_code for f in reports.children(s, HN, Q3)}
    # The province and the nation see everyone once, whatever the moves.
    for code in (HN, "VN"):
        assert funnel(by_group(reports.figures(s, code, Q3))[3]) == (5, 3, 3, 3, 2)
        assert funnel(by_group(reports.figures(s, code, Q4))[3]) == (5, 3, 3, 2, 2)
    assert funnel(by_group(reports.figures(s, HN, Q1))[3]) == (5, 3, 3, 2, 2)


def test_rates_populations_and_targets(population: Session) -> None:
    s = population
    x3 = by_group(reports.figures(s, X, Q3))
    assert (x3[3].population, x3[3].population_source, x3[3].rate, x3[3].per_registered) == (40, "demo", 2.5, False)
    assert (x3[3].target, x3[3].gap) == (95, 92.5)  # X's own target
    assert x3[1].population is None and x3[1].per_registered and x3[1].rate == 0.0 and x3[1].target is None
    y3 = by_group(reports.figures(s, Y, Q3))[3]
    assert (y3.target, y3.per_registered, y3.rate) == (90, True, 0.0)  # inherited from Hà Nội, ÷ registered
    assert reports.target_for(s, units.by_code(s, Z), 2025, 3) == 90
    assert reports.target_for(s, units.by_code(s, Z), 2026, 3) is None
    assert reports.as_of(s, X, Q4) is not None


def test_the_summary_agrees_with_the_ledger_and_a_rebuild(population: Session) -> None:
    s = population
    assert facts.check(s) == []
    before = sorted(tuple(r) for r in s.execute(select(
        ReportSummary.unit_code, ReportSummary.period, ReportSummary.target_group, ReportSummary.program,
        ReportSummary.course_id, ReportSummary.achieved, ReportSummary.registered, ReportSummary.certified)))
    facts.rebuild(s, at(2026, 1, 1))
    after = sorted(tuple(r) for r in s.execute(select(
        ReportSummary.unit_code, ReportSummary.period, ReportSummary.target_group, ReportSummary.program,
        ReportSummary.course_id, ReportSummary.achieved, ReportSummary.registered, ReportSummary.certified)))
    assert after == before
    # A summary row changed behind the ledger's back is found.
    s.execute(ReportSummary.__table__.update().where(ReportSummary.unit_code == X).values(
        registered=ReportSummary.registered + 1))
    problems = facts.check(s)
    assert problems and all(key[0] == X for key, _, _ in problems)


def test_per_course_counts(population: Session) -> None:
    s = population
    rows = dict(s.execute(select(ReportSummary.unit_code, func.sum(ReportSummary.certified))
                          .where(ReportSummary.course_id != 0).group_by(ReportSummary.unit_code)).all())
    assert rows["VN"] == 4  # An ×2, Em ×2; Châu's revoked
    completed = s.scalar(select(func.sum(ReportSummary.course_completed)).where(ReportSummary.unit_code == "VN"))
    assert completed == 6  # An ×2, Bình, Châu, Em ×2
    assert s.scalar(select(func.count()).select_from(ReportFact)) > 0


def _standing(s: Session) -> list[tuple[object, ...]]:
    p = ReportPerson
    return sorted(tuple(r) for r in s.execute(select(
        p.user_id, p.province_code, p.commune_code, p.target_group, p.verified, p.started, p.completed,
        p.achieved_program)))


def test_the_ledger_rebuilt_from_the_base_tables(population: Session) -> None:
    """`lms reports rebuild --from-base` (facts.facts_from_base): the persons' standing and today's figures
    are those the events made; only history the base tables do not keep is collapsed (Châu's completion,
    withdrawn in Q4, is not in Q3 any more)."""
    s = population
    standing = _standing(s)
    today = {code: [funnel(f) for f in reports.figures(s, code, Q4)] for code in (X, Y, HN, "VN")}
    courses_today = sorted((r.unit_code, r.course_id, r.enrolled, r.course_completed, r.certified) for r in s.execute(
        select(ReportSummary.unit_code, ReportSummary.course_id, func.sum(ReportSummary.enrolled).label("enrolled"),
               func.sum(ReportSummary.course_completed).label("course_completed"),
               func.sum(ReportSummary.certified).label("certified"))
        .where(ReportSummary.course_id != 0).group_by(ReportSummary.unit_code, ReportSummary.course_id)))
    s.execute(ReportFact.__table__.delete())
    s.execute(ReportPerson.__table__.delete())
    persons, count = facts.facts_from_base(s, at(2025, 12, 20))
    facts.rebuild(s, at(2025, 12, 20))
    s.commit()
    assert persons == 6 and count > 0
    assert _standing(s) == standing
    assert {code: [funnel(f) for f in reports.figures(s, code, Q4)] for code in (X, Y, HN, "VN")} == today
    after = sorted((r.unit_code, r.course_id, r.enrolled, r.course_completed, r.certified) for r in s.execute(
        select(ReportSummary.unit_code, ReportSummary.course_id, func.sum(ReportSummary.enrolled).label("enrolled"),
               func.sum(ReportSummary.course_completed).label("course_completed"),
               func.sum(ReportSummary.certified).label("certified"))
        .where(ReportSummary.course_id != 0).group_by(ReportSummary.unit_code, ReportSummary.course_id)))
    # Courses count where each event happened before; rebuilt, at the person's current place: the nation's and
    # the province's agree, An's courses follow him from X to Y.
    assert [r for r in after if r[0] in ("VN", HN)] == [r for r in courses_today if r[0] in ("VN", HN)]
    assert funnel(by_group(reports.figures(s, HN, Q3))[3]) == (5, 3, 3, 2, 2)
    assert facts.check(s) == []
    # Again: the same rows, nothing doubled.
    assert facts.facts_from_base(s, at(2025, 12, 20)) == (persons, count)
    # Only some accounts: the others' facts stay.
    kept = s.scalar(select(func.count()).select_from(ReportFact).where(ReportFact.target_group == 1))
    facts.facts_from_base(s, at(2025, 12, 20), "u.target_group = 3")
    assert s.scalar(select(func.count()).select_from(ReportFact).where(ReportFact.target_group == 1)) == kept
    assert s.scalar(select(func.count()).select_from(ReportFact)) == count


def test_trend_is_the_figures_of_each_quarter(population: Session) -> None:
    """`reports.trend` reads every quarter at once; it must give exactly what `figures` gives for each, across
    the move, the revocation and the merge (Z into Y from 2025-12-01), with targets and populations."""
    s = population
    periods = [20252, Q3, Q4, Q1, 20262]
    for code in (X, Y, Z, HN, "VN"):
        for groups in ((1, 2, 3, 4), (3,), (1,)):
            got = reports.trend(s, code, groups, periods)
            assert got == {p: [f for f in reports.figures(s, code, p) if f.group in groups] for p in periods}
            other = reports.trend(s, code, groups, periods, program="khac")  # achievement under another program
            assert other == {p: [f for f in reports.figures(s, code, p, program="khac") if f.group in groups]
                             for p in periods}
    assert funnel(reports.trend(s, Y, (3,), [Q4])[Q4][0]) == (3, 2, 2, 2, 2)  # Em folded in from the merge
    assert reports.trend(s, X, (3,), []) == {}
