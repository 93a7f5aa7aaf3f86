"""Quizzes through the real forms: start, answer, grade on the server, attempt limits and tampered submits."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.models import Course, Enrolment, Question, QuizAttempt, utcnow
from tests.conftest import Auth, csrf_token
from tests.web.conftest import LUA_DAO, VNEID, answers, attempt_id, live_quiz
from tests.web.pages import flashes, page, parse, vi

Post = Callable[..., Any]


class QuizPages:
    """A learner's way through one course's quiz: start, answer, read the result."""

    def __init__(self, client: FlaskClient, post_form: Post, engine: Engine, course: str) -> None:
        self.client, self.post_form, self.engine, self.course = client, post_form, engine, course
        self.slug, self.max_attempts = live_quiz(engine, course)
        self.show = f"/courses/{course}/quiz/{self.slug}"

    def start(self) -> Any:
        return self.post_form(f"{self.show}/start", page=self.show)

    def submit(self, attempt: int, data: dict[str, Any], client: FlaskClient | None = None) -> Any:
        """POST the answers with the token of the attempt's form; when that page is not shown (already graded,
        someone else's attempt), with the visitor's token from the catalog page, as a replayed form would."""
        who = client or self.client
        form_page = f"/attempts/{attempt}"
        token = csrf_token(who, form_page if who.get(form_page).status_code == 200 else "/courses")
        return who.post(f"/attempts/{attempt}", data={**data, "csrf_token": token})

    def take(self, right: bool) -> int:
        """Start an attempt and submit it all right or all wrong; returns its id."""
        attempt = attempt_id(self.start())
        response = self.submit(attempt, answers(self.engine, attempt, right))
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/attempts/{attempt}/result")
        return attempt


@pytest.fixture
def learner(demo: Flask, auth: Auth) -> Auth:
    auth.register()
    return auth


@pytest.fixture
def quiz(learner: Auth, client: FlaskClient, post_form: Post, clean_db: Engine) -> QuizPages:
    return QuizPages(client, post_form, clean_db, LUA_DAO)


@pytest.fixture
def pool_quiz(whole_pool: Flask, auth: Auth, client: FlaskClient, post_form: Post,
              clean_db: Engine) -> QuizPages:
    """The quiz of a course whose attempts hold every question of the pool (so every kind is present)."""
    auth.register()
    return QuizPages(client, post_form, clean_db, LUA_DAO)


def attempt_row(engine: Engine, attempt: int) -> QuizAttempt:
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(QuizAttempt, attempt)
        assert row is not None
        s.expunge(row)
        return row


def assert_untouched(engine: Engine, attempt: int) -> None:
    """The attempt is still open and nothing was recorded on it."""
    row = attempt_row(engine, attempt)
    recorded = (row.submitted_at, row.answers, row.results, row.correct, row.passed)
    assert recorded == (None, None, None, None, None)


def test_double_start_gives_the_same_attempt(quiz: QuizPages, client: FlaskClient,
                                             count: Callable[[type[Any]], int]) -> None:
    """Pressing "Start" twice opens one attempt; the quiz page then offers to continue it."""
    first = attempt_id(quiz.start())
    second = attempt_id(quiz.start())
    assert first == second
    assert count(QuizAttempt) == 1
    doc = page(client.get(quiz.show))
    assert doc.find("a", href=f"/attempts/{first}") is not None
    assert doc.find("form", action=f"{quiz.show}/start") is None


@pytest.mark.parametrize("course", [LUA_DAO, VNEID])
def test_attempt_page_never_carries_the_key(whole_pool: Flask, auth: Auth, client: FlaskClient,
                                            post_form: Post, clean_db: Engine, course: str) -> None:
    """The question page (here with the whole pool drawn) has no correct marks, no accepted answers, no
    explanations and nothing pre-set."""
    auth.register()
    quiz = QuizPages(client, post_form, clean_db, course)
    attempt = attempt_id(quiz.start())
    response = client.get(f"/attempts/{attempt}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not re.search(r"\((x|X)\)|\[(x|X)\]", html)
    row = attempt_row(clean_db, attempt)
    doc = page(response)
    form = doc.find("form", cls="quiz-form")
    assert form is not None
    # Only the token and one field per drawn question are sent; nothing is checked or filled in.
    names = {n.attrs.get("name") for n in form.find_all("input")}
    assert names == {"csrf_token"} | {f"q{entry['question']}" for entry in row.layout}
    assert all("checked" not in n.attrs for n in form.find_all("input"))
    assert all(not n.attrs.get("value") for n in form.find_all("input", type="text"))
    assert not any(k.startswith("data-") for n in form.iter() for k in n.attrs)
    assert not any("correct" in value.lower() for n in form.iter() for value in n.attrs.values())
    remainder = html
    with Session(clean_db) as s:
        questions = [s.get(Question, entry["question"]) for entry in row.layout]
        version = s.scalars(select(Course).where(Course.slug == course)).one().published
        assert version is not None
        # What the page may show: titles, prompts and options. Remove them (longest first, so an option that
        # is part of another one is not cut out of it) and look for the key in what is left.
        shown = [str(escape(version.title)), str(escape(version.quizzes[0].title))]
        for q in questions:
            assert q is not None
            if q.explanation_html:
                assert q.explanation_html not in html
            shown += [q.prompt_html, *(option["html"] for option in q.options)]
        for fragment in sorted(filter(None, shown), key=len, reverse=True):
            remainder = remainder.replace(fragment, "")
        remainder = re.sub(r'<input type="hidden"[^>]*>|name="csrf_token"[^>]*>', "", remainder)
        assert not re.search(r"correct|accepted|values", remainder, re.IGNORECASE)  # no key structure
        for q in questions:
            assert q is not None
            secrets: list[str] = []
            if q.kind == "text":
                secrets = [a for a in q.answer["accepted"] if len(a.strip()) >= 3]
            elif q.kind == "number":
                secrets = [f"{v:g}" for v, _ in q.answer["values"] if abs(v) >= 100]
            for secret in secrets:
                pattern = r"(?<!\w)" + re.escape(secret) + r"(?!\w)"
                found = re.search(pattern, remainder, re.IGNORECASE)
                context = remainder[max(found.start() - 200, 0):found.end()] if found else ""
                assert not found, f"answer {secret!r} leaked: {context}"
    assert len(doc.find_all("fieldset", cls="question")) == row.total == len(row.layout)


def test_right_answers_pass_with_feedback_and_explanations(quiz: QuizPages, client: FlaskClient,
                                                           clean_db: Engine) -> None:
    """All-right answers built from the stored key pass; the result explains every question."""
    attempt = quiz.take(right=True)
    row = attempt_row(clean_db, attempt)
    assert row.passed is True and row.correct == row.total and row.submitted_at is not None
    response = client.get(f"/attempts/{attempt}/result")
    assert response.status_code == 200
    doc = page(response)
    score = doc.find("p", cls="score")
    assert score is not None and "pass" in score.classes
    assert vi("Passed!") in score.text
    items = doc.find("ol", cls="feedback").find_all("li", cls="right")  # type: ignore[union-attr]
    assert len(items) == row.total
    assert doc.find_all("li", cls="wrong") == []
    with Session(clean_db) as s:
        explained = [s.get(Question, e["question"]) for e in row.layout]
        shown = [n.text for n in doc.find_all("div", cls="explanation")]
        for q in explained:
            assert q is not None
            if q.explanation_html:
                assert parse(q.explanation_html).text in shown
    assert doc.find("a", href=quiz.show) is None  # no "try again" after passing
    assert vi("You have passed this quiz.") in page(client.get(quiz.show)).text


def test_fail_then_pass(quiz: QuizPages, client: FlaskClient, clean_db: Engine) -> None:
    """A failed attempt shows what was wrong, not the key while attempts remain; the next one passes."""
    failed = quiz.take(right=False)
    row = attempt_row(clean_db, failed)
    assert row.passed is False and row.correct == 0
    doc = page(client.get(f"/attempts/{failed}/result"))
    score = doc.find("p", cls="score")
    assert score is not None and "fail" in score.classes and vi("Not passed yet.") in score.text
    assert len(doc.find_all("li", cls="wrong")) == row.total
    assert vi("correct answer") not in doc.text
    assert doc.find("div", cls="explanation") is not None
    assert doc.find("a", href=quiz.show) is not None  # "try again"
    passed = quiz.take(right=True)
    assert passed != failed
    second = attempt_row(clean_db, passed)
    assert (second.number, second.passed) == (2, True)
    show = page(client.get(quiz.show)).text
    assert vi("You have passed this quiz.") in show
    assert vi("Your best score: %(percent)s%%", percent=100) in show
    # Passing again is not possible: the start button is gone and a forged start is refused.
    refused = quiz.start()
    assert refused.status_code == 302 and refused.headers["Location"].endswith(quiz.show)
    assert vi("You have already passed this quiz.") in flashes(page(client.get(quiz.show)))


def fail_all(quiz: QuizPages) -> list[int]:
    return [quiz.take(right=False) for _ in range(quiz.max_attempts)]


def test_attempt_limit(quiz: QuizPages, client: FlaskClient, count: Callable[[type[Any]], int]) -> None:
    """After the last failed attempt the key is revealed, and a new start is refused with a clear message."""
    assert quiz.max_attempts == 3
    attempts = fail_all(quiz)
    last = page(client.get(f"/attempts/{attempts[-1]}/result"))
    assert vi("correct answer") in last.text
    assert last.find("a", href=quiz.show) is None  # no "try again"
    show = page(client.get(quiz.show))
    assert vi("You have used all attempts for this quiz.") in show.text
    assert show.find("form", action=f"{quiz.show}/start") is None
    refused = quiz.start()
    assert refused.status_code == 302 and refused.headers["Location"].endswith(quiz.show)
    assert vi("You have used all attempts for this quiz.") in flashes(page(client.get(quiz.show)))
    assert count(QuizAttempt) == 3


def refused_with(quiz: QuizPages, response: Any, msgid: str) -> None:
    """A refused submit: back to a page of this quiz, with the message shown there."""
    assert response.status_code == 302
    assert "/attempts/" in response.headers["Location"]
    shown = quiz.client.get(response.headers["Location"], follow_redirects=True)
    assert vi(msgid) in flashes(page(shown))


def _question_of_kind(engine: Engine, attempt: int, kinds: tuple[str, ...]) -> Question:
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(QuizAttempt, attempt)
        assert row is not None
        for entry in row.layout:
            q = s.get(Question, entry["question"])
            assert q is not None
            if q.kind in kinds:
                s.expunge(q)
                return q
    pytest.fail(f"no {kinds} question drawn")


UNKNOWN_OPTION = "An answer sent is not one of the options. Nothing was saved; please try again."
UNKNOWN_QUESTION = "The answers sent do not match this attempt. Nothing was saved; please try again."


def test_unknown_option_is_refused(pool_quiz: QuizPages, clean_db: Engine) -> None:
    """An option value that the question does not have is refused and nothing is graded."""
    quiz = pool_quiz
    attempt = attempt_id(quiz.start())
    for kinds in (("single",), ("multiple",)):
        data = answers(clean_db, attempt, right=True)
        question = _question_of_kind(clean_db, attempt, kinds)
        data[f"q{question.id}"] = ["a", "zz"] if kinds == ("multiple",) else "zz"
        refused_with(quiz, quiz.submit(attempt, data), UNKNOWN_OPTION)
        assert_untouched(clean_db, attempt)


def test_two_values_for_a_single_choice_question_are_refused(pool_quiz: QuizPages,
                                                             clean_db: Engine) -> None:
    """Sending both options of a single-choice question (a forged form) is refused, not graded."""
    quiz = pool_quiz
    attempt = attempt_id(quiz.start())
    data = answers(clean_db, attempt, right=True)
    question = _question_of_kind(clean_db, attempt, ("single",))
    keys = [o["key"] for o in question.options]
    data[f"q{question.id}"] = keys[:2]
    refused_with(quiz, quiz.submit(attempt, data), UNKNOWN_OPTION)
    assert_untouched(clean_db, attempt)


def test_question_not_in_the_attempt_is_refused(quiz: QuizPages, clean_db: Engine) -> None:
    """An answer to a question that was not drawn for this attempt (or does not exist) is refused."""
    attempt = attempt_id(quiz.start())
    row = attempt_row(clean_db, attempt)
    drawn = {e["question"] for e in row.layout}
    with Session(clean_db) as s:
        pool = set(s.scalars(select(Question.id).where(Question.quiz_id == row.quiz_id)))
    assert pool - drawn, "the pool should be larger than the draw"
    for extra in (f"q{min(pool - drawn)}", "q99999999", "qabc"):
        data = answers(clean_db, attempt, right=True)
        data[extra] = "a"
        refused_with(quiz, quiz.submit(attempt, data), UNKNOWN_QUESTION)
        assert_untouched(clean_db, attempt)


def test_second_submit_keeps_the_first_answers(quiz: QuizPages, clean_db: Engine) -> None:
    """Submitting the same attempt again (back button, replay) changes nothing and says why."""
    attempt = attempt_id(quiz.start())
    first = quiz.submit(attempt, answers(clean_db, attempt, right=False))
    assert first.status_code == 302
    before = attempt_row(clean_db, attempt)
    again = quiz.submit(attempt, answers(clean_db, attempt, right=True))
    assert again.headers["Location"].endswith(f"/attempts/{attempt}/result")
    refused_with(quiz, again, "This attempt was already submitted; your first answers were kept.")
    after = attempt_row(clean_db, attempt)
    assert (after.answers, after.results, after.correct, after.passed, after.submitted_at) == \
        (before.answers, before.results, before.correct, before.passed, before.submitted_at)
    assert after.passed is False


def test_another_learner_cannot_see_or_submit_an_attempt(quiz: QuizPages, clean_db: Engine,
                                                         other_client: FlaskClient, other_auth: Auth) -> None:
    """Someone else's attempt is 403 to read, to submit and for its result; the owner's attempt stays open."""
    attempt = attempt_id(quiz.start())
    other_auth.register(email="binh@example.vn")
    data = answers(clean_db, attempt, right=True)
    for response in (other_client.get(f"/attempts/{attempt}"),
                     quiz.submit(attempt, data, client=other_client)):
        assert response.status_code == 403
        h1 = page(response).find("h1")
        assert h1 is not None and h1.text == vi("You do not have access to this page")
    assert_untouched(clean_db, attempt)
    quiz.submit(attempt, answers(clean_db, attempt, right=True))
    assert other_client.get(f"/attempts/{attempt}/result").status_code == 403


def test_submit_past_the_limit_is_refused(quiz: QuizPages, clean_db: Engine) -> None:
    """An open attempt numbered past the limit (a state the start button never creates) is not graded."""
    attempts = fail_all(quiz)
    last = attempt_row(clean_db, attempts[-1])
    with Session(clean_db) as s:
        extra = QuizAttempt(user_id=last.user_id, course_id=last.course_id, quiz_slug=last.quiz_slug,
                            quiz_id=last.quiz_id, number=quiz.max_attempts + 1, layout=last.layout,
                            started_at=utcnow(), total=last.total)
        s.add(extra)
        s.commit()
        extra_id = extra.id
    response = quiz.submit(extra_id, answers(clean_db, extra_id, right=True))
    refused_with(quiz, response, "You have used all attempts for this quiz.")
    assert_untouched(clean_db, extra_id)
    # Replaying an earlier, graded attempt after the limit is refused too.
    replay = quiz.submit(attempts[0], answers(clean_db, attempts[0], right=True))
    refused_with(quiz, replay, "This attempt was already submitted; your first answers were kept.")
    assert attempt_row(clean_db, attempts[0]).passed is False


def test_unknown_attempt_is_404(quiz: QuizPages, client: FlaskClient) -> None:
    """An attempt number that does not exist is the friendly 404."""
    response = client.get("/attempts/99999999")
    assert response.status_code == 404
    assert page(response).find("h1").text == vi("Page not found")  # type: ignore[union-attr]


def test_anonymous_visitor_is_sent_to_login(demo: Flask, client: FlaskClient, clean_db: Engine) -> None:
    """The quiz page invites a visitor to log in; starting requires login."""
    slug, _ = live_quiz(clean_db, LUA_DAO)
    show = f"/courses/{LUA_DAO}/quiz/{slug}"
    doc = page(client.get(show))
    assert doc.find("a", href=f"/login?next={show}") is not None
    token = csrf_token(client, show)
    response = client.post(f"{show}/start", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_lesson_and_the_quiz_complete_the_course(quiz: QuizPages, client: FlaskClient, post_form: Post,
                                                       clean_db: Engine) -> None:
    """Reading every lesson and passing the required quiz marks the course completed on "My learning"."""
    with Session(clean_db) as s:
        version = s.scalars(select(Course).where(Course.slug == LUA_DAO)).one().published
        assert version is not None
        slugs = [lesson.slug for lesson in version.lessons]
        title = version.title
    for slug in slugs:
        url = f"/courses/{LUA_DAO}/{slug}"
        post_form(f"{url}/done", page=url)
    card = page(client.get("/me")).find("li", cls="card")
    assert card is not None and card.find("p", cls="done") is None  # the quiz is still missing
    attempt = quiz.take(right=True)
    result = page(client.get(f"/attempts/{attempt}/result"))
    assert vi("You have completed the course “%(title)s”.", title=title) in result.text
    with Session(clean_db) as s:
        enrolment = s.scalars(select(Enrolment)).one()
        assert enrolment.completed_at is not None
    me = page(client.get("/me"))
    card = me.find("li", cls="card")
    assert card is not None and card.find("a", href=f"/courses/{LUA_DAO}/") is not None
    badge = card.find("p", cls="done")
    assert badge is not None and badge.text.startswith("✓")
    assert vi("Progress: %(percent)s%%", percent=100) in card.text
    course = page(client.get(f"/courses/{LUA_DAO}/"))
    assert vi("You have completed this course.") in course.text
    assert course.find("progress").attrs["value"] == "100"  # type: ignore[union-attr]
