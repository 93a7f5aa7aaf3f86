"""Query budgets: the number of SQL statements a page sends to the database, counted by the `count_queries`
fixture (a `before_cursor_execute` listener on the app's engine). A page over its budget fails; no budget
grows with the number of courses the learner joined (each page is measured with 1 and with 20) or with the
number of lessons. The budgets count everything a request runs, the login-session check included."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.domain.content import CompiledCourse
from lms.models import Course, User, utcnow
from lms.services import certificates, learning, publishing
from tests import factories
from tests.conftest import REPO, Auth, csrf_token
from tests.web.conftest import LUA_DAO, answers, attempt_id, live_quiz

# Statements per page for a signed-in learner (see docs/architecture.md, "Query budgets").
BUDGETS = {
    "course": 8,
    "lesson": 3,
    "quiz": 5,
    "quiz_submit": 13,  # two transactions: graded in a read one, recorded in a write one (one more BEGIN)
    "my_learning": 8,
    "certificate": 4,
}
SIZES = (1, 20)


def _copies(demo: list[CompiledCourse], n: int) -> list[CompiledCourse]:
    """The demo courses, plus copies of the scam course under new slugs, `n` courses in all."""
    scam = next(c for c in demo if c.slug == LUA_DAO)
    extra = [dataclasses.replace(scam, slug=f"{LUA_DAO}-{i}", title=f"{scam.title} ({i})",
                                 content_hash=hashlib.sha256(f"{scam.content_hash}-{i}".encode()).hexdigest()) for i in range(n - len(demo))]
    return [*demo, *extra]


@pytest.fixture
def learner(app: Flask, clean_db: Engine, demo_content: list[CompiledCourse], auth: Auth) -> Callable[[int], int]:
    """`learner(n)`: n live courses (published by the real service) and a signed-in learner enrolled in all of
    them, one lesson done in each; returns the user id."""
    def make(n: int) -> int:
        auth.register()
        with Session(clean_db, expire_on_commit=False) as s:
            publishing.publish(s, _copies(demo_content, max(n, len(demo_content))), utcnow())
            user = s.scalars(select(User)).one()
            others = [c.slug for c in s.scalars(select(Course).order_by(Course.id)) if c.slug != LUA_DAO]
            slugs = [LUA_DAO, *others][:n]
            for slug in slugs:
                course = s.scalars(select(Course).where(Course.slug == slug)).one()
                assert course.published is not None
                learning.mark_done(s, user, course, course.published.lessons[0].slug, utcnow())
            s.commit()
            assert len(learning.my_courses(s, user)) == n
            return user.id
    return make


def _measure(count_queries: Callable[[], Any], run: Callable[[], Any]) -> tuple[int, list[str]]:
    with count_queries() as queries:
        response = run()
    assert response.status_code in (200, 302), response.status_code
    return len(queries), list(queries)


def _within(name: str, n: int, counted: tuple[int, list[str]], html: bool = False) -> int:
    """The count, failing over the budget; unless `html`, the page must not read any lesson's HTML or text."""
    count, statements = counted
    if not html:
        assert not [q for q in statements if "lesson.html" in q or "lesson.text" in q], \
            f"{name} read lesson HTML:\n" + "\n".join(statements)
    assert count <= BUDGETS[name], f"{name} with {n} courses ran {count} statements (budget " \
        f"{BUDGETS[name]}):\n" + "\n".join(statements)
    return count


@pytest.mark.parametrize("n", SIZES)
def test_course_lesson_and_quiz_pages(n: int, learner: Callable[[int], int], client: FlaskClient,
                                      clean_db: Engine, count_queries: Callable[[], Any]) -> None:
    learner(n)
    quiz_slug, _ = live_quiz(clean_db, LUA_DAO)
    with Session(clean_db) as s:
        course = s.scalars(select(Course).where(Course.slug == LUA_DAO)).one()
        assert course.published is not None
        second = course.published.lessons[1].slug
    client.get(f"/courses/{LUA_DAO}/")  # the first request of a process fills the per-app lesson cache
    client.get(f"/courses/{LUA_DAO}/{second}")
    _within("course", n, _measure(count_queries, lambda: client.get(f"/courses/{LUA_DAO}/")))
    _within("lesson", n, _measure(count_queries, lambda: client.get(f"/courses/{LUA_DAO}/{second}")), html=True)
    _within("quiz", n, _measure(count_queries, lambda: client.get(f"/courses/{LUA_DAO}/quiz/{quiz_slug}")))


@pytest.mark.parametrize("n", SIZES)
def test_quiz_submit(n: int, learner: Callable[[int], int], client: FlaskClient, clean_db: Engine,
                     post_form: Callable[..., Any], count_queries: Callable[[], Any]) -> None:
    """The expensive submit: it passes the final quiz with every lesson done, so the course completes."""
    user_id = learner(n)
    with Session(clean_db) as s:
        user = s.get(User, user_id)
        course = s.scalars(select(Course).where(Course.slug == LUA_DAO)).one()
        assert user is not None and course.published is not None
        for lesson in course.published.lessons:
            learning.mark_done(s, user, course, lesson.slug, utcnow())
        s.commit()
    quiz_slug, _ = live_quiz(clean_db, LUA_DAO)
    show = f"/courses/{LUA_DAO}/quiz/{quiz_slug}"
    attempt = attempt_id(post_form(f"{show}/start", page=show))
    data = {**answers(clean_db, attempt, right=True), "csrf_token": csrf_token(client, f"/attempts/{attempt}")}
    count = _within("quiz_submit", n, _measure(count_queries, lambda: client.post(f"/attempts/{attempt}", data=data)))
    assert count > 0
    with Session(clean_db) as s:
        course = s.scalars(select(Course).where(Course.slug == LUA_DAO)).one()
        user = s.get(User, user_id)
        assert user is not None and learning.course_progress(s, user, course).complete


@pytest.mark.parametrize("n", SIZES)
def test_my_learning(n: int, learner: Callable[[int], int], client: FlaskClient,
                     count_queries: Callable[[], Any]) -> None:
    learner(n)
    count = _within("my_learning", n, _measure(count_queries, lambda: client.get("/me")))
    assert count > 0
    page = client.get("/me").get_data(as_text=True)
    assert page.count('class="card"') == n


@pytest.mark.parametrize("n", SIZES)
def test_certificate_page(n: int, learner: Callable[[int], int], client: FlaskClient, clean_db: Engine,
                          app: Flask, tmp_path: Path, count_queries: Callable[[], Any]) -> None:
    user_id = learner(n)
    with Session(clean_db, expire_on_commit=False) as s:
        user = s.get(User, user_id)
        course = s.scalars(select(Course).where(Course.slug == LUA_DAO)).one()
        assert user is not None and course.published is not None
        user.person_hash, user.id_masked, user.id_level, user.verified_at = "a" * 64, "001*********", 2, utcnow()
        for lesson in course.published.lessons:
            learning.mark_done(s, user, course, lesson.slug, utcnow())
        learning.enrol(s, user, course, utcnow()).completed_at = utcnow()
        settings = certificates.Settings(base_url="http://localhost", keys_dir=tmp_path / "keys")
        cert = certificates.issue_if_eligible(s, user, course, utcnow(), settings)
        assert cert is not None
        s.commit()
        number = cert.number
    _within("certificate", n, _measure(count_queries, lambda: client.get(f"/certificates/{number}")))


# --- the request pattern the budgets rely on ----------------------------------------------------------------

def test_mark_done_returns_completion_and_next_lesson(session: Session, clean_db: Engine,
                                                       demo_content: list[CompiledCourse]) -> None:
    """The service says what the view needs; the view recomputes nothing."""
    publishing.publish(session, demo_content, utcnow())
    user = factories.account(session, "binh@example.vn", name="Lê Văn Bình", when=utcnow())
    course = session.scalars(select(Course).where(Course.slug == LUA_DAO)).one()
    assert course.published is not None
    slugs = [lesson.slug for lesson in course.published.lessons]
    first = learning.mark_done(session, user, course, slugs[0], utcnow())
    assert (first.complete, first.next_lesson) == (False, slugs[1])
    for slug in slugs[1:-1]:
        learning.mark_done(session, user, course, slug, utcnow())
    last = learning.mark_done(session, user, course, slugs[-1], utcnow())
    assert last.next_lesson is None
    assert last.complete is learning.course_progress(session, user, course).complete


def test_button_post_commits_once_or_not_at_all(app: Flask, demo: Flask, client: FlaskClient, auth: Auth,
                                                count: Callable[[type[Any]], int]) -> None:
    """`button_post`: the view's writes are committed after it returns; when its service refuses, the refusal's
    message is flashed and nothing the view wrote is kept."""
    from flask import url_for
    from flask_login import current_user

    from lms.extensions import db
    from lms.models import Enrolment
    from lms.web.helpers import Outcome, button_post, course_or_404, now

    def back(error: learning.Refused, slug: str, refuse: int) -> Outcome:
        return Outcome(url_for("catalog.course", slug=slug), f"refused: {error.reason}", "error")

    @button_post(refused=back)
    def join(slug: str, refuse: int) -> Outcome:
        learning.enrol(db.session, current_user, course_or_404(slug), now())
        if refuse:
            raise learning.Refused("already_passed")
        return Outcome(url_for("catalog.course", slug=slug), "joined")

    app.add_url_rule("/test/<slug>/join/<int:refuse>", "test_join", join, methods=["POST"])
    auth.register()
    token = csrf_token(client, "/courses")
    refused = client.post(f"/test/{LUA_DAO}/join/1", data={"csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/courses/{LUA_DAO}/")
    assert count(Enrolment) == 0
    assert "refused: already_passed" in client.get(f"/courses/{LUA_DAO}/").get_data(as_text=True)
    assert client.post(f"/test/{LUA_DAO}/join/0", data={}).status_code == 400  # no CSRF token: nothing runs
    assert count(Enrolment) == 0
    joined = client.post(f"/test/{LUA_DAO}/join/0", data={"csrf_token": token})
    assert joined.status_code == 302 and count(Enrolment) == 1
    assert "joined" in client.get(f"/courses/{LUA_DAO}/").get_data(as_text=True)


# A query built or run in a view file (select(...), db.session.get/execute/scalar(s)/query, raw text SQL).
_SQL_IN_VIEW = re.compile(r"\bselect\(|\bdb\.session\.(get|execute|scalars?|query)\(|\.query\(|\btext\(\"")


def test_no_sql_in_views() -> None:
    """Views parse input, call services, commit once, render: no query is built or run in lms/web."""
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for path in sorted((REPO / "lms" / "web").rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if _SQL_IN_VIEW.search(line)]
    assert found == []
