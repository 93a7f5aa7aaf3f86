"""The officials' dashboard, its exports and the commune's follow-up list through the test client: exact
figures on a hand-built population, every export parsed back (csv, openpyxl, pypdf) and compared with the
page's own cells, scope and forged parameters refused with nothing written, the audit rows, and a
10,000-row follow-up export streamed in bounded memory."""
from __future__ import annotations

import csv
import html
import io
import re
import tracemalloc
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms.domain import content
from lms.models import AuditEvent, ReportPopulation, ReportTarget, Unit, User
from lms.services import certificates
from tests.conftest import Auth
from tests.services.report_helpers import SCAM, VNEID, at, complete, publish_demo, register, verify
from tests.web.test_officials import account

HANOI, HOAN_KIEM, BA_DINH = "01", "00070", "00004"
UNIT = f"/officials/units/{HANOI}"


@pytest.fixture
def population(session: Session, demo_load: content.CheckResult, settings: certificates.Settings) -> Session:
    courses = publish_demo(session, demo_load)
    scam, vneid = courses[SCAM], courses[VNEID]
    # Hoàn Kiếm, adults: An achieved; Châu verified with one of the two courses; Bình never verified.
    an = register(session, "an", HANOI, HOAN_KIEM, 3, at(2025, 7, 2))
    verify(session, an, 11, at(2025, 7, 3))
    complete(session, an, scam, at(2025, 8, 1), settings)
    complete(session, an, vneid, at(2025, 8, 2), settings)
    chau = register(session, "chau", HANOI, HOAN_KIEM, 3, at(2025, 8, 5))
    verify(session, chau, 12, at(2025, 8, 6))
    complete(session, chau, scam, at(2025, 8, 7), settings)
    binh = register(session, "binh", HANOI, HOAN_KIEM, 3, at(2025, 10, 3))
    binh.phone = "0912345678"
    # Ba Đình, adults: Dũng verified, nothing else, and no population known (÷ registered).
    dung = register(session, "dung", HANOI, BA_DINH, 3, at(2025, 9, 1))
    verify(session, dung, 13, at(2025, 9, 2))
    session.add_all([ReportPopulation(unit_code=HOAN_KIEM, year=2025, target_group=3, population=10,
                                      source="demo estimate", as_of=date(2025, 1, 1)),
                     ReportTarget(unit_code=HANOI, year=2025, target_group=3, percent=90)])
    session.commit()
    return session


@pytest.fixture
def officials_(session: Session) -> None:
    account(session, "xa@example.vn", 1, (HOAN_KIEM, "official"))
    account(session, "tinh@example.vn", 2, (HANOI, "official"))


def cells(page: str, table_id: str) -> list[list[str]]:
    """The rows of the page's table `table_id` as the reader sees them (header row first)."""
    match = re.search(rf'<table class="data-table" id="{table_id}">(.*?)</table>', page, re.S)
    assert match, f"no table {table_id}"
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)]


def plain(text: str) -> str:
    """A screen figure as the CSV writes it: 1.234 -> 1234, 85,3 % -> 85.3, — -> empty."""
    if text == "—":
        return ""
    if re.fullmatch(r"-?[0-9.]+", text):
        return text.replace(".", "")
    if re.fullmatch(r"-?[0-9.]+,[0-9] %", text):
        return text[:-2].replace(".", "").replace(",", ".")
    return text


def audit_rows(session: Session) -> list[AuditEvent]:
    session.rollback()  # a new transaction: see what the requests committed since
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action.not_in(("grant", "revoke")))
                                .order_by(AuditEvent.id)))


def test_the_province_dashboard_shows_exact_figures(client: FlaskClient, auth: Auth, population: Session,
                                                    officials_: None) -> None:
    auth.login("tinh@example.vn")
    response = client.get(f"{UNIT}?quarter=2025Q4&group=3")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    groups = cells(page, "groups")
    assert groups[0][:8] == ["Nhóm đối tượng", "Đã đăng ký", "Đã xác thực", "Đã bắt đầu", "Đã hoàn thành khóa học",
                             "Đạt", "Dân số mục tiêu", "Tỷ lệ"]
    # Hà Nội, adults: 4 registered, 3 verified, 2 started and completed, 1 achieved; no population for the
    # city, so ÷ registered (1 ÷ 4), target 90 % inherited, gap 65 points.
    assert groups[1] == ["Người dân", "4", "3", "2", "2", "1", "—", "25,0 %", "÷ người đăng ký", "90,0 %",
                         "65,0 %", "Chưa đạt chỉ tiêu"] or groups[1][1:] == ["4", "3", "2", "2", "1", "—", "25,0 %",
                                                                            "÷ người đăng ký", "90,0 %", "65,0 %",
                                                                            "Chưa đạt chỉ tiêu"]
    children = cells(page, "children")
    # Hoàn Kiếm first (1 ÷ 10 = 10 %), Ba Đình second (0 ÷ 1 registered), the rest have no rate.
    assert children[1][:2] == ["Phường Hoàn Kiếm", "1"] and children[1][7:10] == ["10", "10,0 %", ""]
    assert children[2][:2] == ["Phường Ba Đình", "2"] and children[2][8:10] == ["0,0 %", "÷ người đăng ký"]
    assert "Chưa đạt chỉ tiêu" in children[1]
    assert len(children) == 1 + 126
    assert "Số liệu tính đến hết Quý IV/2025 (31/12/2025)." in page
    assert '<svg' in page and 'id="trend-data"' in page
    # Drill-down links keep the filters; the commune page then shows its own figures.
    assert f'href="/officials/units/{HOAN_KIEM}?quarter=2025Q4&amp;group=3"' in page
    commune = client.get(f"/officials/units/{HOAN_KIEM}?quarter=2025Q4&group=3").get_data(as_text=True)
    assert cells(commune, "groups")[1][1:9] == ["3", "2", "2", "2", "1", "10", "10,0 %", ""]
    assert audit_rows(population) == []  # aggregate figures: not logged


def test_every_export_holds_what_the_page_shows(client: FlaskClient, auth: Auth, population: Session,
                                                officials_: None) -> None:
    auth.login("tinh@example.vn")
    query = "quarter=2025Q4&group=3"
    page = client.get(f"{UNIT}?{query}").get_data(as_text=True)
    for name in ("groups", "children", "trend"):
        shown = cells(page, name if name != "trend" else "trend-data")
        response = client.get(f"{UNIT}/export.csv?{query}&table={name}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        data = response.get_data()
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        start = rows.index(shown[0])
        assert [[c for c in r] for r in rows[start + 1:start + len(shown)]] == [[plain(c) for c in r] for r in shown[1:]]

        book = openpyxl.load_workbook(io.BytesIO(client.get(f"{UNIT}/export.xlsx?{query}&table={name}").get_data()))
        sheet = [[c for c in r] for r in book.active.iter_rows(values_only=True)]
        head = next(i for i, r in enumerate(sheet) if list(r[:len(shown[0])]) == shown[0])
        for screen, row in zip(shown[1:], sheet[head + 1:]):
            for text, value in zip(screen, row):
                if text.endswith(" %"):
                    assert round(value * 100, 1) == float(plain(text)), (name, text, value)
                elif re.fullmatch(r"[0-9.]+", text):
                    assert value == int(plain(text))
                elif text in ("—", ""):
                    assert value in (None, "")
                else:
                    assert value == text

        pdf = client.get(f"{UNIT}/export.pdf?{query}&table={name}")
        assert pdf.headers["Content-Type"] == "application/pdf"
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.get_data())).pages)
        flat = re.sub(r"\s+", "", text)
        for screen in shown[1:4]:
            for value in screen:
                assert re.sub(r"\s+", "", value) in flat, (name, value)
    exports = [e for e in audit_rows(population) if e.action == "export"]
    assert len(exports) == 9
    assert exports[0].detail == "dashboard groups.csv group=3 quarter=2025Q4"
    hanoi = population.scalars(select(Unit.id).where(Unit.code == HANOI)).one()
    tinh = population.scalars(select(User.id).where(User.email == "tinh@example.vn")).one()
    assert {(e.unit_id, e.user_id) for e in exports} == {(hanoi, tinh)}


def test_a_course_filter_shows_the_per_course_rows(client: FlaskClient, auth: Auth, population: Session,
                                                   officials_: None) -> None:
    auth.login("tinh@example.vn")
    page = client.get(f"{UNIT}?quarter=2025Q4&course={SCAM}").get_data(as_text=True)
    groups = cells(page, "groups")
    assert groups[0][1:] == ["Đã tham gia khóa học", "Đã hoàn thành", "Đã cấp chứng chỉ (còn hiệu lực)",
                             "Tỷ lệ hoàn thành"]
    assert groups[1][1:] == ["2", "2", "2", "100,0 %"]  # An and Châu joined, completed, certified
    assert cells(page, "children")[1][:2] == ["Phường Hoàn Kiếm", "1"]


@pytest.mark.parametrize("query", ["unit=00004", "group=9", "quarter=2031Q1", "quarter=2024Q4", "quarter=abc",
                                   "program=nope", "course=nope", "quarter=2025Q3&quarter=2025Q4",
                                   "table=secret", "table=groups&code=00004"])
def test_a_forged_filter_is_a_400_and_writes_nothing(client: FlaskClient, auth: Auth, population: Session,
                                                     officials_: None, query: str) -> None:
    auth.login("xa@example.vn")
    for url in (f"/officials/units/{HOAN_KIEM}?{query}", f"/officials/units/{HOAN_KIEM}/export.csv?{query}",
                f"/officials/units/{HOAN_KIEM}/export.xlsx?{query}", f"/officials/units/{HOAN_KIEM}/export.pdf?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Không thể hiển thị với bộ lọc này" in response.get_data(as_text=True)
        assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert client.get(f"/officials/units/{HOAN_KIEM}?table=groups").status_code == 400  # the page has no table
    assert audit_rows(population) == []


@pytest.mark.parametrize("code", [BA_DINH, HANOI, "VN", "79", "26740"])
def test_another_units_exports_and_list_are_refused(client: FlaskClient, auth: Auth, population: Session,
                                                    officials_: None, code: str) -> None:
    auth.login("xa@example.vn")
    for suffix in ("", "/export.csv", "/export.xlsx?table=children", "/export.pdf", "/follow-up",
                   "/follow-up.csv", "/follow-up?page=2"):
        response = client.get(f"/officials/units/{code}{suffix}")
        assert response.status_code == 403, (code, suffix)
        assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert audit_rows(population) == []


def test_a_province_official_reaches_no_commune_of_another_province(client: FlaskClient, auth: Auth,
                                                                    population: Session, officials_: None) -> None:
    auth.login("tinh@example.vn")
    for suffix in ("", "/export.csv", "/follow-up", "/follow-up.csv"):
        assert client.get(f"/officials/units/26740{suffix}").status_code == 403
        assert client.get(f"/officials/units/79{suffix}").status_code == 403
    assert audit_rows(population) == []
    # A province is not a commune: no follow-up list (400), nothing written.
    assert client.get(f"{UNIT}/follow-up").status_code == 400
    assert audit_rows(population) == []


def test_the_follow_up_list(client: FlaskClient, auth: Auth, population: Session, officials_: None) -> None:
    auth.login("tinh@example.vn")  # the province official's scope covers the commune
    url = f"/officials/units/{HOAN_KIEM}/follow-up"
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = cells(page, "follow-up")
    assert rows[0] == ["Họ và tên", "Điện thoại", "Email", "Số định danh (đã che)", "Giai đoạn",
                       "Việc cần làm tiếp"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"chau", "binh"}  # An achieved; Dũng lives in Ba Đình; officials are not learners
    chau, binh = by_name["chau"], by_name["binh"]
    assert chau[2] == "chau@example.vn" and re.fullmatch(r"\*+[0-9]{4}", chau[3])
    assert chau[4] == "Đã hoàn thành khóa học"
    assert chau[5].startswith("Hoàn thành thêm một khóa học: ") and "VNeID" in chau[5]
    assert binh[1] == "0912345678" and binh[3] == "" and binh[5].startswith("Xác thực danh tính qua VNeID")
    person_hash = population.scalars(select(User.person_hash).where(User.full_name == "chau")).one()
    assert person_hash not in page
    csv_response = client.get(f"{url}.csv")
    data = csv_response.get_data().decode("utf-8-sig")
    assert person_hash not in data
    listed = list(csv.reader(io.StringIO(data)))
    head = listed.index(rows[0])
    assert sorted(listed[head + 1:]) == sorted(rows[1:])
    events = audit_rows(population)
    assert [(e.action, e.detail) for e in events] == [("view_people", "follow-up list page 1"),
                                                      ("export", "follow-up list csv")]
    assert client.get(f"{url}?page=0").status_code == 400
    assert client.get(f"{url}?page=x").status_code == 400
    assert client.get(f"{url}?commune=00004").status_code == 400
    assert client.get(f"{url}.csv?page=1").status_code == 400
    assert len(audit_rows(population)) == 2


def test_a_streamed_export_gives_its_connection_back(app: Any, client: FlaskClient, auth: Auth,
                                                     population: Session, officials_: None) -> None:
    """The CSV is read from the database while it is sent, after the view returned: once it is sent, the
    request's connection is back in the pool with no transaction left open (on PostgreSQL an idle
    transaction held its locks, and the next TRUNCATE or migration waited for ever)."""
    engine = app.extensions["lms_db"].engine
    auth.login("tinh@example.vn")
    population.close()
    before = engine.pool.checkedout()
    response = client.get(f"/officials/units/{HOAN_KIEM}/follow-up.csv")
    assert response.status_code == 200 and response.get_data()
    assert engine.pool.checkedout() == before


def test_the_follow_up_list_pages_50_at_a_time(client: FlaskClient, auth: Auth, session: Session,
                                               officials_: None) -> None:
    created = datetime(2025, 3, 1, tzinfo=timezone.utc)
    session.execute(insert(User), [
        {"full_name": f"Người {i:03d}", "email": f"p{i}@example.vn", "password_hash": "!", "target_group": 3,
         "province_code": HANOI, "commune_code": HOAN_KIEM, "created_at": created} for i in range(120)])
    session.commit()
    auth.login("xa@example.vn")
    url = f"/officials/units/{HOAN_KIEM}/follow-up"
    first, third = client.get(url).get_data(as_text=True), client.get(f"{url}?page=3").get_data(as_text=True)
    assert len(cells(first, "follow-up")) == 51 and "page=2" in first
    assert [r[0] for r in cells(third, "follow-up")[1:]] == [f"Người {i:03d}" for i in range(100, 120)]
    assert "page=4" not in third
    assert [e.detail for e in audit_rows(session)] == ["follow-up list page 1", "follow-up list page 3"]


def test_a_10000_row_follow_up_export_streams_in_bounded_memory(client: FlaskClient, auth: Auth, session: Session,
                                                                 officials_: None) -> None:
    created = datetime(2025, 3, 1, tzinfo=timezone.utc)
    session.execute(insert(User), [
        {"full_name": f"Nguyễn Văn {i:05d}", "email": f"n{i}@example.vn", "phone": f"09{i:08d}",
         "password_hash": "!", "target_group": 3, "province_code": HANOI, "commune_code": HOAN_KIEM,
         "created_at": created} for i in range(10_000)])
    session.commit()
    auth.login("xa@example.vn")
    tracemalloc.start()
    try:
        response = client.get(f"/officials/units/{HOAN_KIEM}/follow-up.csv", buffered=False)
        assert response.status_code == 200
        lines, size = 0, 0
        for chunk in response.response:
            lines += chunk.count(b"\r\n")
            size += len(chunk)
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines >= 10_000 + 1 and size > 500_000
    assert peak < 50 * 1024 * 1024, peak
    assert [e.action for e in audit_rows(session)] == ["export"]
