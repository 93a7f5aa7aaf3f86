"""The learner's journey in a real headless Chromium on a phone-sized screen, with axe-core on every page:
register, search without diacritics, read every lesson, fail then pass the quiz, finish the course."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from lms.models import QuizAttempt

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import COURSE, PASSWORD, answer_quiz, attempt_id_of, attempt_keys, lessons_of, register

pytestmark = pytest.mark.e2e

def test_learner_journey_on_a_phone(mobile_page: Page, live_server: LiveServer, auditor: Auditor,
                                    shots_dir: Path) -> None:
    """A learner registers, finds a lesson by searching without diacritics, reads every lesson, fails then
    passes the quiz and sees the course completed; every page passes axe-core."""
    page = mobile_page
    browse = Browse(page, auditor)
    lessons = lessons_of(live_server, COURSE)
    assert len(lessons) >= 4

    register(browse, {"email": "lan@example.vn"}, "Trần Thị Lan")

    # The catalog, filtered by competence area 4 (safety) with the plain GET form.
    browse.follow(page.locator("nav").get_by_role("link", name="Khóa học", exact=True))
    page.select_option("#f-domain", "4")
    browse.follow(page.locator("form.filters button"))
    expect(page.locator(f'.cards a[href="/courses/{COURSE}/"]')).to_be_visible()

    # Search, typed without diacritics, finds text with them; follow a result to its lesson.
    browse.follow(page.locator("nav").get_by_role("link", name="Tìm kiếm", exact=True))
    page.fill("#q", "an toan mat khau")
    browse.follow(page.locator("form.search-form button"))
    results = page.locator("ol.results > li")
    expect(results.first).to_be_visible()
    expect(page.locator(".snippet mark").first).to_be_visible()
    lesson_link = page.locator(f'ol.results a[href^="/courses/{COURSE}/"]:not([href$="/"])').first
    found_title = lesson_link.inner_text()
    browse.follow(lesson_link)
    expect(page.locator("h1")).to_have_text(found_title)
    expect(page.locator("main")).to_contain_text(re.compile("an toàn|mật khẩu", re.IGNORECASE))

    # Open the course from the breadcrumb and start it: the first lesson opens.
    browse.follow(page.locator("nav.crumbs a"))
    assert page.url == f"{live_server.url}/courses/{COURSE}/", page.url
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu học")))

    # Read every lesson in order: mark it done (the next lesson opens), check the previous one is recorded
    # as done, and come back with its "next" link.
    for index, (slug, title) in enumerate(lessons):
        assert page.url == f"{live_server.url}/courses/{COURSE}/{slug}", page.url
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator(".meta").first).to_contain_text(f"{index + 1}/{len(lessons)}")
        if index == 0:
            page.screenshot(path=str(shots_dir / "lesson-mobile.png"), full_page=True)
        last = index + 1 == len(lessons)
        if not last:
            next_slug = lessons[index + 1][0]
            expect(page.locator('a[rel="next"]')).to_have_attribute("href", f"/courses/{COURSE}/{next_slug}")
        browse.follow(page.get_by_role("button", name=re.compile("Đánh dấu")))
        if last:
            break
        assert page.url.endswith(f"/courses/{COURSE}/{next_slug}"), page.url
        expect(page.locator(".flash-success")).to_be_visible()
        browse.follow(page.locator('a[rel="prev"]'))
        assert page.url.endswith(f"/{slug}"), page.url
        expect(page.locator(".lesson-actions .badge.done")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("Đánh dấu"))).to_have_count(0)
        browse.follow(page.locator('a[rel="next"]'))

    # After the last lesson: back on the course page, all lessons done but not complete (quiz still to pass).
    assert page.url == f"{live_server.url}/courses/{COURSE}/", page.url
    expect(page.locator("#progress-bar")).to_be_visible()
    expect(page.locator(".syllabus .badge.done")).to_have_count(len(lessons))
    expect(page.locator("main")).not_to_contain_text("Bạn đã hoàn thành khóa học này")

    # The quiz, first attempt: every answer wrong.
    browse.follow(page.locator(f'.syllabus a[href*="/courses/{COURSE}/quiz/"]').first)
    quiz_url = page.url
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu làm bài")))
    first_attempt = attempt_id_of(page)
    questions = attempt_keys(live_server, first_attempt)
    expect(page.locator("fieldset.question")).to_have_count(len(questions))
    answer_quiz(page, questions, right=False)
    browse.follow(page.get_by_role("button", name="Nộp bài"))
    assert page.url.endswith(f"/attempts/{first_attempt}/result"), page.url
    with live_server.db() as s:
        graded = s.get(QuizAttempt, first_attempt)
        assert graded is not None and graded.passed is False and graded.correct == 0
    expect(page.locator(".score.fail")).to_be_visible()
    expect(page.locator(".feedback > li.wrong")).to_have_count(len(questions))
    expect(page.locator(".feedback > li.right")).to_have_count(0)
    with_explanation = sum(1 for q in questions if q.explanation_html.strip())
    assert with_explanation > 0
    expect(page.locator(".feedback .explanation")).to_have_count(with_explanation)
    page.screenshot(path=str(shots_dir / "quiz-result-failed-mobile.png"), full_page=True)

    # Second attempt: every answer right.
    browse.follow(page.locator(".actions a.button").first)
    assert page.url == quiz_url, page.url
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu làm bài")))
    questions = attempt_keys(live_server, attempt_id_of(page))
    answer_quiz(page, questions, right=True)
    browse.follow(page.get_by_role("button", name="Nộp bài"))
    expect(page.locator(".score.pass")).to_be_visible()
    expect(page.locator(".feedback > li.right")).to_have_count(len(questions))
    expect(page.locator("main .flash-success")).to_be_visible()
    page.screenshot(path=str(shots_dir / "quiz-result-passed-mobile.png"), full_page=True)

    # The course page and "My learning" show the course completed.
    browse.follow(page.locator("nav.crumbs a"))
    expect(page.locator("#progress-bar")).to_have_attribute("value", "100")
    expect(page.locator("main")).to_contain_text("Bạn đã hoàn thành khóa học này")
    expect(page.locator(".syllabus .badge.done")).to_have_count(len(lessons) + 1)
    browse.follow(page.locator("nav").get_by_role("link", name="Việc học của tôi"))
    card = page.locator(".card", has=page.locator(f'a[href="/courses/{COURSE}/"]'))
    expect(card.locator(".badge.done")).to_contain_text("Hoàn thành")
    expect(card).to_contain_text("100%")

    assert len(auditor.audited) >= 2 * len(lessons) + 10


def test_core_flow_without_javascript(nojs_page: Page, live_server: LiveServer, auditor: Auditor) -> None:
    """With JavaScript off, a learner can still register, mark a lesson done, take the quiz and switch
    language; the pages pass axe-core."""
    page = nojs_page
    browse = Browse(page, auditor, js_enabled=False)
    lessons = lessons_of(live_server, COURSE)

    register(browse, {"phone": "0912345678"}, "Lê Văn Minh", typo_first=False)

    browse.visit(f"/courses/{COURSE}/")
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu học")))
    assert page.url.endswith(f"/courses/{COURSE}/{lessons[0][0]}"), page.url
    browse.follow(page.get_by_role("button", name=re.compile("Đánh dấu")))
    assert page.url.endswith(f"/courses/{COURSE}/{lessons[1][0]}"), page.url
    browse.follow(page.locator("nav.crumbs a"))
    expect(page.locator(".syllabus .badge.done")).to_have_count(1)
    expect(page.locator("#progress-bar")).not_to_have_attribute("value", "0")

    browse.follow(page.locator(f'.syllabus a[href*="/courses/{COURSE}/quiz/"]').first)
    browse.follow(page.get_by_role("button", name=re.compile("Bắt đầu làm bài")))
    attempt_id = attempt_id_of(page)
    questions = attempt_keys(live_server, attempt_id)
    answer_quiz(page, questions, right=True)
    browse.follow(page.get_by_role("button", name="Nộp bài"))
    assert page.url.endswith(f"/attempts/{attempt_id}/result"), page.url
    expect(page.locator(".score.pass")).to_be_visible()
    expect(page.locator(".feedback > li.right")).to_have_count(len(questions))
    with live_server.db() as s:
        attempt: Any = s.get(QuizAttempt, attempt_id)
        assert attempt.submitted_at is not None and attempt.passed is True
        assert attempt.correct == len(questions)

    # Log out and back in with the phone number.
    browse.follow(page.locator("nav").get_by_role("button", name="Đăng xuất"))
    browse.follow(page.locator("nav").get_by_role("link", name="Đăng nhập", exact=True))
    page.fill("#login", "0912 345 678")
    page.fill("#password", PASSWORD)
    browse.follow(page.locator("form.form button"))
    assert page.url.endswith("/me"), page.url
    expect(page.locator(f'.card a[href="/courses/{COURSE}/"]')).to_be_visible()
    browse.visit(f"/attempts/{attempt_id}/result")

    # The language switch is a plain form too.
    browse.follow(page.get_by_role("button", name="English"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith(f"/attempts/{attempt_id}/result"), page.url
    expect(page.locator(".score.pass")).to_contain_text("Passed")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(desktop_page: Page, live_server: LiveServer,
                                                                 auditor: Auditor) -> None:
    """Tabbing from the top of a lesson page reaches the visible skip link first; it moves focus to main."""
    page = desktop_page
    browse = Browse(page, auditor)
    slug = lessons_of(live_server, COURSE)[0][0]
    browse.visit(f"/courses/{COURSE}/{slug}")

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"skip link off screen when focused: {box}"
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none"), "the focused skip link has no visible outline"
    browse.check()

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert page.url.endswith("#main"), page.url
    # The next Tab continues inside main, not back in the header.
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused_in_main, "Tab after the skip link left the main content"
