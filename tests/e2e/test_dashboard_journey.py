"""The officials' dashboard in Chromium: a province official with JavaScript off and a commune official with it
on, each on a phone, log in, read their dashboard (figures, ranking, the trend chart), filter, drill down,
download an export and open the commune's follow-up list; axe-core on every page."""
from __future__ import annotations

import csv
import io
from datetime import date

from playwright.sync_api import Page, expect

from lms.models import ReportPopulation, ReportTarget
from lms.services import officials
from tests import factories
from tests.services.report_helpers import at, register

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import log_in


def _people(server: LiveServer) -> None:
    with server.db() as s:
        for n, commune in enumerate(["00070", "00070", "00070", "00004"]):
            register(s, f"Người học {n}", "01", commune, 3, at(2025, 8, 1 + n))
        s.add_all([ReportPopulation(unit_code="00070", year=2025, target_group=3, population=30,
                                    source="demo estimate", as_of=date(2025, 1, 1)),
                   ReportTarget(unit_code="01", year=2025, target_group=3, percent=80)])
        s.commit()


def _official(server: LiveServer, email: str, code: str, serial: int) -> None:
    with server.db() as s:
        user = factories.make_user(s, email, name="Cán bộ thử")
        factories.verify_identity(user, factories.id_number(serial))
        officials.grant(s, user, code, "official", now=factories.NOW, cli="cli:test")
        s.commit()


def _download(page: Page, name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).first.click()
    path = info.value.path()
    assert path is not None
    return path.read_bytes()


def test_a_province_official_reads_filters_drills_down_and_exports_without_javascript(
        nojs_page: Page, live_server: LiveServer, auditor: Auditor) -> None:
    _people(live_server)
    _official(live_server, "canbo.tinh@example.vn", "01", 7)
    page = nojs_page
    browse = Browse(page, auditor, js_enabled=False)
    log_in(browse, "canbo.tinh@example.vn")
    browse.visit("/officials/units/01")
    expect(page.locator("#groups caption")).to_contain_text("Số liệu tính đến")
    expect(page.locator("figure.chart svg[role=img]")).to_have_count(1)
    page.select_option("#f-quarter", "2025Q4")
    page.select_option("#f-group", "3")
    browse.follow(page.get_by_role("button", name="Xem"))
    assert "quarter=2025Q4" in page.url and "group=3" in page.url
    # 0 ÷ 30 in Hoàn Kiếm and 0 ÷ 1 registered in Ba Đình: both 0,0 %, so both rank 1, by name.
    expect(page.locator("#children tbody tr").nth(0)).to_contain_text("Phường Ba Đình")
    hoan_kiem = page.locator("#children tbody tr", has_text="Phường Hoàn Kiếm")
    expect(hoan_kiem.locator("td").first).to_have_text("1")
    expect(hoan_kiem).to_contain_text("Chưa đạt chỉ tiêu")
    expect(page.locator("#children tbody tr")).to_have_count(126)
    data = _download(page, "CSV")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert any(r[:2] == ["Người dân trong độ tuổi trưởng thành", "4"] for r in rows), rows
    browse.follow(page.locator(".unit-list").get_by_role("link", name="Phường Hoàn Kiếm"))
    assert "quarter=2025Q4" in page.url  # the filters kept
    expect(page.locator("#groups tbody tr").first).to_contain_text("30")
    browse.follow(page.get_by_role("link", name="Danh sách cần hỗ trợ: người học cần giúp đỡ"))
    expect(page.locator("#follow-up tbody tr")).to_have_count(3)
    response = page.goto("/officials/units/79/export.csv")
    assert response is not None and response.status == 403
    browse.check()


def test_a_commune_official_reads_their_dashboard_and_follow_up_list(
        mobile_page: Page, live_server: LiveServer, auditor: Auditor) -> None:
    _people(live_server)
    _official(live_server, "canbo.xa@example.vn", "00070", 8)
    page = mobile_page
    browse = Browse(page, auditor)
    log_in(browse, "canbo.xa@example.vn")
    browse.visit("/officials/")
    assert page.url.endswith("/officials/units/00070")
    browse.check()
    expect(page.locator("h1")).to_have_text("Phường Hoàn Kiếm")
    expect(page.locator("#groups")).to_contain_text("Người dân trong độ tuổi trưởng thành")
    xlsx = _download(page, "XLSX")
    assert xlsx[:2] == b"PK"
    browse.follow(page.get_by_role("link", name="Danh sách cần hỗ trợ: người học cần giúp đỡ"))
    expect(page.locator("#follow-up tbody tr")).to_have_count(3)
    expect(page.locator("#follow-up")).to_contain_text("Xác thực danh tính qua VNeID")
    listed = _download(page, "Tải cả danh sách (CSV)")
    assert listed.decode("utf-8-sig").count("\r\nNgười học") == 3
    response = page.goto("/officials/units/00004/follow-up")
    assert response is not None and response.status == 403
    browse.check()
