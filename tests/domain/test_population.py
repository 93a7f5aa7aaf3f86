"""The synthetic population's shape (lms.domain.population), without a database: plausible shares, weights
by province population, numbers and status indexes unique through their bijections."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from lms.domain import areas
from lms.domain import certificates as certs
from lms.domain import population as pop

COURSES = (pop.CourseInfo(1, 1, "a", "A", ("1.1",), 2), pop.CourseInfo(2, 2, "b", "B", ("2.1",), 3))


def _plan(people: int, seed: int = 1) -> pop.Plan:
    communes = tuple(pop.Commune(u.code, u.parent_code or "", u.kind)
                     for u in areas.official_units() if u.level == areas.COMMUNE)
    return pop.Plan(people=people, seed=seed, communes=communes, courses=COURSES,
                    start=datetime(2025, 1, 1), until=datetime(2026, 12, 1))


def test_province_table_covers_the_34_provinces() -> None:
    official = {u.code for u in areas.official_units() if u.level == areas.PROVINCE}
    assert set(pop.PROVINCE_POPULATION) == official and len(official) == 34
    assert 95_000 < sum(pop.PROVINCE_POPULATION.values()) < 105_000  # Việt Nam: about 101 million


def test_shares_are_plausible() -> None:
    chunk = pop.Generator(_plan(6000), 2).chunk(0)
    people = [u for u in chunk.users if ".2@" not in u[2]]
    assert len(people) == 6000 == chunk.counts.people
    groups = Counter(u[4] for u in people)
    for group, share in pop.GROUP_SHARES.items():
        assert abs(groups[group] / 6000 - share) < 0.03, (group, groups)
    assert 0.82 < chunk.counts.verified / 6000 < 0.90
    provinces = Counter(u[5] for u in people)
    assert provinces.most_common(1)[0][0] == "79"  # TP. Hồ Chí Minh, the most populous
    assert provinces["79"] > 5 * provinces.get("12", 0)  # Lai Châu, among the least
    assert 1.5 < chunk.counts.enrolments / 6000 < 2.0  # ~3 wanted, capped by the two courses
    assert 0.9 < chunk.counts.certificates / 6000 < 1.4


def test_numbers_and_status_indexes_are_unique() -> None:
    generator = pop.Generator(_plan(10), 2)
    serials = range(0, 3 * pop.HALF_LIST, 7)
    numbers = {generator.number(s, 2025) for s in serials}
    assert len(numbers) == len(serials) and all(certs.parse_number(n) == n for n in numbers)
    statuses = [generator.status(s) for s in range(2 * pop.HALF_LIST)]
    assert len(set(statuses)) == len(statuses)
    assert Counter(lst for lst, _ in statuses) == {1: pop.HALF_LIST, 2: pop.HALF_LIST}  # half full


def test_chunks_depend_only_on_the_seed() -> None:
    assert pop.Generator(_plan(20), 5).chunk(0).users == pop.Generator(_plan(20), 5).chunk(0).users
    assert pop.Generator(_plan(20, seed=6), 5).chunk(0).users != pop.Generator(_plan(20), 5).chunk(0).users
