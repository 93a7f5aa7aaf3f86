"""What the lesson page reads of a course, with a per-app cache of each published version's lessons.

A course version is immutable: an import that changes a course writes a new version row and never edits or
deletes an old one. So the lessons of version (id, content hash) are the same for as long as the row exists,
and can be kept in memory for the life of the process. Only "which version is live for this slug" changes,
and it is read from the database on every request (one lean Core query). The cache is keyed by the version id
and its content hash, and lives on the Flask app (`app.extensions`), so two apps (or two test databases that
reuse ids) never share entries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import MutableMapping

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import Course, CourseVersion, Lesson, LessonProgress


@dataclass(frozen=True)
class LessonView:
    slug: str
    title: str
    position: int
    minutes: int
    html: str


@dataclass(frozen=True)
class VersionView:
    id: int
    title: str
    lessons: tuple[LessonView, ...]


@dataclass(frozen=True)
class CourseView:
    id: int
    slug: str


LessonCache = MutableMapping[tuple[int, str], tuple[LessonView, ...]]

# Built once: constructing the WHERE clauses on every request costs more than running the query.
_LIVE = (select(Course.id, Course.slug, CourseVersion.id, CourseVersion.content_hash, CourseVersion.title)
         .join(CourseVersion, Course.published_version_id == CourseVersion.id)
         .where(Course.slug == bindparam("slug")))
_LESSONS = (select(Lesson.slug, Lesson.title, Lesson.position, Lesson.minutes, Lesson.html)
            .where(Lesson.version_id == bindparam("version_id")).order_by(Lesson.position))


def live(session: Session, cache: LessonCache, slug: str) -> tuple[CourseView, VersionView] | None:
    """The course with this slug and its live version's lessons; None if there is no such live course."""
    connection = session.connection()
    row = connection.execute(_LIVE, {"slug": slug}).one_or_none()
    if row is None:
        return None
    course_id, course_slug, version_id, content_hash, title = row
    key = (version_id, content_hash)
    lessons = cache.get(key)
    if lessons is None:
        lessons = tuple(LessonView(*r) for r in connection.execute(_LESSONS, {"version_id": version_id}))
        cache[key] = lessons
    return CourseView(course_id, course_slug), VersionView(version_id, title, lessons)


_DONE = select(LessonProgress.lesson_slug).where(LessonProgress.user_id == bindparam("user_id"),
                                                 LessonProgress.course_id == bindparam("course_id"))


def done_slugs(session: Session, user_id: int, course_id: int) -> set[str]:
    """The same as `learning.done_lessons`, with the statement built once (the lesson page reads it per view)."""
    return set(session.connection().execute(_DONE, {"user_id": user_id, "course_id": course_id}).scalars())
