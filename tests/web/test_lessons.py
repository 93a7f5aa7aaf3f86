"""Course and lesson pages: syllabus, previous/next, "mark as done", the progress bar, anonymous reading."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.models import Course, Enrolment, LessonProgress
from tests.conftest import Auth
from tests.web.conftest import LUA_DAO
from tests.web.pages import Node, flashes, page, vi


def syllabus(engine: Engine, slug: str) -> tuple[list[str], int]:
    """The live version's lesson slugs in order, and how many quizzes completion requires."""
    with Session(engine) as s:
        course = s.scalars(select(Course).where(Course.slug == slug)).one()
        assert course.published is not None
        version = course.published
        return [lesson.slug for lesson in version.lessons], sum(q.required for q in version.quizzes)


def pager(doc: Node) -> dict[str, str]:
    """The pager's links by rel ("prev", "next"), plus "course" for the back-to-course link."""
    nav = doc.find("nav", cls="pager")
    assert nav is not None
    links = {}
    for a in nav.find_all("a"):
        links[a.attrs.get("rel", "course")] = a.attrs["href"]
    return links


def test_previous_and_next_links(demo: Flask, client: FlaskClient, clean_db: Engine) -> None:
    """The first lesson has only "next", middle ones both, the last one "previous" and back to the course."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    assert len(slugs) >= 3
    base = f"/courses/{LUA_DAO}"
    for i, slug in enumerate(slugs):
        response = client.get(f"{base}/{slug}")
        assert response.status_code == 200, slug
        links = pager(page(response))
        assert links.get("prev") == (f"{base}/{slugs[i - 1]}" if i > 0 else None), slug
        if i + 1 < len(slugs):
            assert links.get("next") == f"{base}/{slugs[i + 1]}"
            assert "course" not in links
        else:
            assert "next" not in links
            assert links["course"] == f"{base}/"


def test_course_page_lists_the_syllabus_in_order(demo: Flask, client: FlaskClient, clean_db: Engine) -> None:
    """The course page links every lesson in order, then the quiz."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    doc = page(client.get(f"/courses/{LUA_DAO}/"))
    items = doc.find("ol", cls="syllabus")
    assert items is not None
    hrefs = [a.attrs["href"] for a in items.find_all("a")]
    assert hrefs[:len(slugs)] == [f"/courses/{LUA_DAO}/{s}" for s in slugs]
    assert hrefs[len(slugs)].startswith(f"/courses/{LUA_DAO}/quiz/")


def test_anonymous_visitor_reads_lessons(demo: Flask, client: FlaskClient, clean_db: Engine) -> None:
    """Without an account every lesson reads fine; instead of "mark as done" there is a login link back."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    url = f"/courses/{LUA_DAO}/{slugs[1]}"
    response = client.get(url)
    assert response.status_code == 200
    doc = page(response)
    prose = doc.find("div", cls="prose")
    assert prose is not None and len(prose.text) > 200
    assert doc.find("form", action=f"{url}/done") is None
    assert doc.find("a", href=f"/login?next={url}") is not None
    assert doc.find("progress") is None
    course = page(client.get(f"/courses/{LUA_DAO}/"))
    assert course.find("progress") is None


def test_mark_as_done_twice_records_one_row(demo: Flask, client: FlaskClient, auth: Auth, clean_db: Engine,
                                            post_form: Callable[..., Any],
                                            count: Callable[[type[Any]], int]) -> None:
    """"Mark as done" moves on to the next lesson; a second POST (double click, back button) adds nothing."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    auth.register()
    url = f"/courses/{LUA_DAO}/{slugs[0]}"
    assert page(client.get(url)).find("form", action=f"{url}/done") is not None
    first = post_form(f"{url}/done", page=url)
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/courses/{LUA_DAO}/{slugs[1]}")
    second = post_form(f"{url}/done", page=f"/courses/{LUA_DAO}/")
    assert second.status_code == 302
    assert count(LessonProgress) == 1
    assert count(Enrolment) == 1
    doc = page(client.get(url))
    assert doc.find("form", action=f"{url}/done") is None
    assert vi("You have finished this lesson.") in doc.text


def test_mark_as_done_needs_login_and_a_real_lesson(demo: Flask, client: FlaskClient, auth: Auth,
                                                    post_form: Callable[..., Any],
                                                    count: Callable[[type[Any]], int]) -> None:
    """Anonymous "mark as done" goes to the login page; an unknown lesson slug is a 404 and writes nothing."""
    page_url = f"/courses/{LUA_DAO}/"
    anonymous = post_form(f"/courses/{LUA_DAO}/khong-co-bai-nay/done", page="/login")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.register()
    unknown = post_form(f"/courses/{LUA_DAO}/khong-co-bai-nay/done", page=page_url)
    assert unknown.status_code == 404
    assert count(LessonProgress) == 0


def test_progress_bar_on_course_page(demo: Flask, client: FlaskClient, auth: Auth, clean_db: Engine,
                                     post_form: Callable[..., Any]) -> None:
    """The course page's progress bar counts lessons done (and required quizzes) as a percentage."""
    slugs, quizzes = syllabus(clean_db, LUA_DAO)
    auth.register()
    course_url = f"/courses/{LUA_DAO}/"
    bar = page(client.get(course_url)).find("progress")
    assert bar is not None and bar.attrs["value"] == "0" and bar.attrs["max"] == "100"
    for done, slug in enumerate(slugs[:2], start=1):
        lesson_url = f"/courses/{LUA_DAO}/{slug}"
        post_form(f"{lesson_url}/done", page=lesson_url)
        doc = page(client.get(course_url))
        bar = doc.find("progress")
        expected = round(100 * done / (len(slugs) + quizzes))
        assert bar is not None and bar.attrs["value"] == str(expected)
        label = doc.find("label", for_="progress-bar")
        assert label is not None and label.text == vi("Progress: %(percent)s%%", percent=expected)
        marked = [li for li in doc.find("ol", cls="syllabus").find_all("li")  # type: ignore[union-attr]
                  if li.find("span", cls="done") is not None]
        assert len(marked) == done


def test_all_lessons_done_without_quiz_is_not_complete(demo: Flask, client: FlaskClient, auth: Auth,
                                                        clean_db: Engine,
                                                        post_form: Callable[..., Any]) -> None:
    """Reading every lesson is not enough while a required quiz is not passed; the last lesson leads back."""
    slugs, quizzes = syllabus(clean_db, LUA_DAO)
    assert quizzes >= 1
    auth.register()
    for slug in slugs:
        url = f"/courses/{LUA_DAO}/{slug}"
        response = post_form(f"{url}/done", page=url)
    assert response.headers["Location"].endswith(f"/courses/{LUA_DAO}/")
    doc = page(client.get(f"/courses/{LUA_DAO}/"))
    assert vi("Lesson marked as done.") in flashes(doc)
    assert vi("You have completed this course.") not in doc.text
    with Session(clean_db) as s:
        enrolment = s.scalars(select(Enrolment)).one()
        assert enrolment.completed_at is None


def test_enrol_button_leads_to_the_first_lesson(demo: Flask, client: FlaskClient, auth: Auth,
                                                clean_db: Engine, post_form: Callable[..., Any]) -> None:
    """"Start this course" enrols once and opens lesson 1; the course then shows under "My learning"."""
    slugs, _ = syllabus(clean_db, LUA_DAO)
    auth.register()
    course_url = f"/courses/{LUA_DAO}/"
    response = post_form(f"/courses/{LUA_DAO}/enrol", page=course_url)
    assert response.headers["Location"].endswith(f"/courses/{LUA_DAO}/{slugs[0]}")
    assert page(client.get(course_url)).find("form", action=f"/courses/{LUA_DAO}/enrol") is None
    me = page(client.get("/me"))
    assert me.find("a", href=course_url) is not None


def test_unknown_lesson_and_course_are_friendly_404(demo: Flask, client: FlaskClient) -> None:
    """A wrong lesson or course address shows the friendly "page not found" page with status 404."""
    urls = (f"/courses/{LUA_DAO}/khong-co-bai-nay", "/courses/khong-co-khoa-nay/", "/courses/khong-co/bai")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        doc = page(response)
        assert doc.find("h1").text == vi("Page not found")  # type: ignore[union-attr]
        assert doc.find("a", href="/") is not None
