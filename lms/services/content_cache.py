"""What the lesson page reads of a course, with a per-app cache of each published version's lessons.

A course version is immutable: an import that changes a course writes a new version row and never edits or
deletes an old one. So the lessons of version (id, content hash) are the same for as long as the row exists,
and can be kept in memory for the life of the process. Only "which version is live for this slug" changes,
and it is read from the database on every request (one lean Core query, which also reads the reader's
done lessons). The cache is keyed by the version id and its content hash, and lives on the Flask app
(`app.extensions`), so two apps (or two test databases that reuse ids) never share entries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import MutableMapping

from sqlalchemy import and_, bindparam, select
from sqlalchemy.engine import Connection
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
    content_hash: str
    title: str
    lessons: tuple[LessonView, ...]


@dataclass(frozen=True)
class CourseView:
    id: int
    slug: str


LessonCache = MutableMapping[tuple[int, str], tuple[LessonView, ...]]

# Built once: constructing the WHERE clauses on every request costs more than running the query.
_LESSONS = (select(Lesson.slug, Lesson.title, Lesson.position, Lesson.minutes, Lesson.html)
            .where(Lesson.version_id == bindparam("version_id")).order_by(Lesson.position))


# The live version and the reader's done lessons in one statement: one row per done lesson (one row with a
# NULL slug when none is done, or for an anonymous reader, whose user id NULL matches nothing).
_LIVE_DONE = (select(Course.id, Course.slug, CourseVersion.id, CourseVersion.content_hash,
                     CourseVersion.title, LessonProgress.lesson_slug)
              .join(CourseVersion, Course.published_version_id == CourseVersion.id)
              .outerjoin(LessonProgress, and_(LessonProgress.course_id == Course.id,
                                              LessonProgress.user_id == bindparam("user_id")))
              .where(Course.slug == bindparam("slug")))


def live_and_done(session: Session, cache: LessonCache, slug: str,
                  user_id: int | None) -> tuple[CourseView, VersionView, set[str]] | None:
    """The course with this slug and its live version's lessons (None if there is no such live
    course) and, read in the same statement, the slugs of the lessons `user_id` has done in that course
    (the same as `learning.done_lessons`; empty for None, an anonymous reader)."""
    connection = session.connection()
    rows = connection.execute(_LIVE_DONE, {"slug": slug, "user_id": user_id}).all()
    if not rows:
        return None
    course, version = _views(connection, cache, *rows[0][:5])
    return course, version, {r[5] for r in rows if r[5] is not None}


def _views(connection: Connection, cache: LessonCache, course_id: int, course_slug: str, version_id: int,
           content_hash: str, title: str) -> tuple[CourseView, VersionView]:
    key = (version_id, content_hash)
    lessons = cache.get(key)
    if lessons is None:
        lessons = tuple(LessonView(*r) for r in connection.execute(_LESSONS, {"version_id": version_id}))
        cache[key] = lessons
    return CourseView(course_id, course_slug), VersionView(version_id, content_hash, title, lessons)
