"""A learner's use cases on a real database: enrolment, lessons done, quiz attempts and course completion."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.domain import content, grading
from lms.domain.textnorm import strip_diacritics
from lms.models import Base, Course, Enrolment, LessonProgress, Question, Quiz, QuizAttempt, User
from lms.services import learning, publishing
from lms.services.learning import Refused

from .conftest import SCAM

UserFactory = Callable[..., User]


def quiz_of(course: Course) -> Quiz:
    assert course.published is not None
    return course.published.quizzes[0]


def lesson_slugs(course: Course) -> list[str]:
    assert course.published is not None
    return [lesson.slug for lesson in course.published.lessons]


def right_answer(question: Question) -> Any:
    """The right answer built from the stored key, typed the way a hurried learner might."""
    if question.kind == "single":
        return question.answer["correct"][0]
    if question.kind == "multiple":
        return list(reversed(question.answer["correct"]))
    if question.kind == "text":
        return "  " + strip_diacritics(question.answer["accepted"][0]).upper() + " "
    value = question.answer["values"][0][0]
    return f"{value:g}".replace(".", ",")


def wrong_answer(question: Question) -> Any:
    if question.kind == "single":
        return next(o["key"] for o in question.options if o["key"] not in question.answer["correct"])
    if question.kind == "multiple":
        return []
    if question.kind == "text":
        return "không biết"
    return "-987654"


def answers(session: Session, attempt: QuizAttempt, right: int | None = None) -> dict[str, Any]:
    """A submitted form: the first `right` questions answered right (all when None), the rest wrong."""
    form: dict[str, Any] = {}
    for i, entry in enumerate(attempt.layout):
        question = session.get(Question, entry["question"])
        assert question is not None
        good = right is None or i < right
        form[f"q{question.id}"] = right_answer(question) if good else wrong_answer(question)
    return form


def snapshot(session: Session) -> dict[str, Any]:
    """Every learner-side row, to prove that a refused action wrote nothing."""
    session.expire_all()
    state: dict[str, Any] = {}
    for model in (Enrolment, LessonProgress, QuizAttempt):
        rows = session.scalars(select(model).order_by(model.id)).all()
        state[model.__tablename__] = [
            {c.name: getattr(row, c.key) for c in model.__table__.columns} for row in rows]
    return state


def count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# ------------------------------------------------------------------------------------------------------------
# Enrolment and lessons


def test_enrol_is_idempotent(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                             now: datetime) -> None:
    """Enrolling twice returns the same enrolment and stores one row."""
    user = make_learner()
    first = learning.enrol(session, user, courses[SCAM], now)
    session.commit()
    second = learning.enrol(session, user, courses[SCAM], now + timedelta(minutes=5))
    session.commit()
    assert first.id == second.id
    assert count(session, Enrolment) == 1
    assert second.enrolled_at == now and second.completed_at is None


def test_mark_done_is_idempotent(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                 now: datetime) -> None:
    """Marking a lesson done twice leaves one row and enrols the learner."""
    user = make_learner()
    slug = lesson_slugs(courses[SCAM])[0]
    learning.mark_done(session, user, courses[SCAM], slug, now)
    session.commit()
    learning.mark_done(session, user, courses[SCAM], slug, now + timedelta(minutes=1))
    session.commit()
    rows = session.scalars(select(LessonProgress)).all()
    assert [(r.user_id, r.course_id, r.lesson_slug, r.done_at) for r in rows] == \
        [(user.id, courses[SCAM].id, slug, now)]
    assert count(session, Enrolment) == 1
    assert learning.course_progress(session, user, courses[SCAM]).lessons_done == 1


def test_mark_done_unknown_lesson_is_refused(session: Session, courses: dict[str, Course],
                                             make_learner: UserFactory, now: datetime) -> None:
    """A lesson slug not in the live version is refused and nothing is written."""
    user = make_learner()
    before = snapshot(session)
    with pytest.raises(Refused) as refused:
        learning.mark_done(session, user, courses[SCAM], "khong-co-bai-nay", now)
    assert refused.value.reason == "unknown_lesson"
    session.commit()
    assert snapshot(session) == before


def test_progress_is_per_learner(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                 now: datetime) -> None:
    """One learner's done lessons do not show in another's progress."""
    an, binh = make_learner("an@example.vn"), make_learner("binh@example.vn")
    for slug in lesson_slugs(courses[SCAM])[:3]:
        learning.mark_done(session, an, courses[SCAM], slug, now)
    session.commit()
    assert learning.course_progress(session, an, courses[SCAM]).lessons_done == 3
    assert learning.course_progress(session, binh, courses[SCAM]).lessons_done == 0


def test_progress_survives_a_new_version(session: Session, content_root: Path, make_learner: UserFactory,
                                         now: datetime) -> None:
    """After a new version, lessons done that still exist (by slug) count; removed ones drop out."""
    extra = content_root / "courses" / SCAM / "07-bai-doc-them.md"
    extra.write_text("---\ntitle: Bài đọc thêm\n---\nĐọc thêm về lừa đảo.\n", encoding="utf-8")
    result = content.load(content_root)
    assert result.problems == []
    publishing.publish(session, result.courses, now)
    session.commit()
    course = session.scalars(select(Course).where(Course.slug == SCAM)).one()
    user = make_learner()
    kept = lesson_slugs(course)[0]
    learning.mark_done(session, user, course, kept, now)
    learning.mark_done(session, user, course, "bai-doc-them", now)
    session.commit()
    before = learning.course_progress(session, user, course)
    assert (before.lessons_done, before.lessons_total) == (2, 7)

    extra.unlink()
    outcomes = publishing.publish(session, content.load(content_root).courses, now + timedelta(days=1))
    session.commit()
    assert {o.slug: (o.status, o.version) for o in outcomes}[SCAM] == ("updated", 2)
    session.expire_all()
    course = session.scalars(select(Course).where(Course.slug == SCAM)).one()
    after = learning.course_progress(session, user, course)
    assert (after.lessons_done, after.lessons_total) == (1, 6)
    assert learning.done_lessons(session, user.id, course.id) >= {kept}


# ------------------------------------------------------------------------------------------------------------
# Quiz attempts


def test_start_attempt_draws_the_quiz(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                      now: datetime) -> None:
    """A new attempt holds `draw` distinct questions of the quiz, each with its options shuffled."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(1))
    session.commit()
    pool = {q.id: q for q in quiz.questions}
    drawn = [entry["question"] for entry in attempt.layout]
    assert len(drawn) == quiz.draw == attempt.total == 10
    assert len(set(drawn)) == 10 and set(drawn) <= set(pool)
    for entry in attempt.layout:
        assert sorted(entry["order"]) == sorted(o["key"] for o in pool[entry["question"]].options)
    assert (attempt.number, attempt.submitted_at, attempt.user_id) == (1, None, user.id)
    assert count(session, Enrolment) == 1


def test_start_attempt_resumes_the_open_attempt(session: Session, courses: dict[str, Course],
                                                make_learner: UserFactory, now: datetime) -> None:
    """Starting again while an attempt is open returns that attempt instead of creating a second one."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    first = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(1))
    session.commit()
    later = now + timedelta(minutes=3)
    again = learning.start_attempt(session, user, courses[SCAM], quiz, later, random.Random(2))
    session.commit()
    assert again.id == first.id
    assert again.layout == first.layout
    assert count(session, QuizAttempt) == 1


def test_start_attempt_refused_after_max_attempts(session: Session, courses: dict[str, Course],
                                                  make_learner: UserFactory, now: datetime) -> None:
    """After `attempts` failed attempts, another start is refused and nothing is written."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    assert quiz.max_attempts == 3
    for n in range(quiz.max_attempts):
        attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(n))
        graded = learning.submit_attempt(session, user, attempt.id, answers(session, attempt, right=0), now)
        session.commit()
        assert (graded.number, graded.passed) == (n + 1, False)
    before = snapshot(session)
    with pytest.raises(Refused) as refused:
        learning.start_attempt(session, user, courses[SCAM], quiz, now)
    assert refused.value.reason == "no_attempts_left"
    session.commit()
    assert snapshot(session) == before
    status = learning.attempt_status(session, user, courses[SCAM], quiz)
    assert (status.used, status.remaining, status.passed, status.best_percent) == (3, 0, False, 0)


def test_start_attempt_refused_after_passing(session: Session, courses: dict[str, Course],
                                             make_learner: UserFactory, now: datetime) -> None:
    """Once the quiz is passed, no new attempt can be started."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now)
    learning.submit_attempt(session, user, attempt.id, answers(session, attempt), now)
    session.commit()
    with pytest.raises(Refused) as refused:
        learning.start_attempt(session, user, courses[SCAM], quiz, now)
    assert refused.value.reason == "already_passed"
    assert count(session, QuizAttempt) == 1


@pytest.mark.parametrize(("right", "passed"), [(10, True), (9, True), (8, True), (7, False), (0, False)])
def test_submit_grades_on_the_server(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                     now: datetime, right: int, passed: bool) -> None:
    """Answers built from the key grade right (case, spacing, diacritics, decimal comma); 8/10 passes."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    assert quiz.pass_percent == 80 and quiz.ignore_diacritics is True
    attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(right))
    session.commit()
    form = answers(session, attempt, right=right)
    graded = learning.submit_attempt(session, user, attempt.id, form, now + timedelta(minutes=7))
    session.commit()
    session.expire_all()
    stored = session.get(QuizAttempt, attempt.id)
    assert stored is not None
    assert (stored.correct, stored.total, stored.passed) == (right, 10, passed)
    assert stored.score_percent == right * 10
    assert stored.submitted_at == now + timedelta(minutes=7)
    drawn = [str(entry["question"]) for entry in attempt.layout]
    assert stored.results == {qid: i < right for i, qid in enumerate(drawn)}
    assert set(stored.answers or {}) == set(drawn)
    assert graded.id == attempt.id


def test_submit_with_blank_answers_counts_them_wrong(session: Session, courses: dict[str, Course],
                                                     make_learner: UserFactory, now: datetime) -> None:
    """Questions left out of the form are graded wrong, not refused."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(5))
    form = dict(list(answers(session, attempt).items())[:4])
    graded = learning.submit_attempt(session, user, attempt.id, form, now)
    session.commit()
    assert (graded.correct, graded.passed) == (4, False)


def test_every_stored_key_accepts_its_right_answer(session: Session, courses: dict[str, Course]) -> None:
    """Every published question of both demo quizzes accepts its right answer and rejects a wrong one."""
    for course in courses.values():
        quiz = quiz_of(course)
        assert len(quiz.questions) >= 15
        for question in quiz.questions:
            key = grading.QuestionKey(question.id, question.kind, tuple(o["key"] for o in question.options),
                                      question.answer)
            ignore = quiz.ignore_diacritics
            assert grading.is_correct(key, right_answer(question), ignore), question.prompt_html
            assert not grading.is_correct(key, wrong_answer(question), ignore), question.prompt_html


def test_second_submit_is_refused_and_writes_nothing(session: Session, courses: dict[str, Course],
                                                     make_learner: UserFactory, now: datetime) -> None:
    """Submitting the same attempt again is refused (`already_submitted`) and changes nothing."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now)
    learning.submit_attempt(session, user, attempt.id, answers(session, attempt, right=3), now)
    session.commit()
    before = snapshot(session)
    with pytest.raises(Refused) as refused:
        learning.submit_attempt(session, user, attempt.id, answers(session, attempt), now)
    assert (refused.value.reason, refused.value.attempt_id) == ("already_submitted", attempt.id)
    session.commit()
    assert snapshot(session) == before


def test_someone_elses_attempt_is_refused(session: Session, courses: dict[str, Course],
                                          make_learner: UserFactory, now: datetime) -> None:
    """Another learner cannot submit my attempt (`not_yours`), and it stays open."""
    owner, other = make_learner("an@example.vn"), make_learner("binh@example.vn")
    quiz = quiz_of(courses[SCAM])
    attempt = learning.start_attempt(session, owner, courses[SCAM], quiz, now)
    session.commit()
    before = snapshot(session)
    with pytest.raises(Refused) as refused:
        learning.submit_attempt(session, other, attempt.id, answers(session, attempt), now)
    assert refused.value.reason == "not_yours"
    session.commit()
    assert snapshot(session) == before


def test_missing_attempt_is_refused(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                    now: datetime) -> None:
    """An attempt id that does not exist is refused like someone else's."""
    user = make_learner()
    with pytest.raises(Refused) as refused:
        learning.submit_attempt(session, user, 424242, {}, now)
    assert refused.value.reason == "not_yours"


@pytest.mark.parametrize("field", ["outside", "q999999", "qabc", "q"])
def test_unknown_question_is_refused(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                     now: datetime, field: str) -> None:
    """A question not drawn for the attempt (or not a question at all) is refused and nothing is written."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(3))
    session.commit()
    form = answers(session, attempt)
    if field == "outside":
        drawn = {entry["question"] for entry in attempt.layout}
        outside = next(q for q in quiz.questions if q.id not in drawn)
        form[f"q{outside.id}"] = right_answer(outside)
    else:
        form[field] = "a"
    before = snapshot(session)
    with pytest.raises(Refused) as refused:
        learning.submit_attempt(session, user, attempt.id, form, now)
    assert refused.value.reason == "unknown_question"
    session.commit()
    assert snapshot(session) == before


@pytest.mark.parametrize("kind", ["single", "multiple"])
def test_unknown_option_is_refused(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                                   now: datetime, kind: str) -> None:
    """An option key the question does not have is refused and nothing is written."""
    user = make_learner()
    quiz = quiz_of(courses[SCAM])
    for seed in range(50):  # find a draw that holds a question of this kind
        attempt = learning.start_attempt(session, user, courses[SCAM], quiz, now, random.Random(seed))
        drawn = [session.get(Question, e["question"]) for e in attempt.layout]
        kinds = {q.kind: q.id for q in drawn if q is not None}
        if kind in kinds:
            break
        session.rollback()
    else:
        pytest.fail(f"no draw with a {kind} question")
    session.commit()
    form = answers(session, attempt)
    form[f"q{kinds[kind]}"] = "zz" if kind == "single" else ["a", "zz"]
    before = snapshot(session)
    with pytest.raises(Refused) as refused:
        learning.submit_attempt(session, user, attempt.id, form, now)
    assert refused.value.reason == "unknown_option"
    session.commit()
    assert snapshot(session) == before


# ------------------------------------------------------------------------------------------------------------
# Course completion


def completed_at(session: Session, user: User, course: Course) -> datetime | None:
    session.expire_all()
    return session.scalars(select(Enrolment.completed_at).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id)).one()


def test_completion_after_lessons_then_quiz(session: Session, courses: dict[str, Course],
                                            make_learner: UserFactory, now: datetime) -> None:
    """All lessons done is not enough until the required quiz is passed; passing it completes the course."""
    user = make_learner()
    course = courses[SCAM]
    for slug in lesson_slugs(course):
        learning.mark_done(session, user, course, slug, now)
    session.commit()
    assert completed_at(session, user, course) is None
    progress = learning.course_progress(session, user, course)
    assert (progress.lessons_done, progress.quizzes_passed, progress.complete) == \
        (len(lesson_slugs(course)), 0, False)

    quiz = quiz_of(course)
    attempt = learning.start_attempt(session, user, course, quiz, now)
    learning.submit_attempt(session, user, attempt.id, answers(session, attempt, right=7), now)
    session.commit()
    assert completed_at(session, user, course) is None

    done_at = now + timedelta(hours=1)
    attempt = learning.start_attempt(session, user, course, quiz, done_at)
    learning.submit_attempt(session, user, attempt.id, answers(session, attempt, right=8), done_at)
    session.commit()
    assert completed_at(session, user, course) == done_at
    progress = learning.course_progress(session, user, course)
    assert (progress.complete, progress.percent) == (True, 100)


def test_completion_after_quiz_then_last_lesson(session: Session, courses: dict[str, Course],
                                                make_learner: UserFactory, now: datetime) -> None:
    """Passing the quiz first and then marking the last lesson done completes the course at that moment."""
    user = make_learner()
    course = courses[SCAM]
    quiz = quiz_of(course)
    attempt = learning.start_attempt(session, user, course, quiz, now)
    learning.submit_attempt(session, user, attempt.id, answers(session, attempt), now)
    *first, last = lesson_slugs(course)
    for slug in first:
        learning.mark_done(session, user, course, slug, now)
    session.commit()
    assert completed_at(session, user, course) is None

    done_at = now + timedelta(days=2)
    learning.mark_done(session, user, course, last, done_at)
    session.commit()
    assert completed_at(session, user, course) == done_at
    # Doing a lesson again later does not move the completion date.
    learning.mark_done(session, user, course, last, done_at + timedelta(days=1))
    session.commit()
    assert completed_at(session, user, course) == done_at


def test_my_courses(session: Session, courses: dict[str, Course], make_learner: UserFactory,
                    now: datetime) -> None:
    """"My learning" lists the learner's enrolments, most recent first, and nobody else's."""
    an, binh = make_learner("an@example.vn"), make_learner("binh@example.vn")
    learning.enrol(session, an, courses[SCAM], now)
    learning.enrol(session, an, courses["dung-vneid-dich-vu-cong"], now + timedelta(hours=1))
    learning.enrol(session, binh, courses[SCAM], now)
    session.commit()
    assert [c.slug for c, _ in learning.my_courses(session, an)] == ["dung-vneid-dich-vu-cong", SCAM]
    assert [c.slug for c, _ in learning.my_courses(session, binh)] == [SCAM]
