"""The whole certificate chain of issue 3 in a real headless Chromium, through the real UI, with axe-core on
every page: register → verify with VNeID (the stub's pages, level 2) → finish a course → the certificate page
(competencies, QR code) → PDF and Open Badges JSON (schema-valid, proof checked, verified offline by
`lms certificates verify`) → the verify form says valid, an unknown number is not found → the holder check
says yes → an administrator revokes it → the page, the JSON status and the CLI say revoked. The citizen's raw
ID number appears on none of the platform's pages. (The one certificate journey of the suite: the former
tests/e2e/test_certificates.py repeated it with an identity set in the database; its checks are here.)"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from lms.domain import certificates as certs
from lms.domain import idnumber, openbadges
from lms.models import Certificate, User
from lms.vneid_stub.registry import demo_citizens
from tests.factories import SCHEMA

from .browsing import MOBILE, TIMEOUT_MS, Auditor, Browse
from .conftest import LiveServer
from .flows import COURSE, account, at_vneid, finish_course, log_in, register

pytestmark = pytest.mark.e2e

CITIZEN = demo_citizens()[0]  # "A": level 2, not locked
COURSE_TITLE = "Nhận diện lừa đảo trực tuyến"
REASON = "Cấp nhầm người"
STUB_PREFIX = "/vneid/"
PDF_TIMEOUT_MS = 60_000


class Recorded(Browse):
    """A `Browse` that also keeps the HTML of every page it audits, by URL."""

    def __init__(self, page: Page, auditor: Auditor, seen: list[tuple[str, str]]) -> None:
        super().__init__(page, auditor)
        self.seen = seen

    def check(self) -> None:
        """Record the page's HTML, then audit it with axe-core."""
        self.seen.append((self.page.url, self.page.content()))
        super().check()


def flat(text: str) -> str:
    """Whitespace collapsed to single spaces (PDF text breaks lines where the layout does)."""
    return " ".join(text.split())


def cli_verify(runner: Any, document: bytes, keys: bytes, folder: Path) -> tuple[int, str]:
    """`lms certificates verify FILE.json --keys KEYS.json` on the downloaded files: (exit code, output)."""
    credential, jwks = folder / "credential.json", folder / "keys.json"
    credential.write_bytes(document)
    jwks.write_bytes(keys)
    result = runner.invoke(args=["certificates", "verify", str(credential), "--keys", str(jwks)])
    return result.exit_code, result.output


def test_register_verify_learn_certify_verify_and_revoke(browser: Browser, live_server: LiveServer,
                                                         mobile_page: Page, auditor: Auditor, runner: Any,
                                                         tmp_path: Path, shots_dir: Path) -> None:
    """Register → VNeID (level 2) → finish the course → certificate page, PDF (name, number, course) and
    JSON (1EdTech schema, proof, CLI VALID) → /verify form says valid, an unknown number is not found → the
    holder check says yes → an admin revokes with a reason → the verify page, the JSON status and the CLI say
    revoked; no platform page holds the raw ID number."""
    page = mobile_page
    seen: list[tuple[str, str]] = []
    browse = Recorded(page, auditor, seen)

    # Register under a name VNeID will correct, then verify from the profile through the stub's pages.
    register(browse, {"email": "lan.nguyen@example.vn"}, "Lan Nguyen", typo_first=False)
    browse.follow(page.locator("nav").get_by_role("link", name="Hồ sơ của tôi", exact=True))
    expect(page.locator("main")).to_contain_text("Danh tính của bạn chưa được xác thực")
    browse.follow(page.get_by_role("link", name="Xác thực bằng VNeID", exact=True))
    assert STUB_PREFIX + "authorize?" in page.url, page.url
    at_vneid(browse, CITIZEN.id_number, CITIZEN.passcode, "Đồng ý")
    assert page.url == f"{live_server.url}/profile", page.url
    main = page.locator("main")
    expect(page.locator(".flash-success")).to_contain_text("mức 2")
    expect(main).to_contain_text("Đã xác thực bằng VNeID")
    expect(main).to_contain_text(idnumber.mask(CITIZEN.id_number))
    expect(main).to_contain_text("Mức 2")
    expect(main).to_contain_text(CITIZEN.name)
    expect(main).not_to_contain_text("Lan Nguyen")

    # Finish the course through the UI: the certificate is issued on the passing attempt.
    finish_course(browse, live_server, COURSE)
    with live_server.db() as s:
        learner = s.scalars(select(User).where(User.email == "lan.nguyen@example.vn")).one()
        issued = s.scalars(select(Certificate).where(Certificate.user_id == learner.id)).all()
    assert len(issued) == 1 and issued[0].revoked_at is None
    number = issued[0].number

    # "My learning" links to it; the certificate page shows the verified name and the course.
    browse.follow(page.locator("nav").get_by_role("link", name="Việc học của tôi"))
    browse.follow(page.get_by_role("link", name=f"Giấy chứng nhận của bạn: {number}", exact=True))
    assert page.url == f"{live_server.url}/certificates/{number}", page.url
    expect(page.locator(".cert-status")).to_contain_text("Hợp lệ")
    expect(page.locator(".cert-holder")).to_have_text(CITIZEN.name)
    expect(page.locator(".cert-number")).to_have_text(number)
    expect(main).to_contain_text(COURSE_TITLE)
    expect(main).to_contain_text("4.2 Bảo vệ dữ liệu cá nhân và quyền riêng tư")
    assert page.locator(".cert-qr img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert idnumber.mask(CITIZEN.id_number) not in page.content()
    page.screenshot(path=str(shots_dir / "certificate-mobile.png"), full_page=True)

    # The PDF, downloaded from its link: the name with its diacritics, the number and the course title.
    pdf_link = page.get_by_role("link", name="Giấy chứng nhận để in (PDF)", exact=True)
    # Rendering the PDF (fonts, QR code) takes seconds on a loaded 2-core machine: more than the page timeout.
    pdf = page.request.get(pdf_link.get_attribute("href") or "", timeout=PDF_TIMEOUT_MS)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    pdf_text = flat("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages))
    assert CITIZEN.name in pdf_text and number in pdf_text and COURSE_TITLE in pdf_text, pdf_text

    # The Open Badges file: valid against the official 1EdTech schema and VALID offline with the published keys.
    json_link = page.get_by_role("link", name=re.compile(r"Open Badges, JSON"))
    badge = page.request.get(json_link.get_attribute("href") or "")
    assert badge.ok and badge.headers["content-type"].startswith("application/json")
    document = json.loads(badge.body())
    jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    assert document["credentialSubject"]["name"] == CITIZEN.name
    assert document["credentialSubject"]["achievement"]["name"] == COURSE_TITLE
    keys = page.request.get("/.well-known/hvs-certificate-keys.json")
    assert keys.ok
    assert openbadges.check(document, {k["kid"]: k for k in keys.json()["keys"]}).ok
    code, output = cli_verify(runner, badge.body(), keys.body(), tmp_path)
    assert code == 0 and output.startswith(f"VALID: {number}"), output

    # The public verification form, typed by hand (lower case, spaces for dashes): valid.
    browse.visit("/verify")
    page.fill("#number", number.lower().replace("-", " "))
    browse.follow(main.get_by_role("button", name="Kiểm tra"))
    assert page.url == f"{live_server.url}/verify/{number}", page.url
    expect(page.locator(".cert-status")).to_contain_text("Hợp lệ")
    expect(page.locator(".cert-holder")).to_have_text(CITIZEN.name)
    expect(main).to_contain_text(COURSE_TITLE)
    assert page.request.get(f"/verify/{number}.json").json()["status"] == "valid"

    # A number that was never issued: not found (404), on a page that passes axe like the others.
    unknown = certs.new_number(2026)
    response = page.goto(f"/verify/{unknown}")
    assert response is not None and response.status == 404
    expect(page.locator(".cert-status")).to_contain_text("Không tìm thấy")
    browse.check()

    # The holder check: someone who knows the person's ID number asks whether this certificate is theirs.
    browse.visit("/verify")
    browse.follow(page.get_by_role("link", name="Kiểm tra một giấy chứng nhận có phải được cấp cho người có số "
                                                "định danh cá nhân đã biết hay không"))
    assert page.url == f"{live_server.url}/verify/holder", page.url
    page.fill("#number", number)
    page.fill("#id_number", CITIZEN.id_number)
    browse.follow(main.get_by_role("button", name="Kiểm tra"))
    expect(page.locator(".cert-status")).to_contain_text("Đúng: giấy chứng nhận")
    assert CITIZEN.id_number not in page.content()

    # An administrator, in a browser context of their own, revokes it with a reason.
    account(live_server, "quan-tri@example.vn", "Quản Trị Viên", role="admin")
    admin_context = browser.new_context(base_url=live_server.url, **MOBILE)
    admin_context.set_default_timeout(TIMEOUT_MS)
    try:
        admin = Recorded(admin_context.new_page(), auditor, seen)
        log_in(admin, "quan-tri@example.vn")
        admin.visit(f"/certificates/{number}")
        admin.page.fill("#reason", REASON)
        admin.follow(admin.page.get_by_role("button", name="Thu hồi", exact=True))
        assert admin.page.url == f"{live_server.url}/certificates/{number}", admin.page.url
        expect(admin.page.locator(".flash")).to_contain_text("Giấy chứng nhận đã được thu hồi.")
        expect(admin.page.locator(".cert-status")).to_contain_text("Đã bị thu hồi")
    finally:
        admin_context.close()

    # Revoked everywhere: the verification page (with the reason), its JSON status and the offline CLI.
    browse.visit(f"/verify/{number}")
    expect(page.locator(".cert-status")).to_contain_text("Đã bị thu hồi")
    expect(page.locator(".cert-status")).to_contain_text(f"Lý do: {REASON}")
    status = page.request.get(f"/verify/{number}.json").json()
    assert status["status"] == "revoked" and status["revoked"]["reason"] == REASON
    code, output = cli_verify(runner, badge.body(), keys.body(), tmp_path)
    assert code == 1 and output.startswith(f"REVOKED: {number}") and REASON in output, output
    page.screenshot(path=str(shots_dir / "verify-revoked-mobile.png"), full_page=True)

    # The raw ID number: in no platform page (only the stub, standing in for the national system, shows
    # it), nor in the PDF or the credential.
    platform = [(url, html) for url, html in seen if not url.startswith(live_server.url + STUB_PREFIX)]
    stub = [url for url, _html in seen if url.startswith(live_server.url + STUB_PREFIX)]
    assert len(stub) == 2 and len(platform) >= 20, [url for url, _html in seen]
    leaks = [url for url, html in platform if CITIZEN.id_number in html]
    # Control: the recorded HTML is complete enough to show the number where it is (the stub's sign-in page
    # lists its demo citizens).
    assert any(CITIZEN.id_number in html for url, html in seen if url in stub)
    assert not leaks, f"the raw ID number is on {leaks}"
    assert CITIZEN.id_number not in pdf_text and CITIZEN.id_number.encode() not in badge.body()
    assert sorted(set(auditor.audited)) == sorted({url for url, _html in seen})
