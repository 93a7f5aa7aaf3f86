"""The download helper of lms/web/exports.py, on a tiny Flask app of its own: headers, MIME types, safe
file names, streaming inside the request context, and bodies equal to the writers' output."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator

import openpyxl
import pytest
from flask import Flask, request
from pypdf import PdfReader

from lms.domain.exports import csvfile
from lms.web import exports

from ..domain.reporting_tables import ROWS, make_table, many_rows

NAME = "Báo cáo Q2/2025 – Đông Anh.csv"


@pytest.fixture
def tiny(tmp_path: Path) -> Flask:
    app = Flask("tiny-exports", instance_path=str(tmp_path))

    @app.get("/table.<fmt>")
    def table(fmt: str):  # type: ignore[no-untyped-def]
        return exports.table_download(make_table(), fmt, "Báo cáo quý 2 – Hà Nội", page_text="Trang {page}/{pages}")

    @app.get("/long.csv")
    def long():  # type: ignore[no-untyped-def]
        def rows() -> Iterator[dict]:  # reads the request while the body is sent
            assert request.args["who"] == "official"
            yield from many_rows(2_000)
        return exports.table_download(make_table(rows=rows()), "csv", "danh-sach")

    @app.get("/raw")
    def raw():  # type: ignore[no-untyped-def]
        return exports.download([b"a", b"b"], NAME, "text/plain")

    return app


def test_ascii_filename() -> None:
    assert exports.ascii_filename("Báo cáo Q2/2025 – Đông Anh.csv") == "Bao-cao-Q2-2025-Dong-Anh.csv"
    assert exports.ascii_filename("../../etc/passwd") == "etc-passwd"
    assert exports.ascii_filename("\"; x=y\r\n.pdf") == "x-y.pdf"
    assert exports.ascii_filename("Thống kê") == "Thong-ke"
    assert exports.ascii_filename("中文.xlsx") == "export.xlsx"
    assert exports.ascii_filename("") == "export"
    assert len(exports.ascii_filename("a" * 300 + ".xlsx")) == 100
    assert exports.ascii_filename("a" * 300 + ".xlsx").endswith(".xlsx")


def test_content_disposition() -> None:
    header = exports.content_disposition(NAME)
    assert header == ("attachment; filename=\"Bao-cao-Q2-2025-Dong-Anh.csv\"; "
                      "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20Q2%2F2025%20%E2%80%93%20%C4%90%C3%B4ng%20Anh.csv")
    assert "\r" not in exports.content_disposition("a\r\nSet-Cookie: x.csv")


@pytest.mark.parametrize("fmt, mimetype", [
    ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("pdf", "application/pdf"),
])
def test_download_headers(tiny: Flask, fmt: str, mimetype: str) -> None:
    response = tiny.test_client().get(f"/table.{fmt}", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"Bao-cao-quy-2-Ha-Noi.{fmt}\"; "
        f"filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%202%20%E2%80%93%20H%C3%A0%20N%E1%BB%99i.{fmt}")
    body = response.get_data()
    response.close()
    if fmt == "csv":
        assert body == b"".join(csvfile.csv_chunks(make_table()))
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        assert sheet.cell(8, 1).value == ROWS[0]["unit"] and sheet.cell(8, 2).value == ROWS[0]["achieved"]
    else:
        text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
        assert "Báo cáo quý 2/2025: Hà Nội" in text and "Trang 1/1" in text


def test_unknown_format_is_refused(tiny: Flask) -> None:
    with pytest.raises(ValueError):
        with tiny.test_request_context():
            exports.table_download(make_table(), "docx", "x")


def test_a_long_list_streams_in_chunks_inside_the_request(tiny: Flask) -> None:
    response = tiny.test_client().get("/long.csv?who=official", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 10
    data = b"".join(chunks)
    assert data.count(b"\r\n") == 5 + 1 + 1 + 2_000 + 1
    response.close()
    raw = tiny.test_client().get("/raw")
    assert raw.get_data() == b"ab" and raw.headers["Cache-Control"] == "private, no-store"
