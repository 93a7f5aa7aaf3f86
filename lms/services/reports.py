"""Reading the officials' figures (docs/reporting.md, "Facts and summary tables"): only the summary rows
(`report_summary`) and the targets and populations are read, never the facts, so a page costs the same with
100k people as with 1M: a unit's figures are the rows of that unit (and of the units merged into it by the
quarter's end) for the periods up to the quarter, a few per group."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (MEASURES, Program, ProgramGroup, ProgramVersion, ReportPopulation, ReportSummary,
                      ReportTarget, Unit)
from . import units
from .facts import period_end

FUNNEL = ("registered", "verified", "started", "completed")


@dataclass(frozen=True)
class Figures:
    """One unit × group as of a quarter's end. `rate` is achieved ÷ population, or, where no population is
    known, achieved ÷ registered with `per_registered` set (every screen must label it so)."""

    unit_code: str
    group: int
    program: str | None
    registered: int
    verified: int
    started: int
    completed: int
    achieved: int
    population: int | None
    population_source: str | None
    population_date: date | None
    rate: float | None
    per_registered: bool
    target: int | None  # percent, inherited from the nearest unit above that sets one
    gap: float | None  # target − rate, in percentage points (positive: below target)


def _unit(session: Session, unit: Unit | str) -> Unit:
    """A unit given as itself (already loaded by the caller) or by its code."""
    return unit if isinstance(unit, Unit) else units.by_code(session, unit)


def _day_before(period: int) -> date:
    return (period_end(period) - timedelta(days=1)).date()


def _folded(session: Session, codes: Sequence[str], on: date) -> dict[str, str]:
    """{code: the code it counts under on `on`}: each of `codes`, and every unit merged into one of them
    by then."""
    ids = dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes))).all())
    successors = units.successor_map(session, on)
    into = {uid: target for uid, target in successors.items() if target in ids.values()}
    out = {code: code for code in codes}
    if into:
        by_id = {v: k for k, v in ids.items()}
        for code, uid in session.execute(select(Unit.code, Unit.id).where(Unit.id.in_(list(into)))):
            out[code] = by_id[into[uid]]
    return out


def programs_of_year(session: Session, year: int) -> dict[int, str]:
    """{group: the code of the program that applies to it in `year`} (one statement)."""
    return dict(session.execute(
        select(ProgramGroup.target_group, Program.code)
        .join(ProgramVersion, ProgramVersion.id == ProgramGroup.version_id)
        .join(Program, Program.published_version_id == ProgramVersion.id)
        .where(ProgramVersion.first_year <= year, ProgramVersion.last_year >= year)).all())


def _sums(session: Session, folded: dict[str, str], period: int, group: int | None,
          course_id: int = 0) -> tuple[dict[tuple[str, int, str], dict[str, int]], datetime | None]:
    s = ReportSummary
    query = (select(s.unit_code, s.target_group, s.program, *[func.sum(getattr(s, m)) for m in MEASURES],
                    func.max(s.changed_at))
             .where(s.unit_code.in_(list(folded)), s.period <= period, s.course_id == course_id)
             .group_by(s.unit_code, s.target_group, s.program))
    if group is not None:
        query = query.where(s.target_group == group)
    out: dict[tuple[str, int, str], dict[str, int]] = {}
    latest = None
    for code, g, program, *values in session.execute(query):
        changed = values.pop()
        latest = changed if latest is None or (changed and changed > latest) else latest
        row = out.setdefault((folded[code], g, program), dict.fromkeys(MEASURES, 0))
        for m, v in zip(MEASURES, values):
            row[m] += int(v or 0)
    return out, latest


def _targets(session: Session, codes_by_unit: dict[str, list[str]], year: int) -> dict[tuple[str, int], int]:
    """{(unit, group): percent}, each unit's own target or its nearest ancestor's (`codes_by_unit`: the unit's
    path codes, root first)."""
    wanted = {c for codes in codes_by_unit.values() for c in codes}
    rows = session.execute(select(ReportTarget.unit_code, ReportTarget.target_group, ReportTarget.percent)
                           .where(ReportTarget.unit_code.in_(wanted), ReportTarget.year == year)).all()
    set_ = {(c, g): p for c, g, p in rows}
    out = {}
    groups = {g for _, g in set_}
    for unit, codes in codes_by_unit.items():
        for g in groups:
            for code in reversed(codes):
                if (code, g) in set_:
                    out[(unit, g)] = set_[(code, g)]
                    break
    return out


def target_for(session: Session, unit: Unit, year: int, group: int) -> int | None:
    """The unit's target for the group and year, or the nearest unit's above it that sets one."""
    return _targets(session, {unit.code: _path_codes(unit)}, year).get((unit.code, group))


def _path_codes(unit: Unit) -> list[str]:
    return unit.path.strip("/").split("/")


def _figures(code: str, group: int, program: str | None, counts: dict[str, int],
             achieved: int, population: ReportPopulation | None, target: int | None) -> Figures:
    if population is not None and population.population > 0:
        rate, per_registered = achieved / population.population * 100, False
    elif counts["registered"]:
        rate, per_registered = achieved / counts["registered"] * 100, True
    else:
        rate, per_registered = None, population is None
    return Figures(code, group, program, counts["registered"], counts["verified"], counts["started"],
                   counts["completed"], achieved,
                   population.population if population else None, population.source if population else None,
                   population.as_of if population else None, rate, per_registered, target,
                   None if target is None or rate is None else target - rate)


def _collect(session: Session, unit_codes: dict[str, Unit], period: int, group: int | None,
             program: str | None) -> tuple[list[Figures], datetime | None]:
    year = period // 10
    on = _day_before(period)
    folded = _folded(session, list(unit_codes), on)
    sums, latest = _sums(session, folded, period, group)
    applying = programs_of_year(session, year)
    pops = {(p.unit_code, p.target_group): p for p in session.scalars(
        select(ReportPopulation).where(ReportPopulation.unit_code.in_(list(unit_codes)),
                                       ReportPopulation.year == year))}
    targets = _targets(session, {c: _path_codes(u) for c, u in unit_codes.items()}, year)
    groups = sorted({g for _, g, _ in sums} | {g for _, g in pops} | {g for _, g in targets}
                    | ({group} if group is not None else set()))
    if group is not None:
        groups = [group]
    out = []
    for code in unit_codes:
        for g in groups:
            counts = sums.get((code, g, ""), dict.fromkeys(MEASURES, 0))
            chosen = program if program is not None else applying.get(g)
            achieved = sums.get((code, g, chosen), {}).get("achieved", 0) if chosen else 0
            out.append(_figures(code, g, chosen, counts, achieved, pops.get((code, g)), targets.get((code, g))))
    return out, latest


def figures(session: Session, unit_code: Unit | str, period: int, *, group: int | None = None,
            program: str | None = None) -> list[Figures]:
    """The unit's figures per group as of the end of `period` (year * 10 + quarter)."""
    return figures_as_of(session, unit_code, period, group=group, program=program)[0]


def figures_as_of(session: Session, unit_code: Unit | str, period: int, *, group: int | None = None,
                  program: str | None = None) -> tuple[list[Figures], datetime | None]:
    """`figures`, and when the summary rows they were read from last changed (as `as_of` for the same
    group), from the same statements. The unit may be given as a loaded `Unit` (one statement fewer)."""
    unit = _unit(session, unit_code)
    return _collect(session, {unit.code: unit}, period, group, program)


def children(session: Session, unit_code: Unit | str, period: int, *, group: int | None = None,
             program: str | None = None, kids: Sequence[Unit] | None = None) -> list[Figures]:
    """The figures of each unit directly under `unit_code` in force at the quarter's end, best rate first
    (no rate last), then by code. `kids`: those units, when the caller has read them (`child_units`)."""
    if kids is None:
        kids = child_units(session, unit_code, period)
    kids = {u.code: u for u in kids}
    rows, _ = _collect(session, kids, period, group, program)  # type: ignore[arg-type]
    return sorted(rows, key=lambda f: (f.rate is None, -(f.rate or 0), f.unit_code, f.group))


def trend(session: Session, unit_code: Unit | str, groups: Iterable[int], periods: Sequence[int], *,
          program: str | None = None) -> dict[int, list[Figures]]:
    """{period: the unit's figures for `groups`} for each of `periods`: what `figures` gives for each, in a
    few statements whatever the number of periods (one read of the summary rows of every period up to the
    last, summed up to each; targets, populations and programs once per year; merges folded per period, and
    only looked up when the tree has any). `program`: achievement under that program instead of the one
    that applies to each group."""
    wanted, asked = set(groups), program
    unit = _unit(session, unit_code)
    periods = list(periods)
    if not periods or not wanted:
        return {p: [] for p in periods}
    merged = session.scalar(select(Unit.id).where(Unit.successor_id.is_not(None)).limit(1)) is not None
    folds = {p: _folded(session, [unit.code], _day_before(p)) if merged else {unit.code: unit.code}
             for p in set(periods)}
    s = ReportSummary
    every = sorted({code for fold in folds.values() for code in fold})
    rows = session.execute(
        select(s.unit_code, s.period, s.target_group, s.program, *[func.sum(getattr(s, m)) for m in MEASURES])
        .where(s.unit_code.in_(every), s.period <= max(periods), s.course_id == 0, s.target_group.in_(wanted))
        .group_by(s.unit_code, s.period, s.target_group, s.program)).all()
    by_year: dict[int, tuple[dict[int, str], dict[int, ReportPopulation], dict[tuple[str, int], int]]] = {}
    for year in {p // 10 for p in periods}:
        pops = {p.target_group: p for p in session.scalars(
            select(ReportPopulation).where(ReportPopulation.unit_code == unit.code, ReportPopulation.year == year))}
        by_year[year] = (programs_of_year(session, year), pops,
                         _targets(session, {unit.code: _path_codes(unit)}, year))
    out: dict[int, list[Figures]] = {}
    for period in periods:
        fold = folds[period]
        sums: dict[tuple[int, str], dict[str, int]] = {}
        for code, p, g, program, *values in rows:
            if p > period or code not in fold:
                continue
            row = sums.setdefault((g, program), dict.fromkeys(MEASURES, 0))
            for m, v in zip(MEASURES, values):
                row[m] += int(v or 0)
        applying, pops, targets = by_year[period // 10]
        seen = {g for g, _ in sums} | set(pops) | {g for _, g in targets}
        result = []
        for g in sorted(seen & wanted):
            counts = sums.get((g, ""), dict.fromkeys(MEASURES, 0))
            chosen = asked if asked is not None else applying.get(g)
            achieved = sums.get((g, chosen), {}).get("achieved", 0) if chosen else 0
            result.append(_figures(unit.code, g, chosen, counts, achieved, pops.get(g), targets.get((unit.code, g))))
        out[period] = result
    return out


@dataclass(frozen=True)
class CourseFigures:
    """One unit × group × course as of a quarter's end, from the per-course summary rows: joined, completed,
    certified (net of revocations)."""

    unit_code: str
    group: int
    course_id: int
    enrolled: int
    completed: int
    certified: int


def course_figures(session: Session, unit_codes: Sequence[str], period: int, course_id: int, *,
                   group: int | None = None) -> list[CourseFigures]:
    """Per-course figures of each of `unit_codes` (and the units merged into them by the quarter's end) per
    group as of the end of `period`, read from the per-course summary rows only."""
    if course_id <= 0:
        raise ValueError("a course id")
    folded = _folded(session, list(unit_codes), _day_before(period))
    sums, _ = _sums(session, folded, period, group, course_id)
    groups = sorted({g for _, g, _ in sums} | ({group} if group is not None else set()))
    out = []
    for code in unit_codes:
        for g in groups:
            row = sums.get((code, g, ""), dict.fromkeys(MEASURES, 0))
            out.append(CourseFigures(code, g, course_id, row["enrolled"], row["course_completed"], row["certified"]))
    return out


def child_units(session: Session, unit_code: Unit | str, period: int) -> list[Unit]:
    """The units directly under `unit_code` in force at the quarter's end, by code."""
    unit = _unit(session, unit_code)
    return list(session.scalars(select(Unit).where(Unit.parent_id == unit.id, *units.in_force(_day_before(period)))
                                .order_by(Unit.code)))


@dataclass(frozen=True)
class CourseChoice:
    id: int
    slug: str
    title: str


def filter_choices(session: Session) -> tuple[list[str], list[CourseChoice]]:
    """What the dashboard's filters offer: the published programs' codes and the published courses (two
    small statements)."""
    from ..models import Course, CourseVersion

    programs = list(session.scalars(select(Program.code).where(Program.published_version_id.is_not(None))
                                    .order_by(Program.code)))
    courses = [CourseChoice(i, slug, title) for i, slug, title in session.execute(
        select(Course.id, Course.slug, CourseVersion.title)
        .join(CourseVersion, CourseVersion.id == Course.published_version_id).order_by(CourseVersion.title))]
    return programs, courses


def as_of(session: Session, unit_code: str, period: int) -> datetime | None:
    """When the unit's figures for the quarter last changed (the latest summary row read)."""
    unit = units.by_code(session, unit_code)
    return _collect(session, {unit.code: unit}, period, None, None)[1]


# --- targets and target populations ------------------------------------------------------------------------

def import_rows(session: Session, path: str, data: bytes, kind: str) -> tuple[int, list[str]]:
    """Import a targets ("targets") or population ("population") CSV: every row replaces the one of its unit
    × year × group. All or nothing: with any problem (`path:line: message`) nothing is written."""
    from ..domain import report_csv
    from ..models import ReportPopulation, ReportTarget

    rows, problems = report_csv.read(path, data, kind)
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_({r.unit_code for r in rows}))))
    problems += [report_csv.Problem(path, r.line, f"không có đơn vị mã '{r.unit_code}' (unknown unit)")
                 for r in rows if r.unit_code not in known]
    if problems:
        return 0, [str(p) for p in sorted(problems, key=lambda p: p.line)]
    model = ReportTarget if kind == "targets" else ReportPopulation
    for r in rows:
        found = session.get(model, (r.unit_code, r.year, r.group))
        if found is None:
            found = model(unit_code=r.unit_code, year=r.year, target_group=r.group)
            session.add(found)
        if kind == "targets":
            found.percent, found.source = r.value, r.source
        else:
            found.population, found.source, found.as_of = r.value, r.source, r.as_of
    session.flush()
    return len(rows), []
