"""A learner's use cases: enrol, mark lessons done, take quiz attempts, complete courses.

Every write is idempotent (unique constraints + savepoints) so a double submit or two tabs never duplicate
or lose work; a refused action raises `Refused` and writes nothing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, NamedTuple

from sqlalchemy import bindparam, func, literal, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..domain import completion, grading
from ..models import Course, CourseVersion, Enrolment, Lesson, LessonProgress, Question, Quiz, QuizAttempt, User
from . import certificates, facts


class Refused(Exception):
    """An action the rules do not allow; `reason` is a stable code the web layer turns into a message."""

    def __init__(self, reason: str, attempt_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempt_id = attempt_id


def enrol(session: Session, user: User, course: Course, now: datetime) -> Enrolment:
    """The learner's enrolment in `course`, created on first call."""
    found = session.scalars(_ENROLMENT, {"user_id": user.id, "course_id": course.id}).one_or_none()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            enrolment = Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now)
            session.add(enrolment)
    except IntegrityError:  # a concurrent request enrolled first
        return session.scalars(select(Enrolment).where(Enrolment.user_id == user.id,
                                                       Enrolment.course_id == course.id)).one()
    facts.enrolled(session, user, course.id, now)
    return enrolment


@dataclass(frozen=True)
class LessonDone:
    """What marking a lesson done led to: whether the course is now complete, and the lesson after it."""
    complete: bool
    next_lesson: str | None  # the slug of the next lesson of the live version; None after the last one


def mark_done(session: Session, user: User, course: Course, lesson_slug: str, now: datetime,
              certify: certificates.Settings | None = None) -> LessonDone:
    """Record the lesson as done (once) and update the course completion (see `update_completion`)."""
    version = _live(course)
    slugs = list(_structure(version)[0])
    if lesson_slug not in slugs:
        raise Refused("unknown_lesson")
    position = slugs.index(lesson_slug)
    enrol(session, user, course, now)
    exists = session.scalar(select(LessonProgress.id).where(
        LessonProgress.user_id == user.id, LessonProgress.course_id == course.id,
        LessonProgress.lesson_slug == lesson_slug))
    if exists is None:
        try:
            with session.begin_nested():
                session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_slug=lesson_slug, done_at=now))
        except IntegrityError:
            pass  # already recorded by a concurrent request
    complete = update_completion(session, user, course, now, certify)
    return LessonDone(complete, slugs[position + 1] if position + 1 < len(slugs) else None)


def done_lessons(session: Session, user_id: int, course_id: int) -> set[str]:
    return set(session.scalars(select(LessonProgress.lesson_slug).where(
        LessonProgress.user_id == user_id, LessonProgress.course_id == course_id)))


def passed_quizzes(session: Session, user_id: int, course_id: int) -> set[str]:
    return set(session.scalars(select(QuizAttempt.quiz_slug).where(
        QuizAttempt.user_id == user_id, QuizAttempt.course_id == course_id, QuizAttempt.passed.is_(True))))


# Statements run on every quiz submit and lesson marked done, built once with bind parameters (building them
# per call cost more than running them).
_DONE_AND_PASSED = union_all(
    select(literal(0), LessonProgress.lesson_slug).where(
        LessonProgress.user_id == bindparam("user_id"), LessonProgress.course_id == bindparam("course_id")),
    select(literal(1), QuizAttempt.quiz_slug).where(
        QuizAttempt.user_id == bindparam("user_id"), QuizAttempt.course_id == bindparam("course_id"),
        QuizAttempt.passed.is_(True)))
_ENROLMENT = select(Enrolment).where(Enrolment.user_id == bindparam("user_id"),
                                     Enrolment.course_id == bindparam("course_id"))
# Stamps the enrolment complete once (update_completion puts the value on an Enrolment already loaded).
_STAMP_COMPLETION = (update(Enrolment)
                     .where(Enrolment.user_id == bindparam("b_user"), Enrolment.course_id == bindparam("b_course"),
                            Enrolment.completed_at.is_(None))
                     .values(completed_at=bindparam("b_at"))
                     .execution_options(synchronize_session=False))
_QUESTIONS = select(Question).where(Question.id.in_(bindparam("ids", expanding=True)))


def _done_and_passed(session: Session, user_id: int, course_id: int) -> tuple[set[str], set[str]]:
    """`done_lessons` and `passed_quizzes` in one statement."""
    rows = session.execute(_DONE_AND_PASSED, {"user_id": user_id, "course_id": course_id})
    found: tuple[set[str], set[str]] = (set(), set())
    for kind, slug in rows:
        found[kind].add(slug)
    return found


def course_progress(session: Session, user: User, course: Course, done: set[str] | None = None,
                    passed: set[str] | None = None) -> completion.Progress:
    """Progress against the live version; lessons and quizzes are matched by slug across versions.
    `done` and `passed` may be given when the caller has already read them, to save the queries."""
    version = _live(course)
    if done is None and passed is None:
        done, passed = _done_and_passed(session, user.id, course.id)
    if done is None:
        done = done_lessons(session, user.id, course.id)
    if passed is None:
        passed = passed_quizzes(session, user.id, course.id)
    lesson_slugs, quizzes = _structure(version)
    return completion.progress(version.completion, list(lesson_slugs), done, list(quizzes), passed)


# The lesson slugs and (quiz slug, required) of a course version, per process. A version is immutable (an
# import that changes a course makes a new version), and the key holds its content hash as well as its id,
# so two databases that reuse an id never share an entry. Saves loading the version's lessons and quizzes
# on every completion check (each quiz submit that passes, each lesson marked done).
_STRUCTURES: dict[tuple[int, str], tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]] = {}
_STRUCTURES_MAX = 4096


def _structure(version: CourseVersion) -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    key = (version.id, version.content_hash)
    found = _STRUCTURES.get(key)
    if found is None:
        found = (tuple(lesson.slug for lesson in version.lessons),
                 tuple((q.slug, q.required) for q in version.quizzes))
        if len(_STRUCTURES) >= _STRUCTURES_MAX:
            _STRUCTURES.clear()
        _STRUCTURES[key] = found
    return found


def update_completion(session: Session, user: User, course: Course, now: datetime,
                      certify: certificates.Settings | None = None,
                      prepared: certificates.Prepared | None = None) -> bool:
    """Stamp the enrolment complete the first time the rule holds; returns whether the course is complete.
    With `certify` (the certificate settings), a complete course also gets its certificate when the person
    is eligible (certificates.issue_if_eligible: verified at the required level, once per person);
    `prepared` is that certificate drawn and signed beforehand (grade_attempt). The completion and the
    certificate it earns are recorded for the reports as one event (facts.certified)."""
    if not course_progress(session, user, course).complete:
        return False
    pending: list[facts.Fact] = []
    # Stamp the enrolment in one statement when it exists and is not complete yet (the usual case: the
    # learner enrolled when they started); otherwise read or make it, and stamp it as before.
    stamped = session.execute(_STAMP_COMPLETION, {"b_at": now, "b_user": user.id, "b_course": course.id})
    if stamped.rowcount == 1:
        completed_at: datetime | None = now.astimezone(timezone.utc)
        for loaded in list(session.identity_map.values()):  # an Enrolment already loaded now holds this value
            if isinstance(loaded, Enrolment) and loaded.user_id == user.id and loaded.course_id == course.id:
                set_committed_value(loaded, "completed_at", completed_at)
        pending.append(facts.completion_fact(user, course.id))
    else:
        enrolment = enrol(session, user, course, now)
        if enrolment.completed_at is None:
            again = session.execute(_STAMP_COMPLETION, {"b_at": now, "b_user": user.id, "b_course": course.id})
            if again.rowcount == 1:
                pending.append(facts.completion_fact(user, course.id))
            session.refresh(enrolment)
        completed_at = enrolment.completed_at
    if certify is not None:
        certificates.issue_if_eligible(session, user, course, now, certify, completed_at=completed_at,
                                       prepared=prepared, with_facts=pending)
    if pending:
        facts.record(session, user.id, now, pending)
    return True


@dataclass(frozen=True)
class AttemptStatus:
    used: int
    remaining: int | None  # None: unlimited
    open_attempt_id: int | None
    best_percent: int | None
    passed: bool


def attempt_status(session: Session, user: User, course: Course, quiz: Quiz) -> AttemptStatus:
    attempts = list(session.scalars(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id, QuizAttempt.quiz_slug == quiz.slug)))
    used = len(attempts)
    open_id = next((a.id for a in attempts if a.submitted_at is None), None)
    graded = [a.score_percent for a in attempts if a.submitted_at is not None]
    remaining = None if quiz.max_attempts == 0 else max(quiz.max_attempts - used, 0)
    return AttemptStatus(used, remaining, open_id, max(graded) if graded else None, any(a.passed for a in attempts))


def start_attempt(session: Session, user: User, course: Course, quiz: Quiz, now: datetime,
                  rng: random.Random | None = None) -> QuizAttempt:
    """The learner's open attempt, or a new one drawn at random; refused past the attempt limit."""
    status = attempt_status(session, user, course, quiz)
    if status.open_attempt_id is not None:
        attempt = session.get(QuizAttempt, status.open_attempt_id)
        assert attempt is not None
        return attempt
    if status.passed:
        raise Refused("already_passed")
    if status.remaining == 0:
        raise Refused("no_attempts_left")
    enrol(session, user, course, now)
    questions = list(session.scalars(select(Question).where(Question.quiz_id == quiz.id).order_by(Question.position)))
    layout = grading.draw_layout([q.id for q in questions], {q.id: [o["key"] for o in q.options] for q in questions},
                                 quiz.draw, quiz.shuffle, rng or random.SystemRandom())
    attempt = QuizAttempt(user_id=user.id, course_id=course.id, quiz_slug=quiz.slug, quiz_id=quiz.id,
                          number=status.used + 1, layout=layout, started_at=now, total=len(layout))
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:  # a double click started the same attempt number concurrently
        session.expire_all()
        again = attempt_status(session, user, course, quiz)
        if again.open_attempt_id is None:
            raise Refused("no_attempts_left")
        found = session.get(QuizAttempt, again.open_attempt_id)
        assert found is not None
        return found
    return attempt


class AttemptView(NamedTuple):
    """An attempt with the quiz it was drawn from and its course (the quiz may be of an older version)."""
    attempt: QuizAttempt
    quiz: Quiz
    course: Course


def own_attempt(session: Session, user: User, attempt_id: int) -> AttemptView:
    """The learner's attempt; Refused("unknown_attempt") when there is none, ("not_yours") for another's."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise Refused("unknown_attempt")
    if attempt.user_id != user.id:
        raise Refused("not_yours", attempt.id)
    quiz = session.get(Quiz, attempt.quiz_id)
    course = session.get(Course, attempt.course_id)
    assert quiz is not None and course is not None
    return AttemptView(attempt, quiz, course)


def attempt_questions(session: Session, attempt: QuizAttempt) -> list[tuple[Question, list[dict[str, str]]]]:
    """The attempt's questions in their drawn order, each with its options in the shuffled order."""
    ids = [entry["question"] for entry in attempt.layout]
    by_id = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(ids)))}
    result = []
    for entry in attempt.layout:
        question = by_id[entry["question"]]
        options = {o["key"]: o for o in question.options}
        result.append((question, [options[k] for k in entry["order"]]))
    return result


@dataclass(frozen=True)
class Graded:
    """An attempt graded but not yet recorded (`grade_attempt`), for `record_attempt` to write. `prepared`:
    the certificate this submit will issue, drawn and signed before the write (None when it will not complete
    the course or there is nothing to issue; `record_attempt` then does what is needed itself)."""
    attempt: QuizAttempt
    course: Course
    answers: dict[str, Any]
    results: dict[str, bool]
    correct: int
    passed: bool
    prepared: certificates.Prepared | None = None


def grade_attempt(session: Session, user: User, attempt_id: int, form: Mapping[str, Any], now: datetime,
                  certify: certificates.Settings | None = None) -> Graded:
    """Check and grade an attempt without writing anything (it may run in a read transaction).

    `form` maps "q<question id>" to an option key, a list of keys, or typed text. Refused for someone else's
    attempt, a submitted one, an attempt past the limit, an unknown question or option. With `certify`,
    when passing completes the course of an eligible person, the certificate is prepared here (number,
    status index, signatures), so that the write transaction only has to insert it."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise Refused("not_yours")
    if attempt.submitted_at is not None:
        raise Refused("already_submitted", attempt.id)
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    if quiz.max_attempts and attempt.number > quiz.max_attempts:
        raise Refused("no_attempts_left", attempt.id)
    in_attempt = {entry["question"] for entry in attempt.layout}
    given: dict[str, Any] = {}
    for name, value in form.items():
        if not name.startswith("q"):
            continue
        if not name[1:].isdigit() or int(name[1:]) not in in_attempt:
            raise Refused("unknown_question", attempt.id)
        given[name[1:]] = value
    questions = {q.id: q for q in session.scalars(_QUESTIONS, {"ids": sorted(in_attempt)})}
    results: dict[str, bool] = {}
    answers: dict[str, Any] = {}
    for qid, question in questions.items():
        key = grading.QuestionKey(question.id, question.kind, tuple(o["key"] for o in question.options), question.answer)
        response = given.get(str(qid))
        if question.kind == "multiple" and isinstance(response, str):
            response = [response]
        if not grading.validate_response(key, response):
            raise Refused("unknown_option", attempt.id)
        answers[str(qid)] = response
        results[str(qid)] = grading.is_correct(key, response, quiz.ignore_diacritics)
    correct = sum(results.values())
    passed = grading.passed(correct, attempt.total, quiz.pass_percent)
    course = session.get(Course, attempt.course_id)
    assert course is not None
    prepared = None
    if passed and certify is not None and course.published is not None \
            and certificates.eligible_person(user, certify):
        done, passed_slugs = _done_and_passed(session, user.id, course.id)
        if course_progress(session, user, course, done, passed_slugs | {quiz.slug}).complete:
            prepared = certificates.prepare(session, user, course, now, certify)
    return Graded(attempt, course, answers, results, correct, passed, prepared)


def record_attempt(session: Session, user: User, graded: Graded, now: datetime,
                   certify: certificates.Settings | None = None) -> QuizAttempt:
    """Record a graded attempt exactly once, then the course completion (and certificate) it leads to.
    Refused("already_submitted") when another submit of the same attempt was recorded first (compare-and-set
    on the attempt row: only the first of two racing submits records anything)."""
    attempt = graded.attempt
    done = session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(submitted_at=now, answers=graded.answers, results=graded.results, correct=graded.correct,
                passed=graded.passed)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Refused("already_submitted", attempt.id)
    # The attempt now holds exactly these values: set them on the loaded object without reading the row back.
    recorded = {"submitted_at": now.astimezone(timezone.utc), "answers": graded.answers,
                "results": graded.results, "correct": graded.correct, "passed": graded.passed}
    for name, value in recorded.items():
        set_committed_value(attempt, name, value)
    if graded.passed:
        update_completion(session, user, graded.course, now, certify, prepared=graded.prepared)
    return attempt


def submit_attempt(session: Session, user: User, attempt_id: int, form: Mapping[str, Any], now: datetime,
                   certify: certificates.Settings | None = None) -> QuizAttempt:
    """Grade and record an attempt exactly once, in the caller's transaction (`grade_attempt`, then
    `record_attempt`). The web layer runs the two in separate transactions instead (docs/architecture.md)."""
    graded = grade_attempt(session, user, attempt_id, form, now, certify)
    return record_attempt(session, user, graded, now, certify)


def _live(course: Course) -> CourseVersion:
    if course.published is None:
        raise Refused("not_published")
    return course.published


def enrolment(session: Session, user_id: int, course_id: int) -> Enrolment | None:
    """The learner's enrolment in the course, if any."""
    return session.scalars(select(Enrolment).where(Enrolment.user_id == user_id,
                                                   Enrolment.course_id == course_id)).one_or_none()


@dataclass(frozen=True)
class Joined:
    """One course of "My learning": the course (with its live version loaded), the enrolment, the progress."""
    course: Course
    enrolment: Enrolment
    progress: completion.Progress


def my_learning(session: Session, user: User) -> list[Joined]:
    """The learner's live courses, most recent enrolment first, each with its progress. A fixed number of
    queries whatever the number of courses: the enrolments with their courses and live versions, then the
    lesson slugs, the quizzes, the lessons done and the quizzes passed of all these courses at once (never a
    lesson's HTML)."""
    rows = [(c, e) for c, e in session.execute(
        select(Course, Enrolment).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Course.published_version_id.is_not(None))
        .options(joinedload(Course.published)).order_by(Enrolment.enrolled_at.desc()))]
    if not rows:
        return []
    versions = [c.published_version_id for c, _ in rows]
    lessons: dict[int, list[str]] = {v: [] for v in versions if v is not None}
    for version_id, slug in session.execute(select(Lesson.version_id, Lesson.slug)
                                            .where(Lesson.version_id.in_(versions)).order_by(Lesson.position)):
        lessons[version_id].append(slug)
    quizzes: dict[int, list[tuple[str, bool]]] = {v: [] for v in lessons}
    for version_id, slug, required in session.execute(select(Quiz.version_id, Quiz.slug, Quiz.required)
                                                      .where(Quiz.version_id.in_(versions)).order_by(Quiz.position)):
        quizzes[version_id].append((slug, required))
    done: dict[int, set[str]] = {}
    for course_id, slug in session.execute(select(LessonProgress.course_id, LessonProgress.lesson_slug)
                                           .where(LessonProgress.user_id == user.id)):
        done.setdefault(course_id, set()).add(slug)
    passed: dict[int, set[str]] = {}
    for course_id, slug in session.execute(select(QuizAttempt.course_id, QuizAttempt.quiz_slug).where(
            QuizAttempt.user_id == user.id, QuizAttempt.passed.is_(True))):
        passed.setdefault(course_id, set()).add(slug)
    result = []
    for course, joined in rows:
        version = _live(course)
        result.append(Joined(course, joined, completion.progress(
            version.completion, lessons[version.id], done.get(course.id, set()), quizzes[version.id],
            passed.get(course.id, set()))))
    return result


def my_courses(session: Session, user: User) -> list[tuple[Course, Enrolment]]:
    """The learner's enrolments, most recent first."""
    rows = session.execute(select(Course, Enrolment).join(Enrolment, Enrolment.course_id == Course.id)
                           .where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at.desc()))
    return [(c, e) for c, e in rows]


def count_attempts(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(QuizAttempt.id)).where(QuizAttempt.user_id == user_id)) or 0
