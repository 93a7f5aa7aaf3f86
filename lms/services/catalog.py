"""Published courses for the catalog, and the documents the search index is built from."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, joinedload, undefer

from ..domain.framework import framework
from ..models import Asset, Course, CourseVersion, Lesson
from ..search import SearchDoc


@dataclass(frozen=True)
class Filters:
    domain: str | None = None
    level: int | None = None
    group: int | None = None


def published(session: Session, filters: Filters = Filters()) -> list[Course]:
    """Live courses matching the filters, by title. Filtering on JSON lists happens here, in Python: a
    catalog holds hundreds of courses, not millions, and this stays portable across SQLite and PostgreSQL."""
    courses = session.scalars(select(Course).join(CourseVersion, Course.published_version_id == CourseVersion.id)
                              .options(joinedload(Course.published)).order_by(CourseVersion.title)).all()
    fw = framework()
    result = []
    for course in courses:
        v = course.published
        assert v is not None
        if filters.level and v.level != filters.level:
            continue
        if filters.group and filters.group not in v.target_groups:
            continue
        if filters.domain and not any(fw.domain_of(c).code == filters.domain for c in v.competencies):
            continue
        result.append(course)
    return result


def by_slug(session: Session, slug: str) -> Course | None:
    # The live version comes in the same query: every caller reads it (one lazy load less per request).
    course = session.scalars(select(Course).where(Course.slug == slug)
                             .options(joinedload(Course.published))).one_or_none()
    return course if course is not None and course.published is not None else None


def asset(session: Session, sha256: str) -> Asset | None:
    """A course image or file by its content hash (64 hex digits), or None."""
    return session.get(Asset, sha256) if len(sha256) == 64 else None


def database_answers(session: Session) -> None:
    """Raises when the database does not answer (the health check)."""
    session.execute(text("SELECT 1"))


def schema_revision(session: Session) -> str | None:
    """The migration the database is at (Alembic's `alembic_version`), None when it has none; raises when the
    database does not answer (the readiness check)."""
    try:
        return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except ProgrammingError:  # PostgreSQL: no such table
        return None
    except OperationalError as err:  # SQLite: "no such table"; anything else is a database that is down
        if "no such table" in str(err):
            return None
        raise


def search_documents(session: Session) -> list[SearchDoc]:
    """One document per live course and per lesson of a live version."""
    docs: list[SearchDoc] = []
    for course in published(session):
        v = course.published
        assert v is not None
        docs.append(SearchDoc(f"c:{course.slug}", "course", course.slug, "", v.title, v.summary, v.title))
        lessons = session.scalars(select(Lesson).where(Lesson.version_id == v.id).options(undefer(Lesson.text))
                                  .order_by(Lesson.position))
        docs.extend(SearchDoc(f"l:{course.slug}:{lesson.slug}", "lesson", course.slug, lesson.slug, lesson.title,
                              lesson.text, v.title) for lesson in lessons)
    return docs


def content_stamp(session: Session) -> str:
    """A short fingerprint of what is published (each course and its live version): it changes with every
    import that publishes or withdraws anything, so a server can tell that its search index is stale. One
    small statement (one row per course)."""
    import hashlib

    rows = session.execute(select(Course.id, Course.published_version_id).order_by(Course.id)).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:32]
