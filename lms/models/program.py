"""Published programs ("chương trình phổ cập"): what each target group must complete to count as achieved.

Like a course, a program row points at its live version, and a version is written once by the publishing
service and never changed afterwards. A version has one row per target group it covers, and each group row
the courses it requires (rows pointing at `course`, so a program can only name courses that exist) and the
competencies it requires (codes of the TT 02/2025 framework).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .content import Course


class Program(Base):
    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)  # the file name in programs/, without .md
    # None: withdrawn (its file was removed from programs/); its versions stay for the reports that used them
    published_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("program_version.id", use_alter=True, name="fk_program_published_version_id_program_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published: Mapped[Optional["ProgramVersion"]] = relationship(foreign_keys=[published_version_id])


class ProgramVersion(Base):
    __tablename__ = "program_version"
    __table_args__ = (UniqueConstraint("program_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(300), default="")  # the plan(s) it implements, as written
    first_year: Mapped[int]
    last_year: Mapped[int]
    vneid_level: Mapped[int]  # the VNeID account level a person's verification must have
    description_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship(foreign_keys=[program_id])
    groups: Mapped[list["ProgramGroup"]] = relationship(order_by="ProgramGroup.target_group",
                                                        back_populates="version")


class ProgramGroup(Base):
    """What one target group must complete under one program version."""

    __tablename__ = "program_group"
    __table_args__ = (UniqueConstraint("version_id", "target_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("program_version.id"), index=True)
    target_group: Mapped[int]
    competencies: Mapped[list[str]] = mapped_column(JSON)  # each certified by some valid certificate

    version: Mapped[ProgramVersion] = relationship(back_populates="groups")
    courses: Mapped[list["ProgramCourse"]] = relationship(order_by="ProgramCourse.position",
                                                         back_populates="group")


class ProgramCourse(Base):
    """A course the group must hold a valid certificate for."""

    __tablename__ = "program_course"

    group_id: Mapped[int] = mapped_column(ForeignKey("program_group.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), primary_key=True, index=True)
    position: Mapped[int]

    group: Mapped[ProgramGroup] = relationship(back_populates="courses")
    course: Mapped[Course] = relationship()
