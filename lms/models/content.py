"""Published course content: courses, their immutable versions, lessons, quizzes, questions and images.

A version is written once by the publishing service and never changed afterwards; the course row points at
the live one. Learners' progress refers to lessons and quizzes by slug, so it survives new versions.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    published_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("course_version.id", use_alter=True, name="fk_course_published_version_id_course_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published: Mapped[Optional["CourseVersion"]] = relationship(foreign_keys=[published_version_id])


class CourseVersion(Base):
    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int]
    target_groups: Mapped[list[int]] = mapped_column(JSON)
    competencies: Mapped[list[str]] = mapped_column(JSON)
    minutes: Mapped[int] = mapped_column(default=0)
    completion: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    lessons: Mapped[list["Lesson"]] = relationship(order_by="Lesson.position", back_populates="version")
    quizzes: Mapped[list["Quiz"]] = relationship(order_by="Quiz.position", back_populates="version")


class CourseVersionTag(Base):
    """What the catalog filters a version on, one row per value, written with the version and never changed:
    "d:<competence area>" and "g:<target group>" (the JSON lists of the version cannot be filtered on in
    portable SQL). The catalog selects one page of live courses with an EXISTS per filter (issue 9 §4)."""

    __tablename__ = "course_version_tag"
    __table_args__ = (Index("ix_course_version_tag_tag", "tag", "version_id"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(20), primary_key=True)


def catalog_tags(target_groups: list[int], competencies: list[str]) -> list[str]:
    """The tags of a version with these target groups and competencies (a competency's area is the part of
    its code before the dot: "4.2" is in area 4)."""
    return sorted({f"g:{g}" for g in target_groups} | {f"d:{c.split('.')[0]}" for c in competencies})


class Lesson(Base):
    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), index=True)
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    # Deferred: a syllabus reads titles and slugs; the lesson page and the search index select these columns.
    html: Mapped[str] = mapped_column(Text, deferred=True)
    text: Mapped[str] = mapped_column(Text, deferred=True)
    competencies: Mapped[list[str]] = mapped_column(JSON)
    minutes: Mapped[int] = mapped_column(default=0)

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class Quiz(Base):
    __tablename__ = "quiz"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), index=True)
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    intro_html: Mapped[str] = mapped_column(Text, default="")
    pass_percent: Mapped[int]
    max_attempts: Mapped[int]  # 0 means unlimited
    draw: Mapped[int]
    required: Mapped[bool] = mapped_column(default=True)
    shuffle: Mapped[bool] = mapped_column(default=True)
    ignore_diacritics: Mapped[bool] = mapped_column(default=False)
    competencies: Mapped[list[str]] = mapped_column(JSON)

    version: Mapped[CourseVersion] = relationship(back_populates="quizzes")
    questions: Mapped[list["Question"]] = relationship(order_by="Question.position", back_populates="quiz")


class Question(Base):
    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # single | multiple | text | number
    prompt_html: Mapped[str] = mapped_column(Text)
    # [{"key": "a", "html": "..."}]; empty for text and number questions.
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    # The key: {"correct": ["a"]} | {"accepted": ["..."]} | {"value": 12.0, "tolerance": 0.0}
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    competencies: Mapped[list[str]] = mapped_column(JSON)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class Asset(Base):
    """An image from course content, stored by content hash so every app server can serve it."""

    __tablename__ = "asset"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
