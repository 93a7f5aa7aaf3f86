"""Publishing compiled courses: new, unchanged and updated versions; unchanged content writes nothing."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.domain import content
from lms.domain.content import CompiledCourse
from lms.models import Asset, Base, Course, CourseVersion, Lesson, Question, Quiz
from lms.services import publishing
from lms.services.publishing import Outcome

from .conftest import SCAM, VNEID


def compiled(root: Path) -> list[CompiledCourse]:
    result = content.load(root)
    assert result.problems == []
    return result.courses


def by_slug(outcomes: list[Outcome]) -> list[Outcome]:
    return sorted(outcomes, key=lambda o: o.slug)


def row_counts(session: Session) -> dict[str, int]:
    """The number of rows in every table."""
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables}


def test_publish_new_then_unchanged_then_updated(session: Session, content_root: Path, now: datetime) -> None:
    """First import is new (v1), the same content is unchanged (v1), an edited course is updated (v2)."""
    first = publishing.publish(session, compiled(content_root), now)
    session.commit()
    assert by_slug(first) == [Outcome(VNEID, "new", 1), Outcome(SCAM, "new", 1)]

    again = publishing.publish(session, compiled(content_root), now + timedelta(hours=1))
    session.commit()
    assert by_slug(again) == [Outcome(VNEID, "unchanged", 1), Outcome(SCAM, "unchanged", 1)]

    lesson = content_root / "courses" / SCAM / "02-mao-danh-nguoi-than.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nMột đoạn mới về cuộc gọi video giả.\n",
                      encoding="utf-8")
    third = publishing.publish(session, compiled(content_root), now + timedelta(hours=2))
    session.commit()
    assert by_slug(third) == [Outcome(VNEID, "unchanged", 1), Outcome(SCAM, "updated", 2)]

    course = session.scalars(select(Course).where(Course.slug == SCAM)).one()
    assert course.published is not None and course.published.number == 2
    new_lesson = next(lesson for lesson in course.published.lessons if lesson.slug == "mao-danh-nguoi-than")
    assert "Một đoạn mới về cuộc gọi video giả." in new_lesson.text
    versions = session.scalars(select(CourseVersion.number).where(CourseVersion.course_id == course.id))
    assert sorted(versions) == [1, 2]


def test_unchanged_reimport_adds_no_rows(session: Session, content_root: Path, now: datetime) -> None:
    """Importing the same content again leaves every table exactly as it was."""
    publishing.publish(session, compiled(content_root), now)
    session.commit()
    before = row_counts(session)
    assert before["course"] == 2 and before["question"] > 0
    publishing.publish(session, compiled(content_root), now + timedelta(days=1))
    session.commit()
    assert row_counts(session) == before


def test_published_version_holds_the_content(session: Session, demo_content: list[CompiledCourse],
                                             now: datetime) -> None:
    """Each version stores its metadata, lessons in order, quizzes and questions with their keys."""
    publishing.publish(session, demo_content, now)
    session.commit()
    for source in demo_content:
        course = session.scalars(select(Course).where(Course.slug == source.slug)).one()
        version = course.published
        assert version is not None
        assert (version.title, version.level, version.target_groups, version.competencies) == \
            (source.title, source.level, source.target_groups, source.competencies)
        assert version.completion == source.completion
        assert version.content_hash == source.content_hash
        assert [(lesson.position, lesson.slug) for lesson in version.lessons] == \
            [(i, lesson.slug) for i, lesson in enumerate(source.lessons, start=1)]
        (quiz,) = version.quizzes
        (source_quiz,) = source.quizzes
        assert (quiz.slug, quiz.draw, quiz.pass_percent, quiz.max_attempts, quiz.required) == \
            (source_quiz.slug, source_quiz.draw, source_quiz.pass_percent, source_quiz.max_attempts, True)
        assert [(q.kind, q.answer) for q in quiz.questions] == \
            [(q.kind, q.answer) for q in source_quiz.questions]


def test_images_are_stored_once(session: Session, content_root: Path, now: datetime) -> None:
    """One asset row per distinct image, shared by versions and courses, never duplicated."""
    courses = compiled(content_root)
    shas = {sha for c in courses for sha in c.assets}
    publishing.publish(session, courses, now)
    session.commit()
    stored = {a.sha256: a for a in session.scalars(select(Asset))}
    assert set(stored) == shas
    for c in courses:
        for sha, (mime, data) in c.assets.items():
            assert (stored[sha].mime, stored[sha].data) == (mime, data)

    # The same image used by the other course too, and a lesson edit: new versions, no new asset rows.
    scam_image = content_root / "courses" / SCAM / "images" / "khong-doc-otp.svg"
    (content_root / "courses" / VNEID / "images" / "otp.svg").write_bytes(scam_image.read_bytes())
    lesson = content_root / "courses" / VNEID / "07-tong-ket.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n![Không đọc mã OTP](images/otp.svg)\n",
                      encoding="utf-8")
    lesson = content_root / "courses" / SCAM / "06-tong-ket.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nHẹn gặp lại.\n", encoding="utf-8")
    outcomes = publishing.publish(session, compiled(content_root), now + timedelta(hours=1))
    session.commit()
    assert sorted(o.status for o in outcomes) == ["updated", "updated"]
    assert session.scalar(select(func.count()).select_from(Asset)) == len(shas)


def test_old_version_stays_intact(session: Session, content_root: Path, now: datetime) -> None:
    """A new version is added beside the old one; the old version's rows are not changed or removed."""
    publishing.publish(session, compiled(content_root), now)
    session.commit()
    course = session.scalars(select(Course).where(Course.slug == SCAM)).one()
    assert course.published is not None
    old_id = course.published.id
    old_lessons = [(lesson.slug, lesson.html) for lesson in course.published.lessons]
    old_questions = session.scalar(select(func.count()).select_from(Question).join(Quiz)
                                   .where(Quiz.version_id == old_id))

    quiz = content_root / "quizzes" / f"{SCAM}.md"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("pass: 80%", "pass: 70%"), encoding="utf-8")
    outcomes = publishing.publish(session, compiled(content_root), now + timedelta(hours=1))
    session.commit()
    assert by_slug(outcomes) == [Outcome(VNEID, "unchanged", 1), Outcome(SCAM, "updated", 2)]

    session.expire_all()
    course = session.scalars(select(Course).where(Course.slug == SCAM)).one()
    assert course.published is not None and course.published.id != old_id
    assert course.published.quizzes[0].pass_percent == 70
    assert [(lesson.slug, lesson.html) for lesson in session.scalars(
        select(Lesson).where(Lesson.version_id == old_id).order_by(Lesson.position))] == old_lessons
    old_quiz = session.scalars(select(Quiz).where(Quiz.version_id == old_id)).one()
    assert old_quiz.pass_percent == 80
    assert len(old_quiz.questions) == old_questions
