"""VNeID in a real headless Chromium, with axe-core on every page (the platform's and the stub's): verify an
account from the profile, refuse consent, and create an account with "Đăng nhập bằng VNeID" without
JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lms.vneid_stub.registry import demo_citizens

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import at_vneid, register

pytestmark = pytest.mark.e2e

A, B, _C = demo_citizens()


def test_verify_from_the_profile(mobile_page: Page, live_server: LiveServer, auditor: Auditor) -> None:
    """Register → "Hồ sơ của tôi" → "Xác thực bằng VNeID" → refuse once (nothing changes) → verify as the
    level-2 demo citizen: the profile shows the masked number, level 2 and the verified name."""
    browse = Browse(mobile_page, auditor)
    page = mobile_page
    register(browse, {"email": "an@example.vn"}, "Nguyễn Văn An", typo_first=False)
    browse.follow(page.locator("nav").get_by_role("link", name="Hồ sơ của tôi", exact=True))
    browse.follow(page.get_by_role("link", name="Xác thực bằng VNeID", exact=True))
    assert "/vneid/authorize?" in page.url
    at_vneid(browse, A.id_number, A.passcode, "Từ chối")
    assert page.url.endswith("/profile"), page.url
    expect(page.locator(".flash-info")).to_contain_text("Bạn đã từ chối chia sẻ thông tin")
    expect(page.locator("main")).to_contain_text("Danh tính của bạn chưa được xác thực")
    browse.follow(page.get_by_role("link", name="Xác thực bằng VNeID", exact=True))
    at_vneid(browse, A.id_number, A.passcode, "Đồng ý")
    assert page.url.endswith("/profile"), page.url
    main = page.locator("main")
    expect(page.locator(".flash-success")).to_contain_text("mức 2")
    expect(main).to_contain_text("********" + A.id_number[-4:])
    expect(main).to_contain_text(A.name)
    expect(main).to_contain_text("Mức 2")
    assert A.id_number not in page.content()
    assert not live_server.problems, live_server.problems


def test_first_login_with_vneid_without_javascript(nojs_page: Page, live_server: LiveServer,
                                                   auditor: Auditor) -> None:
    """A person with no account: "Đăng nhập bằng VNeID" (level 1) → the short account form → "My learning";
    the profile says level 1 may learn and a certificate needs level 2."""
    browse = Browse(nojs_page, auditor, js_enabled=False)
    page = nojs_page
    browse.visit("/login")
    browse.follow(page.get_by_role("link", name="Đăng nhập bằng VNeID", exact=True))
    at_vneid(browse, B.id_number, B.passcode, "Đồng ý")
    assert page.url.endswith("/auth/vneid/new-account"), page.url
    expect(page.locator("main")).to_contain_text(B.name)
    page.select_option("#target_group", "4")
    browse.follow(page.get_by_role("button", name="Tạo tài khoản", exact=True))
    assert page.url.endswith("/me"), page.url
    browse.follow(page.locator("nav").get_by_role("link", name="Hồ sơ của tôi", exact=True))
    expect(page.locator("main")).to_contain_text("Tài khoản VNeID mức 1: bạn vẫn học được; để nhận chứng chỉ "
                                                 "cần mức 2")
    assert not live_server.problems, live_server.problems
