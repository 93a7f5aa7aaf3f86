"""The quarterly report pages (lms/web/quarterly.py): closing on the unit page with the figures frozen shown
first, a correction with its note, a double submit writing nothing, a quarter not open yet, the versions
downloaded as signed JSON / PDF / XLSX from the frozen document (unchanged by later events, verified by
the service as `lms quarterly verify` does), the parent's status list, scope on every route and the audit
rows of closes and downloads."""
from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.domain import certificates as certs
from lms.domain.quarters import VIETNAM
from lms.models import AuditEvent, QuarterlyReport
from lms.services import quarterly
from lms.web import quarterly as web_quarterly
from tests.conftest import Auth, csrf_token
from tests.services.report_helpers import register
from tests.web.test_officials import BA_DINH, HANOI, HOAN_KIEM, account

IN_WINDOW = datetime(2025, 9, 10, 9, 0, tzinfo=VIETNAM)
LATE = datetime(2025, 9, 20, 9, 0, tzinfo=VIETNAM)
BEFORE = datetime(2025, 8, 20, 9, 0, tzinfo=VIETNAM)
UNIT_PAGE = f"/officials/units/{HOAN_KIEM}"
REPORTS = f"/officials/units/{HOAN_KIEM}/reports"


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = IN_WINDOW
        monkeypatch.setattr(web_quarterly, "now", lambda: self.at)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def commune(session: Session) -> Any:
    """A commune official of Phường Hoàn Kiếm, and two registered learners there in 2025Q3."""
    register(session, "hv1", HANOI, HOAN_KIEM, 3, datetime(2025, 7, 5, tzinfo=VIETNAM))
    register(session, "hv2", HANOI, HOAN_KIEM, 3, datetime(2025, 8, 5, tzinfo=VIETNAM))
    session.commit()
    return account(session, "xa@example.vn", 1, (HOAN_KIEM, "official"))


def reports_of(engine: Any) -> list[tuple[str, int, str]]:
    with Session(engine) as s:
        return [(r.report_id, r.version, r.note) for r in s.scalars(select(QuarterlyReport).order_by(QuarterlyReport.id))]


def audit_rows(engine: Any) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        return [(e.action, e.unit.code, e.detail) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def fetch(client: FlaskClient, url: str) -> tuple[int, bytes, Any]:
    """(status, body, headers) of a download, read to the end and closed (a streamed response)."""
    response = client.get(url)
    body = response.get_data()
    response.close()
    return response.status_code, body, response.headers


def close(client: FlaskClient, token: str, seen: int = 0, note: str = "", quarter: str = "2025Q3") -> Any:
    return client.post(REPORTS, data={"csrf_token": token, "quarter": quarter, "seen_version": str(seen),
                                      "note": note})


def test_the_unit_page_shows_the_state_and_the_figures_then_closing_freezes_them(
        client: FlaskClient, auth: Auth, clean_db: Any, commune: Any, clock: Clock) -> None:
    auth.login("xa@example.vn")
    page = client.get(UNIT_PAGE).get_data(as_text=True)
    assert "Báo cáo quý: Quý III/2025" in page
    assert "Còn hạn (chưa nộp, trước hạn chót)" in page
    assert "Hạn chót: trước 15/09/2025 00:00 (giờ Việt Nam)." in page
    assert "Số liệu sẽ được chốt" in page and "<td>2</td>" in page  # the two registered learners
    assert 'name="seen_version" type="hidden" value="0"' in page and 'name="csrf_token"' in page
    assert 'name="note"' not in page  # a first closing needs no note
    token = csrf_token(client, UNIT_PAGE)
    response = close(client, token)
    assert response.status_code == 303 and response.headers["Location"].endswith("/reports?quarter=2025Q3")
    assert reports_of(clean_db) == [("HVS-R-00070-2025Q3-v1", 1, "")]
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "HVS-R-00070-2025Q3-v1" in listing and "Đã nộp đúng hạn" in listing
    assert "10/09/2025 09:00 (giờ Việt Nam)" in listing
    with Session(clean_db) as s:
        row = s.scalars(select(QuarterlyReport)).one()
        document = json.loads(row.document)
        assert [(f["group"], f["registered"]) for f in document["figures"]] == [(3, 2)]
        assert document["cutoff"] == "2025-09-10T02:00:00Z" and document["submitted_by"] == "Cán bộ xa"
    assert ("close_quarter", HOAN_KIEM, "HVS-R-00070-2025Q3-v1") in audit_rows(clean_db)


def test_a_double_submit_says_already_closed_and_writes_nothing(client: FlaskClient, auth: Auth, clean_db: Any,
                                                                commune: Any, clock: Clock) -> None:
    auth.login("xa@example.vn")
    token = csrf_token(client, UNIT_PAGE)
    assert close(client, token).status_code == 303
    before = (reports_of(clean_db), audit_rows(clean_db))
    clock.at = IN_WINDOW.replace(second=2)
    again = close(client, token)  # the same page sent again
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "đã được chốt (phiên bản 1)" in text and "Không có gì được ghi." in text
    assert (reports_of(clean_db), audit_rows(clean_db)) == before


def test_a_correction_needs_a_note_and_keeps_the_first_version(client: FlaskClient, auth: Auth, clean_db: Any,
                                                               session: Session, commune: Any,
                                                               clock: Clock) -> None:
    auth.login("xa@example.vn")
    token = csrf_token(client, UNIT_PAGE)
    assert close(client, token).status_code == 303
    register(session, "hv3", HANOI, HOAN_KIEM, 3, datetime(2025, 9, 12, tzinfo=VIETNAM))
    session.commit()
    clock.at = LATE
    page = client.get(REPORTS + "?quarter=2025Q3").get_data(as_text=True)
    assert 'name="note"' in page and 'name="seen_version" type="hidden" value="1"' in page
    missing = close(client, token, seen=1)
    assert missing.status_code == 400
    assert "Bản sửa phải nêu lý do" in missing.get_data(as_text=True)
    assert len(reports_of(clean_db)) == 1
    assert close(client, token, seen=1, note="Bổ sung 1 người đăng ký").status_code == 303
    assert reports_of(clean_db) == [("HVS-R-00070-2025Q3-v1", 1, ""),
                                    ("HVS-R-00070-2025Q3-v2", 2, "Bổ sung 1 người đăng ký")]
    with Session(clean_db) as s:
        first, second = s.scalars(select(QuarterlyReport).order_by(QuarterlyReport.version)).all()
        assert json.loads(first.document)["figures"][0]["registered"] == 2
        assert json.loads(second.document)["figures"][0]["registered"] == 3
        assert json.loads(second.document)["supersedes"] == first.report_id
    listing = client.get(REPORTS).get_data(as_text=True)
    assert "Đã nộp đúng hạn" in listing  # decided by the first version, not the late correction
    assert "Bổ sung 1 người đăng ký" in listing


def test_a_quarter_not_open_yet_explains_itself(client: FlaskClient, auth: Auth, clean_db: Any, commune: Any,
                                                clock: Clock) -> None:
    clock.at = BEFORE
    auth.login("xa@example.vn")
    page = client.get(REPORTS + "?quarter=2025Q3").get_data(as_text=True)
    assert "Chưa đến kỳ" in page and "có thể được chốt từ 01/09/2025 00:00 (giờ Việt Nam)" in page
    assert 'name="seen_version"' not in page
    token = csrf_token(client, UNIT_PAGE)
    refused = close(client, token)
    assert refused.status_code == 400
    assert "Chưa thể chốt báo cáo quý này" in refused.get_data(as_text=True)
    assert reports_of(clean_db) == []
    assert close(client, "not-a-token").status_code == 400
    for quarter in ("2025Q9", "0000Q1", ""):
        assert client.post(REPORTS, data={"csrf_token": token, "quarter": quarter,
                                          "seen_version": "0"}).status_code == 400, quarter
    assert client.get(REPORTS + "?quarter=0000Q1").status_code == 404
    assert client.get(REPORTS + "?quarter=nonsense").status_code == 404
    assert reports_of(clean_db) == [] and [r[0] for r in audit_rows(clean_db)] == ["grant"]  # the CLI's grant


def test_downloads_are_the_frozen_signed_report_unchanged_by_later_events(
        client: FlaskClient, auth: Auth, clean_db: Any, session: Session, commune: Any, clock: Clock,
        tmp_path: Any) -> None:
    auth.login("xa@example.vn")
    assert close(client, csrf_token(client, UNIT_PAGE)).status_code == 303
    base = REPORTS + "/HVS-R-00070-2025Q3-v1"
    first = {}
    for fmt in ("json", "pdf", "xlsx"):
        status, first[fmt], headers = fetch(client, f"{base}.{fmt}")
        assert status == 200, fmt
        assert "attachment" in headers["Content-Disposition"]
        assert headers["Cache-Control"] == "private, no-store"
    data = json.loads(first["json"])
    with Session(clean_db) as s:
        assert quarterly.verify(s, certs.canonical(data["document"]), data["signature"]) is not None
        forged = dict(data["document"], figures=[dict(data["document"]["figures"][0], registered=3)])
        assert quarterly.verify(s, certs.canonical(forged), data["signature"]) is None
    sheet = load_workbook(io.BytesIO(first["xlsx"])).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Báo cáo Quý III/2025: Phường Hoàn Kiếm"
    assert values[1][0] == "Số liệu tính đến 10/09/2025 09:00 (giờ Việt Nam)"
    assert values[-1][:9] == ["Người dân trong độ tuổi trưởng thành", 2, 0, 0, 0, 0, None, 0, "÷ người đăng ký"]
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(first["pdf"])).pages)
    assert "HVS-R-00070-2025Q3-v1" in pdf_text and "Quý III/2025" in pdf_text

    register(session, "hv4", HANOI, HOAN_KIEM, 3, datetime(2025, 9, 11, tzinfo=VIETNAM))  # a later event
    session.commit()
    clock.at = IN_WINDOW.replace(day=12)
    assert "<td>3</td>" in client.get(UNIT_PAGE).get_data(as_text=True)  # the live figures moved on
    assert fetch(client, f"{base}.json")[1] == first["json"]
    again = load_workbook(io.BytesIO(fetch(client, f"{base}.xlsx")[1])).active
    assert [[c for c in row] for row in again.iter_rows(values_only=True)] == values
    again_pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(fetch(client, f"{base}.pdf")[1])).pages)
    assert again_pdf == pdf_text
    exports = [r for r in audit_rows(clean_db) if r[0] == "export"]
    assert exports[0] == ("export", HOAN_KIEM, "report=HVS-R-00070-2025Q3-v1 format=json")
    assert len(exports) == 6
    assert client.get(REPORTS + "/HVS-R-00070-2025Q3-v9.pdf").status_code == 404
    assert client.get(base + ".html").status_code == 404


def test_the_province_sees_which_communes_submitted_sorted_by_status(
        client: FlaskClient, auth: Auth, clean_db: Any, session: Session, commune: Any, clock: Clock) -> None:
    account(session, "tinh@example.vn", 5, (HANOI, "official"))
    auth.login("xa@example.vn")
    assert close(client, csrf_token(client, UNIT_PAGE)).status_code == 303
    auth.logout()
    clock.at = LATE
    auth.login("tinh@example.vn")
    page = client.get(f"/officials/units/{HANOI}/submissions?quarter=2025Q3").get_data(as_text=True)
    assert page.count("<tr>") == 127  # the header and Hà Nội's 126 communes in force
    row = page.split('href="/officials/units/00070/reports?quarter=2025Q3"')[1].split("</tr>")[0]
    assert "Đã nộp đúng hạn" in row and "10/09/2025 09:00" in row and "<td>1</td>" in row
    assert "Quá hạn (chưa nộp, đã qua hạn chót)" in page
    by_status = client.get(f"/officials/units/{HANOI}/submissions?quarter=2025Q3&sort=status")
    statuses = [part.split("</td>")[0].split(">")[-1]
                for part in by_status.get_data(as_text=True).split('class="status status-')[1:]]
    assert statuses[-1] == "Đã nộp đúng hạn" and set(statuses[:-1]) == {"Quá hạn (chưa nộp, đã qua hạn chót)"}
    assert client.get(f"/officials/units/{HANOI}/submissions?sort=x").status_code == 404
    # the province may open the commune's report and download it
    assert fetch(client, f"{REPORTS}/HVS-R-00070-2025Q3-v1.json")[0] == 200


ROUTES = [("GET", "/officials/units/{code}/reports"), ("POST", "/officials/units/{code}/reports"),
          ("GET", "/officials/units/{code}/reports/HVS-R-{code}-2025Q3-v1.json"),
          ("GET", "/officials/units/{code}/reports/HVS-R-{code}-2025Q3-v1.pdf"),
          ("GET", "/officials/units/{code}/submissions")]


@pytest.mark.parametrize("code, status", [(HANOI, 403), (BA_DINH, 403), ("79", 403), ("99999", 404)])
def test_every_quarterly_route_refuses_another_unit(client: FlaskClient, auth: Auth, clean_db: Any,
                                                    session: Session, commune: Any, clock: Clock, code: str,
                                                    status: int) -> None:
    other = account(session, "ba-dinh@example.vn", 2, (BA_DINH, "official"))
    assert other is not None
    auth.login("ba-dinh@example.vn")
    ba_dinh_token = csrf_token(client, f"/officials/units/{BA_DINH}")
    assert client.post(f"/officials/units/{BA_DINH}/reports",
                       data={"csrf_token": ba_dinh_token, "quarter": "2025Q3", "seen_version": "0"}).status_code == 303
    auth.logout()
    auth.login("xa@example.vn")
    token = csrf_token(client, UNIT_PAGE)
    before = (reports_of(clean_db), audit_rows(clean_db))
    for method, pattern in ROUTES:
        url = pattern.format(code=code)
        response = client.get(url) if method == "GET" else client.post(
            url, data={"csrf_token": token, "quarter": "2025Q3", "seen_version": "0"})
        assert response.status_code == status, (method, url)
    assert (reports_of(clean_db), audit_rows(clean_db)) == before
    auth.logout()
    for method, pattern in ROUTES:  # anonymous
        url = pattern.format(code=HOAN_KIEM)
        response = client.get(url) if method == "GET" else client.post(url, data={"quarter": "2025Q3"})
        assert response.status_code in (302, 400), url
    assert (reports_of(clean_db), audit_rows(clean_db)) == before

