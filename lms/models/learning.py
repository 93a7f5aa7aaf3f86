"""A learner's work: enrolments, lessons marked done and quiz attempts.

Unique constraints make every write idempotent under double submits and concurrent requests.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Enrolment(Base):
    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "lesson_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    lesson_slug: Mapped[str] = mapped_column(String(100))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuizAttempt(Base):
    __tablename__ = "quiz_attempt"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "quiz_slug", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    quiz_slug: Mapped[str] = mapped_column(String(100))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"))
    number: Mapped[int]
    # [{"question": 12, "order": ["b", "a", "c"]}] in the order shown to the learner.
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # {"12": ["a"], "13": "VNeID"}: what the learner answered, by question id.
    answers: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # {"12": true, ...}: per-question result.
    results: Mapped[Optional[dict[str, bool]]] = mapped_column(JSON)
    correct: Mapped[Optional[int]]
    total: Mapped[int]
    passed: Mapped[Optional[bool]]

    @property
    def score_percent(self) -> int:
        return round(100 * (self.correct or 0) / self.total) if self.total else 0
