"""Published courses for the catalog, and the documents the search index is built from."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, contains_eager, joinedload, undefer

from ..models import Asset, Course, CourseVersion, CourseVersionTag, Lesson
from ..search import SearchDoc

PAGE_SIZE = 20  # courses per catalog page: about 10 KB of HTML, light on an old phone
SORTS = ("title", "new", "short")  # by title; newest version first; shortest first


@dataclass(frozen=True)
class Filters:
    domain: str | None = None
    level: int | None = None
    group: int | None = None
    sort: str = "title"


@dataclass(frozen=True)
class Page:
    """One page of the catalog: its courses (live version loaded), which page it is and how many match."""
    courses: list[Course]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def _matching(filters: Filters) -> Select[tuple[Course]]:
    """Live courses with their live version joined, narrowed by the filters, all in SQL: one indexed EXISTS
    on the version's tags per list filter (course_version_tag), the level on the version itself."""
    query = select(Course).join(CourseVersion, Course.published_version_id == CourseVersion.id)
    if filters.level:
        query = query.where(CourseVersion.level == filters.level)
    for tag in ([f"d:{filters.domain}"] if filters.domain else []) + ([f"g:{filters.group}"] if filters.group else []):
        query = query.where(exists().where(CourseVersionTag.version_id == CourseVersion.id,
                                           CourseVersionTag.tag == tag))
    return query


_ORDER = {"title": (CourseVersion.title, Course.id), "new": (CourseVersion.created_at.desc(), Course.id.desc()),
          "short": (CourseVersion.minutes, CourseVersion.title, Course.id)}


def page(session: Session, filters: Filters = Filters(), number: int = 1, size: int = PAGE_SIZE) -> Page | None:
    """Page `number` (from 1) of the live courses matching the filters, sorted in the database; None when
    there is no such page (page 1 always exists, empty or not). Two statements: the count, and the page's
    courses with their versions. The page's ids are chosen in a subquery that sorts only the narrow sort
    keys: sorting whole version rows (their introduction HTML) cost 4x with 3,000 courses."""
    matching = _matching(filters)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    if number < 1 or (number > 1 and (number - 1) * size >= total):
        return None
    order = _ORDER.get(filters.sort, _ORDER["title"])
    chosen = (matching.with_only_columns(Course.id).order_by(*order).limit(size).offset((number - 1) * size)
              .subquery())
    rows = session.scalars(select(Course).join(CourseVersion, Course.published_version_id == CourseVersion.id)
                           .join(chosen, chosen.c.id == Course.id)
                           .options(contains_eager(Course.published)).order_by(*order)).all()
    return Page(list(rows), number, total, size)


def published(session: Session, limit: int | None = None) -> list[Course]:
    """The live courses by title (the first `limit` of them), their live version loaded."""
    query = _matching(Filters()).options(contains_eager(Course.published)).order_by(*_ORDER["title"])
    return list(session.scalars(query.limit(limit) if limit is not None else query))


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
