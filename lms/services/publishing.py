"""Publishing compiled courses as new immutable versions; unchanged content writes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.content import CompiledCourse
from ..models import Asset, Course, CourseVersion, Lesson, Question, Quiz


@dataclass(frozen=True)
class Outcome:
    slug: str
    status: str  # "new" | "updated" | "unchanged"
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
