"""Quarterly report, without JavaScript: a commune official sees the figures that closing freezes on their unit
page, closes the quarter ("Chốt số liệu quý"), sees the report listed with its downloads; the province
official then sees that commune submitted on time among Hà Nội's communes, sorted by status. axe-core on every
page."""
from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from lms.domain.quarters import VIETNAM
from lms.services import officials
from lms.web import quarterly as web_quarterly
from tests import factories
from tests.services.report_helpers import register

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import log_in

IN_WINDOW = datetime(2025, 9, 10, 9, 0, tzinfo=VIETNAM)


def test_a_commune_closes_a_quarter_and_the_province_sees_it_on_time(
        nojs_page: Page, live_server: LiveServer, auditor: Auditor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_quarterly, "now", lambda: IN_WINDOW)  # the live server runs in this process
    with live_server.db() as s:
        register(s, "hv-e2e-1", "01", "00070", 3, datetime(2025, 7, 5, tzinfo=VIETNAM))
        for serial, (email, name, code) in enumerate((("canbo.xa@example.vn", "Lê Thu Hà", "00070"),
                                                      ("canbo.tinh@example.vn", "Đỗ Minh Quân", "01")), 8):
            user = factories.make_user(s, email, name=name)
            factories.verify_identity(user, factories.id_number(serial))
            officials.grant(s, user, code, "official", now=factories.NOW, cli="cli:test")
        s.commit()
    page = nojs_page
    browse = Browse(page, auditor, js_enabled=False)
    log_in(browse, "canbo.xa@example.vn")
    browse.visit("/officials/units/00070")
    panel = page.locator("section.quarterly")
    expect(panel.locator("h2")).to_have_text("Báo cáo quý: Quý III/2025")
    expect(panel).to_contain_text("Còn hạn (chưa nộp, trước hạn chót)")
    expect(panel).to_contain_text("Hạn chót: trước 15/09/2025 00:00 (giờ Việt Nam).")
    expect(panel.locator("table.data tbody tr")).to_have_count(1)
    browse.follow(panel.get_by_role("button", name="Chốt số liệu quý"))
    assert page.url.endswith("/officials/units/00070/reports?quarter=2025Q3")
    expect(page.locator(".flash")).to_contain_text("HVS-R-00070-2025Q3-v1")
    expect(page.locator("section.quarterly")).to_contain_text("Đã nộp đúng hạn")
    expect(page.get_by_role("link", name="PDF HVS-R-00070-2025Q3-v1")).to_be_visible()
    expect(page.get_by_role("button", name="Nộp bản sửa")).to_be_visible()

    page.context.clear_cookies()
    log_in(browse, "canbo.tinh@example.vn")
    browse.visit("/officials/units/01")
    browse.follow(page.get_by_role("link", name="Các đơn vị trực thuộc đã nộp chưa"))
    expect(page.locator("h1")).to_contain_text("Quý III/2025")
    row = page.locator("table.submissions tr", has=page.get_by_role("link", name="Phường Hoàn Kiếm"))
    expect(row).to_contain_text("Đã nộp đúng hạn")
    expect(row).to_contain_text("10/09/2025 09:00")
    browse.follow(page.get_by_role("link", name="tình trạng"))
    expect(page.locator("table.submissions tbody tr").last).to_contain_text("Phường Hoàn Kiếm")
    browse.follow(page.get_by_role("link", name="Phường Hoàn Kiếm"))
    expect(page.locator("h1")).to_have_text("Báo cáo quý của Phường Hoàn Kiếm")
    response = page.goto("/officials/units/79/submissions")
    assert response is not None and response.status == 403
    browse.check()
    assert len(auditor.audited) >= 8
