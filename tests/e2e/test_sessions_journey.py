"""Logging out really logs out, in a real headless Chromium (issue 6, points 2 and 4): log in with "keep me
logged in", press the real "Đăng xuất", reload, and replay the old cookies in a fresh browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import PASSWORD, account

pytestmark = pytest.mark.e2e


def test_logout_ends_the_remembered_login(desktop_page: Page, browser: Browser, live_server: LiveServer,
                                          auditor: Auditor) -> None:
    page = desktop_page
    browse = Browse(page, auditor)
    account(live_server, "nho@example.vn", "Lê Văn Nhớ")
    browse.visit("/login")
    page.fill("#login", "nho@example.vn")
    page.fill("#password", PASSWORD)
    page.check("#remember")
    browse.follow(page.locator("form.form button"))
    assert page.url.endswith("/me"), page.url
    cookies = page.context.cookies()
    assert {c["name"] for c in cookies} >= {"session", "remember_token"}

    # A copy of the cookies works while the learner is logged in ...
    copy = browser.new_context(base_url=live_server.url)
    copy.add_cookies(cookies)  # type: ignore[arg-type]
    copied = copy.new_page()
    copied.goto("/me")
    assert copied.url.endswith("/me"), copied.url
    copy.close()

    # ... then the real "Đăng xuất" button.
    browse.follow(page.locator("nav").get_by_role("button", name="Đăng xuất"))
    expect(page.locator(".flash-info")).to_contain_text("Bạn đã đăng xuất")
    assert "remember_token" not in {c["name"] for c in page.context.cookies()}
    page.reload()
    expect(page.locator("nav").get_by_role("link", name="Đăng nhập", exact=True)).to_be_visible()
    page.goto("/me")
    assert "/login" in page.url, page.url

    # The old cookie values, replayed in a fresh browser, log nobody in.
    fresh = browser.new_context(base_url=live_server.url)
    fresh.add_cookies(cookies)  # type: ignore[arg-type]
    replay = fresh.new_page()
    replay.goto("/me")
    assert "/login" in replay.url, replay.url
    expect(replay.locator("nav").get_by_role("link", name="Đăng nhập", exact=True)).to_be_visible()
    fresh.close()
