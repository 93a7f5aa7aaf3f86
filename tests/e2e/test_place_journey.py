"""Choosing one of the 3,321 communes with JavaScript off, on a phone: register in a commune of TP. Hồ Chí
Minh (province first, then its communes), then move to a commune of Hà Nội on the profile; axe-core on
every page, and no page carries more than one province's communes."""
from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.models import User

from .browsing import Auditor, Browse
from .conftest import LiveServer
from .flows import register


def test_register_and_move_without_javascript(nojs_page: Page, live_server: LiveServer, auditor: Auditor) -> None:
    page = nojs_page
    browse = Browse(page, auditor, js_enabled=False)
    register(browse, {"email": "binh@example.vn"}, "Trần Văn Bình", typo_first=True, province="79",
             commune="26740")
    with live_server.db() as s:
        user = s.scalars(select(User).where(User.email == "binh@example.vn")).one()
        assert (user.province_code, user.commune_code) == ("79", "26740")

    browse.visit("/profile")
    expect(page.locator("main")).to_contain_text("Nơi ở hiện tại: Phường Sài Gòn, Thành phố Hồ Chí Minh.")
    expect(page.locator("#commune")).to_have_count(0)
    page.select_option("#province", "01")
    browse.follow(page.get_by_role("button", name="Tiếp: chọn xã/phường"))
    assert "province=01" in page.url
    expect(page.locator("#commune option")).to_have_count(1 + 126)
    page.select_option("#commune", "00070")
    browse.follow(page.get_by_role("button", name="Lưu nơi ở"))
    expect(page.locator(".flash-success")).to_contain_text("Đã lưu nơi ở của bạn.")
    expect(page.locator("main")).to_contain_text("Nơi ở hiện tại: Phường Hoàn Kiếm, Thành phố Hà Nội.")
    with live_server.db() as s:
        user = s.scalars(select(User).where(User.email == "binh@example.vn")).one()
        assert (user.province_code, user.commune_code) == ("01", "00070")
    assert len(auditor.audited) >= 7
