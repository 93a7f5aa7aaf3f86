"""Certificates in a real headless Chromium, with axe-core on every page: a verified learner opens the
certificate from "My learning", downloads the PDF and the Open Badges file, checks the number on the public
verification page; an administrator revokes it and the verification page then says revoked.

The VNeID verification itself is the identity tests' business: here the account gets its identity the way the
VNeID client stores it, and the certificate is issued by the real service."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from lms.domain import certificates as certs
from lms.domain import idnumber, openbadges
from lms.models import Course, Enrolment, User, utcnow
from lms.services import certificates
from tests.certificates.conftest import SCHEMA

from .browsing import MOBILE, TIMEOUT_MS, Auditor, Browse
from .conftest import LiveServer
from .flows import COURSE, account, log_in

pytestmark = pytest.mark.e2e

HOLDER = "Trần Thị Bích Ngọc"


def verified_with_certificate(server: LiveServer, user_id: int) -> tuple[str, str]:
    """Verify the account (level 2, as the VNeID client records it), complete the course and issue the
    certificate: (certificate number, ID number)."""
    id_number = idnumber.generate("079", date(1988, 3, 9), "female", 135790)
    with server.db() as s:
        user = s.get(User, user_id)
        assert user is not None
        now = utcnow()
        user.person_hash = idnumber.keyed_hash(id_number, b"e2e-identity-key")
        user.id_masked, user.id_level, user.verified_at = idnumber.mask(id_number), 2, now
        course = s.scalars(select(Course).where(Course.slug == COURSE)).one()
        s.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now, completed_at=now))
        settings = certificates.Settings.from_config(server.app.config, server.url)
        cert = certificates.issue_if_eligible(s, user, course, now, settings)
        assert cert is not None
        s.commit()
        return cert.number, id_number


def test_certificate_verify_and_revoke_in_a_browser(browser: Browser, live_server: LiveServer,
                                                    auditor: Auditor, mobile_page: Page,
                                                    shots_dir: object) -> None:
    """My learning → certificate page → PDF and JSON → verify page says valid → the holder check says yes →
    an admin revokes → revoked."""
    learner_id = account(live_server, "ngoc@example.vn", HOLDER)
    account(live_server, "quan-tri@example.vn", "Quản Trị Viên", role="admin")
    number, id_number = verified_with_certificate(live_server, learner_id)
    browse = Browse(mobile_page, auditor)
    log_in(browse, "ngoc@example.vn")

    browse.visit("/me")
    browse.follow(mobile_page.get_by_role("link", name=f"Giấy chứng nhận của bạn: {number}"))
    assert mobile_page.url.endswith(f"/certificates/{number}")
    expect(mobile_page.locator(".cert-status")).to_contain_text("Hợp lệ")
    expect(mobile_page.locator(".cert-holder")).to_have_text(HOLDER)
    expect(mobile_page.locator("main")).to_contain_text("4.2 Bảo vệ dữ liệu cá nhân và quyền riêng tư")
    assert mobile_page.locator(".cert-qr img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert id_number not in mobile_page.content() and idnumber.mask(id_number) not in mobile_page.content()
    mobile_page.screenshot(path=str(shots_dir) + "/certificate-mobile.png", full_page=True)

    pdf_link = mobile_page.get_by_role("link", name="Giấy chứng nhận để in (PDF)").get_attribute("href")
    pdf = mobile_page.request.get(pdf_link or "")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
    assert HOLDER in text and number in text
    badge = mobile_page.request.get(f"/certificates/{number}.json")
    document = json.loads(badge.body())
    import jsonschema
    jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    keys = mobile_page.request.get("/.well-known/hvs-certificate-keys.json").json()["keys"]
    assert openbadges.check(document, {k["kid"]: k for k in keys}).ok

    browse.visit("/verify")
    mobile_page.fill("#number", number.lower().replace("-", " "))
    browse.follow(mobile_page.locator("main").get_by_role("button", name="Kiểm tra"))
    assert mobile_page.url.endswith(f"/verify/{number}")
    expect(mobile_page.locator(".cert-status")).to_contain_text("Hợp lệ")
    expect(mobile_page.locator("main")).to_contain_text(HOLDER)

    unknown = certs.new_number(2026)
    response = mobile_page.goto(f"/verify/{unknown}")
    assert response is not None and response.status == 404
    expect(mobile_page.locator(".cert-status")).to_contain_text("Không tìm thấy")

    live_server.app.config["IDENTITY_KEY"] = "e2e-identity-key"  # the key the person hash was made with
    browse.visit("/verify")
    browse.follow(mobile_page.get_by_role("link", name="Kiểm tra một giấy chứng nhận có phải được cấp cho "
                                                         "người có số định danh cá nhân đã biết hay không"))
    assert mobile_page.url.endswith("/verify/holder")
    mobile_page.fill("#number", number)
    mobile_page.fill("#id_number", id_number)
    browse.follow(mobile_page.locator("main").get_by_role("button", name="Kiểm tra"))
    expect(mobile_page.locator(".cert-status")).to_contain_text("Đúng: giấy chứng nhận")
    assert id_number not in mobile_page.content()
    browse.check()

    admin_context = browser.new_context(base_url=live_server.url, **MOBILE)
    admin_context.set_default_timeout(TIMEOUT_MS)
    try:
        admin = Browse(admin_context.new_page(), auditor)
        log_in(admin, "quan-tri@example.vn")
        admin.visit(f"/certificates/{number}")
        admin.page.fill("#reason", "Cấp nhầm người")
        admin.follow(admin.page.get_by_role("button", name="Thu hồi", exact=True))
        expect(admin.page.locator(".cert-status")).to_contain_text("Đã bị thu hồi")
        expect(admin.page.locator(".flash")).to_contain_text("Giấy chứng nhận đã được thu hồi.")
    finally:
        admin_context.close()

    browse.visit(f"/verify/{number}")
    expect(mobile_page.locator(".cert-status")).to_contain_text("Đã bị thu hồi")
    expect(mobile_page.locator(".cert-status")).to_contain_text("Lý do: Cấp nhầm người")
    mobile_page.screenshot(path=str(shots_dir) + "/verify-revoked-mobile.png", full_page=True)
