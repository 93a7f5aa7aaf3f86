"""The live programs: which program applies to a target group in a year, as the domain's `Requirement`."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.achievement import Requirement
from ..models import Course, Program, ProgramCourse, ProgramGroup, ProgramVersion


class AmbiguousProgram(Exception):
    """Two live programs cover one group in one year (publishing refuses this; seen only on a database
    changed by hand)."""


@dataclass(frozen=True)
class LiveProgram:
    code: str
    version: int
    title: str
    plan: str
    first_year: int
    last_year: int
    vneid_level: int
    description_html: str
    requirements: tuple[Requirement, ...]  # one per covered group, in group order

    def requirement(self, group: int) -> Requirement | None:
        return next((r for r in self.requirements if r.group == group), None)


def live(session: Session) -> list[LiveProgram]:
    """Every live program with its requirements, by code (three statements whatever their number)."""
    versions = session.execute(
        select(Program.code, ProgramVersion).join(ProgramVersion, ProgramVersion.id == Program.published_version_id)
        .order_by(Program.code)).all()
    ids = [v.id for _, v in versions]
    groups = session.scalars(select(ProgramGroup).where(ProgramGroup.version_id.in_(ids))
                             .order_by(ProgramGroup.version_id, ProgramGroup.target_group)).all()
    courses: dict[int, list[str]] = {}
    for group_id, slug in session.execute(
            select(ProgramCourse.group_id, Course.slug).join(Course, Course.id == ProgramCourse.course_id)
            .where(ProgramCourse.group_id.in_([g.id for g in groups]))
            .order_by(ProgramCourse.group_id, ProgramCourse.position)):
        courses.setdefault(group_id, []).append(slug)
    out = []
    for code, v in versions:
        requirements = tuple(
            Requirement(code, v.number, g.target_group, v.vneid_level, frozenset(courses.get(g.id, [])),
                        frozenset(g.competencies))
            for g in groups if g.version_id == v.id)
        out.append(LiveProgram(code, v.number, v.title, v.plan, v.first_year, v.last_year, v.vneid_level,
                               v.description_html, requirements))
    return out


def live_for(session: Session, group: int, year: int) -> Requirement | None:
    """What the live program that applies to `group` in `year` asks of it; None when no program covers it."""
    rows = session.execute(
        select(Program.code, ProgramVersion.number, ProgramVersion.vneid_level, ProgramGroup)
        .join(ProgramVersion, ProgramVersion.id == Program.published_version_id)
        .join(ProgramGroup, ProgramGroup.version_id == ProgramVersion.id)
        .where(ProgramGroup.target_group == group, ProgramVersion.first_year <= year,
               ProgramVersion.last_year >= year)
        .order_by(Program.code)).all()
    if not rows:
        return None
    if len(rows) > 1:
        raise AmbiguousProgram(f"group {group} in {year}: {', '.join(code for code, *_ in rows)}")
    code, number, level, row = rows[0]
    slugs = session.scalars(select(Course.slug).join(ProgramCourse, ProgramCourse.course_id == Course.id)
                            .where(ProgramCourse.group_id == row.id)).all()
    return Requirement(code, number, group, level, frozenset(slugs), frozenset(row.competencies))
