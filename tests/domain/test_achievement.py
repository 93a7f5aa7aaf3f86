"""What counts (lms.domain.achievement): achieved and since when, and the funnel stage, on exact cases and as
properties of random people (hypothesis)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.domain.achievement import (HeldCertificate, PersonFacts, Requirement, Stage, achieved_since, funnel,
                                    missing_courses, stage)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
A, B, C = "nhan-dien-lua-dao", "dung-vneid-dich-vu-cong", "khoa-khac"
BOTH = Requirement("pho-cap", 1, 3, 2, frozenset({A, B}))


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def cert(course: str, issued: int, competencies: tuple[str, ...] = (), revoked: int | None = None) -> HeldCertificate:
    return HeldCertificate(course, day(issued), frozenset(competencies), None if revoked is None else day(revoked))


def adult(*certs: HeldCertificate, level: int | None = 2, verified: int | None = 1, started: int | None = 2,
          group: int = 3) -> PersonFacts:
    return PersonFacts(group, day(0), None if verified is None else day(verified), level,
                       None if started is None else day(started), certs)


# --- exact cases --------------------------------------------------------------------------------------------

def test_achieved_since_the_last_required_certificate() -> None:
    person = adult(cert(A, 10), cert(B, 30), cert(C, 50))
    assert achieved_since(person, BOTH) == day(30)
    assert stage(person, BOTH) is Stage.ACHIEVED


def test_one_course_short_is_completed_not_achieved() -> None:
    person = adult(cert(A, 10))
    assert achieved_since(person, BOTH) is None
    assert stage(person, BOTH) is Stage.COMPLETED
    assert missing_courses(person, BOTH) == [B]


def test_a_revoked_certificate_withdraws_the_achievement() -> None:
    person = adult(cert(A, 10), cert(B, 30, revoked=40))
    assert achieved_since(person, BOTH) is None
    assert stage(person, BOTH) is Stage.COMPLETED
    # ... but not in the past: as of a day between issue and revocation the person had achieved
    assert achieved_since(person, BOTH, as_of=day(35)) == day(30)
    assert stage(person, BOTH, as_of=day(35)) is Stage.ACHIEVED
    assert stage(person, BOTH, as_of=day(20)) is Stage.COMPLETED
    # a revocation counts from its own moment; an issue too
    assert achieved_since(person, BOTH, as_of=day(40)) is None
    assert achieved_since(person, BOTH, as_of=day(30)) == day(30)


def test_verification_at_the_program_level_is_required() -> None:
    assert achieved_since(adult(cert(A, 10), cert(B, 30), level=1), BOTH) is None
    assert stage(adult(cert(A, 10), cert(B, 30), level=1), BOTH) is Stage.REGISTERED
    level_one = Requirement("p", 1, 3, 1, frozenset({A, B}))
    assert achieved_since(adult(cert(A, 10), cert(B, 30), level=1), level_one) == day(30)
    assert stage(adult(verified=None, level=None), BOTH) is Stage.REGISTERED


def test_since_is_the_verification_when_it_came_last() -> None:
    assert achieved_since(adult(cert(A, 10), cert(B, 30), verified=60), BOTH) == day(60)


def test_another_group_or_no_program_is_never_achieved() -> None:
    person = adult(cert(A, 10), cert(B, 30), group=1)
    assert achieved_since(person, BOTH) is None
    assert achieved_since(person, None) is None
    assert stage(person, None) is Stage.COMPLETED


def test_competencies_are_met_by_the_earliest_valid_certificate_that_certifies_them() -> None:
    need = Requirement("p", 1, 3, 2, frozenset({A}), frozenset({"2.6", "4.2"}))
    person = adult(cert(A, 10, ("4.2",)), cert(B, 40, ("2.6",)), cert(C, 20, ("2.6",), revoked=25))
    assert achieved_since(person, need) == day(40)
    # as of day 22, C was still valid: 2.6 was met on day 20; its revocation moved the date to B's
    assert achieved_since(person, need, as_of=day(22)) == day(20)
    assert achieved_since(person, need, as_of=day(30)) is None  # C revoked, B not yet issued
    person = adult(cert(A, 10, ("4.2",)), cert(C, 20, ("2.6",)))
    assert achieved_since(person, need) == day(20)
    assert achieved_since(adult(cert(A, 10, ("4.2",))), need) is None


def test_funnel_stages_in_order() -> None:
    people = [adult(verified=None, level=None), adult(started=None), adult(), adult(cert(A, 10)),
              adult(cert(A, 10), cert(B, 20)), adult(cert(A, 10), cert(B, 20), cert(C, 30))]
    stages = [stage(p, BOTH) for p in people]
    assert stages == [Stage.REGISTERED, Stage.VERIFIED, Stage.STARTED, Stage.COMPLETED, Stage.ACHIEVED,
                      Stage.ACHIEVED]
    assert funnel(stages + [None]) == {Stage.REGISTERED: 6, Stage.VERIFIED: 5, Stage.STARTED: 4,
                                       Stage.COMPLETED: 3, Stage.ACHIEVED: 2}
    assert stage(adult(), BOTH, as_of=day(-1)) is None  # not registered yet


def test_a_completed_course_without_verification_stops_at_registered() -> None:
    """Where the person stops is what they need next: verification."""
    assert stage(adult(cert(A, 10), cert(B, 20), verified=None, level=None), BOTH) is Stage.REGISTERED


def test_a_requirement_names_something() -> None:
    with pytest.raises(ValueError):
        Requirement("p", 1, 3, 2)


# --- properties ---------------------------------------------------------------------------------------------

COURSES = [A, B, C, "d"]
CODES = ["1.2", "2.3", "2.6", "4.2"]
days = st.integers(min_value=0, max_value=400)
certificates = st.builds(
    cert, st.sampled_from(COURSES), days, st.lists(st.sampled_from(CODES), max_size=3).map(tuple),
    st.one_of(st.none(), days))
people = st.builds(
    adult, level=st.one_of(st.none(), st.sampled_from([1, 2])), verified=st.one_of(st.none(), days),
    started=st.one_of(st.none(), days), group=st.sampled_from([1, 2, 3, 4])).flatmap(
    lambda p: st.lists(certificates, max_size=6).map(lambda cs: PersonFacts(p.group, p.registered_at,
                                                                            p.verified_at, p.id_level,
                                                                            p.started_at, tuple(cs))))
requirements = st.tuples(
    st.sampled_from([1, 2, 3, 4]), st.sampled_from([1, 2]), st.frozensets(st.sampled_from(COURSES), max_size=3),
    st.frozensets(st.sampled_from(CODES), max_size=2)).filter(lambda t: bool(t[2] or t[3])).map(
    lambda t: Requirement("p", 1, *t))
moments = st.one_of(st.none(), days.map(day))


@st.composite
def cases(draw: st.DrawFn) -> tuple[PersonFacts, Requirement, datetime | None]:
    """A requirement and a person who is often close to meeting it (same group, level 2, certificates mostly
    of the required courses and competencies), so the interesting cases are common."""
    need = draw(requirements)
    group = draw(st.one_of(st.just(need.group), st.sampled_from([1, 2, 3, 4])))
    near = st.builds(cert, st.sampled_from(sorted(need.courses) or COURSES), days,
                     st.lists(st.sampled_from(sorted(need.competencies) or CODES), max_size=2).map(tuple),
                     st.one_of(st.none(), st.none(), days))
    held = draw(st.lists(st.one_of(near, near, certificates), max_size=8))
    person = PersonFacts(group, day(0), draw(st.one_of(days.map(day), st.none())),
                         draw(st.sampled_from([2, 2, 1, None])), draw(st.one_of(days.map(day), st.none())),
                         tuple(held))
    return person, need, draw(moments)


def brute_force(person: PersonFacts, need: Requirement, as_of: datetime | None) -> datetime | None:
    """The definition read literally: the first moment (among the facts' dates) at which every condition holds,
    provided they all still hold at `as_of`."""
    def holds(t: datetime | None) -> bool:
        valid = [c for c in person.certificates if c.valid(t)]
        verified = person.verified_at is not None and (t is None or person.verified_at <= t) \
            and (person.id_level or 0) >= need.vneid_level
        return (person.group == need.group and verified and need.courses <= {c.course for c in valid}
                and all(any(code in c.competencies for c in valid) for code in need.competencies))
    if not holds(as_of):
        return None
    candidates = sorted({c.issued_at for c in person.certificates} | {person.verified_at} - {None})
    # the earliest fact date from which the conditions hold without a break up to as_of, counting only the
    # certificates still valid at as_of (later revocations of others are irrelevant)
    keep = [c for c in person.certificates if c.valid(as_of)]
    trimmed = PersonFacts(person.group, person.registered_at, person.verified_at, person.id_level,
                          person.started_at, tuple(HeldCertificate(c.course, c.issued_at, c.competencies)
                                                   for c in keep))
    for t in candidates:
        if t is not None and (as_of is None or t <= as_of):
            valid = [c for c in trimmed.certificates if c.issued_at <= t]
            verified = trimmed.verified_at is not None and trimmed.verified_at <= t
            if verified and need.courses <= {c.course for c in valid} and all(
                    any(code in c.competencies for c in valid) for code in need.competencies):
                return t
    raise AssertionError("conditions hold at as_of but at no fact date")


@settings(max_examples=300, deadline=None)
@given(cases())
def test_since_is_the_first_moment_every_condition_holds(case: tuple[PersonFacts, Requirement,
                                                                     datetime | None]) -> None:
    person, need, as_of = case
    assert achieved_since(person, need, as_of) == brute_force(person, need, as_of)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_achieved_is_exactly_the_last_stage(case: tuple[PersonFacts, Requirement, datetime | None]) -> None:
    person, need, as_of = case
    assert (stage(person, need, as_of) is Stage.ACHIEVED) == (achieved_since(person, need, as_of) is not None)


@settings(max_examples=200, deadline=None)
@given(people, requirements, moments, st.randoms(use_true_random=False))
def test_the_order_of_certificates_does_not_matter(person: PersonFacts, need: Requirement,
                                                   as_of: datetime | None, rnd: object) -> None:
    shuffled = list(person.certificates)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    other = PersonFacts(person.group, person.registered_at, person.verified_at, person.id_level, person.started_at,
                        tuple(shuffled))
    assert achieved_since(other, need, as_of) == achieved_since(person, need, as_of)
    assert stage(other, need, as_of) == stage(person, need, as_of)


@settings(max_examples=200, deadline=None)
@given(people, requirements, certificates, moments)
def test_a_new_certificate_never_withdraws_and_never_delays(person: PersonFacts, need: Requirement,
                                                            extra: HeldCertificate, as_of: datetime | None) -> None:
    before = achieved_since(person, need, as_of)
    more = PersonFacts(person.group, person.registered_at, person.verified_at, person.id_level, person.started_at,
                       person.certificates + (extra,))
    after = achieved_since(more, need, as_of)
    if before is not None:
        assert after is not None and after <= before
    assert (stage(more, need, as_of) or 0) >= (stage(person, need, as_of) or 0)


@settings(max_examples=200, deadline=None)
@given(people, requirements, moments)
def test_achieved_is_exactly_the_last_stage_and_since_is_not_in_the_future(person: PersonFacts, need: Requirement,
                                                                           as_of: datetime | None) -> None:
    since = achieved_since(person, need, as_of)
    reached = stage(person, need, as_of)
    if person.group == need.group and reached is not None:
        assert (reached is Stage.ACHIEVED) == (since is not None)
    if since is not None and as_of is not None:
        assert since <= as_of


@settings(max_examples=100, deadline=None)
@given(st.lists(people, max_size=20), requirements, moments)
def test_the_funnel_never_widens(group: list[PersonFacts], need: Requirement, as_of: datetime | None) -> None:
    counts = funnel(stage(p, need, as_of) for p in group)
    values = [counts[s] for s in Stage]
    assert values == sorted(values, reverse=True)
    assert counts[Stage.REGISTERED] == sum(1 for p in group if as_of is None or p.registered_at <= as_of)
