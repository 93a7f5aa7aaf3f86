"""A province official with JavaScript off, on a phone: logs in, reaches their province from "My units", drills
down to a commune and back up by the breadcrumbs, opens the unit admin page and the audit log, and is refused
another province; axe-core on every page."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from lms.services import officials
from tests import factories

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import log_in


def test_a_province_official_drills_down_without_javascript(nojs_page: Page, live_server: LiveServer,
                                                            auditor: Auditor) -> None:
    with live_server.db() as s:
        user = factories.make_user(s, "canbo.tinh@example.vn", name="Đỗ Minh Quân")
        factories.verify_identity(user, factories.id_number(7))
        for role in ("official", "unit_admin"):
            officials.grant(s, user, "01", role, now=factories.NOW, cli="cli:test")
        s.commit()
    page = nojs_page
    browse = Browse(page, auditor, js_enabled=False)
    log_in(browse, "canbo.tinh@example.vn")
    browse.visit("/profile")
    browse.follow(page.get_by_role("link", name="Khu vực cán bộ: đơn vị của tôi"))
    assert page.url.endswith("/officials/units/01")
    expect(page.locator("h1")).to_have_text("Thành phố Hà Nội")
    expect(page.locator(".unit-list li")).to_have_count(126)
    browse.follow(page.get_by_role("link", name="Phường Hoàn Kiếm"))
    expect(page.locator("h1")).to_have_text("Phường Hoàn Kiếm")
    expect(page.locator(".breadcrumbs")).to_contain_text("Việt Nam")
    browse.follow(page.locator(".breadcrumbs").get_by_role("link", name="Thành phố Hà Nội"))
    browse.follow(page.get_by_role("link", name="Quản lý cán bộ của đơn vị này"))
    expect(page.locator("table.data")).to_contain_text("canbo.tinh@example.vn")
    browse.follow(page.get_by_role("link", name="Nhật ký truy cập"))
    expect(page.locator("table.data")).to_contain_text("Đã xem danh sách cán bộ")

    response = page.goto("/officials/units/79")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Đơn vị này nằm ngoài phạm vi của bạn")
    browse.check()
    assert len(auditor.audited) >= 7
