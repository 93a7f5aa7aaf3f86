"""Publishing compiled courses and programs as new immutable versions; unchanged content writes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.content import CompiledCourse
from ..domain.problems import ContentError, Problem
from ..domain.programs import CompiledProgram
from ..models import (Asset, Course, CourseVersion, CourseVersionTag, Lesson, Program, ProgramCourse, ProgramGroup,
                      ProgramVersion, Question, Quiz, catalog_tags)


@dataclass(frozen=True)
class Outcome:
    slug: str
    status: str  # "new" | "updated" | "unchanged"; programs also "withdrawn"
    version: int


def publish(session: Session, courses: list[CompiledCourse], now: datetime) -> list[Outcome]:
    """Write a new version for every course whose content hash changed and make it the live one."""
    return [_publish_one(session, c, now) for c in courses]


def _publish_one(session: Session, compiled: CompiledCourse, now: datetime) -> Outcome:
    course = session.scalars(select(Course).where(Course.slug == compiled.slug)).one_or_none()
    if course is None:
        course = Course(slug=compiled.slug, created_at=now)
        session.add(course)
        session.flush()
    live = course.published
    if live is not None and live.content_hash == compiled.content_hash:
        return Outcome(compiled.slug, "unchanged", live.number)
    number = (session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)) or 0) + 1
    version = CourseVersion(
        course_id=course.id, number=number, content_hash=compiled.content_hash, title=compiled.title,
        summary=compiled.summary, intro_html=compiled.intro_html, level=compiled.level,
        target_groups=compiled.target_groups, competencies=compiled.competencies, minutes=compiled.minutes,
        completion=compiled.completion, created_at=now,
    )
    session.add(version)
    session.flush()
    session.add_all(CourseVersionTag(version_id=version.id, tag=tag)
                    for tag in catalog_tags(compiled.target_groups, compiled.competencies))
    for position, lesson in enumerate(compiled.lessons, start=1):
        session.add(Lesson(version_id=version.id, position=position, slug=lesson.slug, title=lesson.title,
                           html=lesson.html, text=lesson.text, competencies=lesson.competencies,
                           minutes=lesson.minutes))
    for position, quiz in enumerate(compiled.quizzes, start=1):
        row = Quiz(version_id=version.id, position=position, slug=quiz.slug, title=quiz.title,
                   intro_html=quiz.intro_html, pass_percent=quiz.pass_percent, max_attempts=quiz.max_attempts,
                   draw=quiz.draw, required=quiz.required, shuffle=quiz.shuffle,
                   ignore_diacritics=quiz.ignore_diacritics, competencies=quiz.competencies)
        session.add(row)
        session.flush()
        session.add_all(
            Question(quiz_id=row.id, position=i, kind=q.kind, prompt_html=q.prompt_html, options=q.options,
                     answer=q.answer, explanation_html=q.explanation_html, competencies=q.competencies)
            for i, q in enumerate(quiz.questions, start=1)
        )
    existing = set(session.scalars(select(Asset.sha256).where(Asset.sha256.in_(list(compiled.assets)))))
    session.add_all(Asset(sha256=sha, mime=mime, data=data, created_at=now)
                    for sha, (mime, data) in compiled.assets.items() if sha not in existing)
    course.published_version_id = version.id
    session.flush()
    session.expire(course, ["published"])
    return Outcome(compiled.slug, "new" if live is None else "updated", number)


def publish_programs(session: Session, programs: list[CompiledProgram], keep: set[str], now: datetime) -> list[Outcome]:
    """Make the live programs exactly these (after the courses of the same import are published): a new
    version for each whose hash changed, and every other live program withdrawn unless its code is in `keep`
    (a program file with problems keeps its live version under `--skip-invalid`).

    Raises ContentError, naming the program file, when a program names a course with no live version or when
    the live programs would cover one group in one year twice; the caller rolls back, so nothing changes.
    """
    outcomes = [_publish_program(session, p, now) for p in programs]
    wanted = {p.code for p in programs} | keep
    for program in session.scalars(select(Program).where(Program.published_version_id.is_not(None))
                                   .order_by(Program.code)):
        if program.code not in wanted:
            outcomes.append(Outcome(program.code, "withdrawn", program.published.number if program.published else 0))
            program.published_version_id = None
    session.flush()
    _refuse_overlaps(session, {p.code: p for p in programs})
    return outcomes


def _publish_program(session: Session, compiled: CompiledProgram, now: datetime) -> Outcome:
    program = session.scalars(select(Program).where(Program.code == compiled.code)).one_or_none()
    if program is None:
        program = Program(code=compiled.code, created_at=now)
        session.add(program)
        session.flush()
    live = program.published
    if live is not None and live.content_hash == compiled.content_hash:
        return Outcome(compiled.code, "unchanged", live.number)
    slugs = {slug for r in compiled.requirements for slug in r.courses}
    courses = {slug: id_ for slug, id_ in session.execute(select(Course.slug, Course.id).where(
        Course.slug.in_(slugs), Course.published_version_id.is_not(None)))}
    missing = [(r.line, slug) for r in compiled.requirements for slug in r.courses if slug not in courses]
    if missing:
        raise ContentError(sorted(Problem(compiled.path, line, f"khóa học '{slug}' chưa được xuất bản "
                                                               "(the course has no published version)")
                                  for line, slug in missing))
    number = (session.scalar(select(func.max(ProgramVersion.number))
                             .where(ProgramVersion.program_id == program.id)) or 0) + 1
    version = ProgramVersion(program_id=program.id, number=number, content_hash=compiled.content_hash,
                             title=compiled.title, plan=compiled.plan, first_year=compiled.first_year,
                             last_year=compiled.last_year, vneid_level=compiled.vneid_level,
                             description_html=compiled.description_html, created_at=now)
    session.add(version)
    session.flush()
    for requirement in compiled.requirements:
        group = ProgramGroup(version_id=version.id, target_group=requirement.group,
                             competencies=list(requirement.competencies))
        session.add(group)
        session.flush()
        session.add_all(ProgramCourse(group_id=group.id, course_id=courses[slug], position=i)
                        for i, slug in enumerate(requirement.courses, start=1))
    program.published_version_id = version.id
    session.flush()
    session.expire(program, ["published"])
    return Outcome(compiled.code, "new" if live is None else "updated", number)


def _refuse_overlaps(session: Session, compiled: dict[str, CompiledProgram]) -> None:
    """Two live programs covering one group in one year (possible only with a kept program under
    --skip-invalid): a ContentError naming the program of this import."""
    rows = session.execute(
        select(Program.code, ProgramVersion.first_year, ProgramVersion.last_year, ProgramGroup.target_group)
        .join(ProgramVersion, ProgramVersion.id == Program.published_version_id)
        .join(ProgramGroup, ProgramGroup.version_id == ProgramVersion.id)
        .order_by(Program.code))
    taken: dict[tuple[int, int], str] = {}
    problems: list[Problem] = []
    reported: set[tuple[str, int]] = set()
    for code, first, last, group in rows:
        for year in range(first, last + 1):
            other = taken.setdefault((group, year), code)
            if other != code and (code, group) not in reported:
                reported.add((code, group))
                mine = compiled.get(code) or compiled.get(other)
                path = mine.path if mine is not None else f"programs/{code}.md"
                problems.append(Problem(path, 1, f"nhóm {group} năm {year} đã thuộc chương trình '{other}' đang "
                                                 "được dùng (two live programs for one group in one year)"))
    if problems:
        raise ContentError(sorted(set(problems)))
