"""Flows the end-to-end tests share: registering and logging in through the forms, the VNeID stub's pages,
reading lessons and answering a quiz from its answer key (read from the database), making accounts."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.models import Course, Question, QuizAttempt, utcnow
from tests import factories

from .browsing import Browse
from .conftest import LiveServer

COURSE = factories.SCAM
PASSWORD = factories.PASSWORD


def lessons_of(server: LiveServer, slug: str) -> list[tuple[str, str]]:
    """(slug, title) of the live version's lessons, in order."""
    with server.db() as s:
        course = s.scalars(select(Course).where(Course.slug == slug)).one()
        assert course.published is not None
        return [(lesson.slug, lesson.title) for lesson in course.published.lessons]


def attempt_keys(server: LiveServer, attempt_id: int) -> list[Question]:
    """The questions of an attempt, in the order shown, with their answer keys (read from the database)."""
    with server.db() as s:
        attempt = s.get(QuizAttempt, attempt_id)
        assert attempt is not None and attempt.submitted_at is None
        ids = [entry["question"] for entry in attempt.layout]
        by_id = {q.id: q for q in s.scalars(select(Question).where(Question.id.in_(ids)))}
        return [by_id[i] for i in ids]


def answer_quiz(page: Page, questions: list[Question], right: bool) -> None:
    """Fill the attempt form: every answer right, or every answer wrong."""
    for q in questions:
        name = f"q{q.id}"
        keys = [o["key"] for o in q.options]
        if q.kind == "single":
            correct = q.answer["correct"]
            choice = correct[0] if right else next(k for k in keys if k not in correct)
            page.check(f'input[name="{name}"][value="{choice}"]')
        elif q.kind == "multiple":
            correct = q.answer["correct"]
            wrong = [k for k in keys if k not in correct]
            for key in (correct if right else wrong or correct[:1]):
                page.check(f'input[name="{name}"][value="{key}"]')
        elif q.kind == "text":
            text = q.answer["accepted"][0] if right else "zzz không phải đáp án"
            page.fill(f'input[name="{name}"]', text)
        else:
            value, tolerance = q.answer["values"][0]
            page.fill(f'input[name="{name}"]', f"{value:g}" if right else f"{value + tolerance + 1000:g}")


def attempt_id_of(page: Page) -> int:
    """The attempt id in the URL of an attempt page."""
    match = re.search(r"/attempts/(\d+)$", page.url)
    assert match, f"not an attempt page: {page.url}"
    return int(match.group(1))


def register(browse: Browse, contact: dict[str, str], full_name: str, typo_first: bool = True,
             province: str = "01", commune: str = "00070") -> None:
    """Fill and send the registration form (first with a typo, to see the error next to its field): the
    province first and "Tiếp" (its communes come with the next page), then the commune and the rest."""
    page = browse.page
    browse.visit("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    browse.follow(page.locator("nav").get_by_role("link", name="Đăng ký", exact=True))
    expect(page.locator("#commune")).to_have_count(0)  # no commune list before a province is chosen
    page.select_option("#province", province)
    browse.follow(page.get_by_role("button", name="Tiếp: chọn xã/phường"))
    page.select_option("#commune", commune)
    page.fill("#full_name", full_name)
    for field_id, value in contact.items():
        page.fill(f"#{field_id}", value)
    page.select_option("#target_group", "3")
    create = page.get_by_role("button", name="Tạo tài khoản")
    if typo_first:
        page.fill("#password", PASSWORD)
        page.fill("#confirm", PASSWORD + "x")
        browse.follow(create)
        expect(page.locator("#confirm")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#confirm-error")).to_be_visible()
        # The form keeps what was typed, except the passwords.
        expect(page.locator("#full_name")).to_have_value(full_name)
        expect(page.locator("#commune")).to_have_value(commune)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    browse.follow(create)
    assert page.url.endswith("/me"), page.url
    expect(page.locator(".flash-success")).to_contain_text(full_name)


def log_in(browse: Browse, login: str) -> None:
    """Log in through the login form with the shared test password."""
    browse.visit("/login")
    browse.page.fill("#login", login)
    browse.page.fill("#password", PASSWORD)
    browse.follow(browse.page.locator("main").get_by_role("button", name="Đăng nhập"))


def at_vneid(browse: Browse, id_number: str, passcode: str, decision: str) -> None:
    """On the stub's pages: log in with the number and passcode, then press "Đồng ý" or "Từ chối"."""
    page = browse.page
    page.fill("#id_number", id_number)
    page.fill("#passcode", passcode)
    browse.follow(page.get_by_role("button", name="Đăng nhập", exact=True))
    expect(page.locator("h1")).to_have_text("Đồng ý chia sẻ thông tin")
    browse.follow(page.get_by_role("button", name=decision, exact=True))


def account(server: LiveServer, email: str, name: str, role: str = "learner") -> int:
    """An account made by the registration service (with the shared password and the given role); its id."""
    with server.db() as s:
        return factories.make_user(s, email, name=name, role=role, when=utcnow()).id


def finish_course(browse: Browse, server: LiveServer, slug: str) -> None:
    """Start the course, mark every lesson done in order, then pass its quiz with the right answers."""
    page = browse.page
    lessons = lessons_of(server, slug)
    browse.visit(f"/courses/{slug}/")
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu học")))
    for lesson_slug, title in lessons:
        assert page.url.endswith(f"/courses/{slug}/{lesson_slug}"), page.url
        expect(page.locator("h1")).to_have_text(title)
        browse.follow(page.get_by_role("button", name=re.compile("Đánh dấu")))
    assert page.url == f"{server.url}/courses/{slug}/", page.url
    expect(page.locator(".syllabus .badge.done")).to_have_count(len(lessons))
    browse.follow(page.locator(f'.syllabus a[href*="/courses/{slug}/quiz/"]').first)
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu làm bài")))
    questions = attempt_keys(server, attempt_id_of(page))
    answer_quiz(page, questions, right=True)
    browse.follow(page.get_by_role("button", name="Nộp bài"))
    expect(page.locator(".score.pass")).to_be_visible()
    expect(page.locator(".feedback > li.right")).to_have_count(len(questions))
