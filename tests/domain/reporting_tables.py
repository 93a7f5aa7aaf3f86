"""A table like the officials' dashboard's, with every awkward value, shared by the export tests."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterator

from lms.domain.tables import Column, Kind, Table

AS_OF = datetime(2025, 6, 30, 16, 59, tzinfo=timezone.utc)
COLUMNS = (
    Column("unit", "Đơn vị"),
    Column("achieved", "Đạt", Kind.INTEGER),
    Column("population", "Dân số mục tiêu", Kind.INTEGER),
    Column("registered", "Đã đăng ký", Kind.INTEGER),
    Column("rate", "Tỷ lệ", Kind.PERCENT, numerator="achieved", denominator="population",
           fallback="registered"),
    Column("target", "Chỉ tiêu", Kind.PERCENT),
    Column("gap", "Chênh lệch", Kind.INTEGER),
    Column("since", "Cập nhật", Kind.DATE),
)
ROWS: list[dict[str, Any]] = [
    {"unit": "Phường Hoàn Kiếm", "achieved": 853, "population": 1000, "registered": 1200, "target": 90,
     "gap": -47, "since": date(2025, 6, 1)},
    {"unit": "Xã Đông Anh, \"thôn\" 1", "achieved": 1, "population": 3, "registered": 5, "target": 80,
     "gap": 0, "since": date(2025, 5, 2)},
    {"unit": "=HYPERLINK(\"http://x\",\"y\")", "achieved": 5, "population": None, "registered": 7,
     "target": 80, "gap": 12, "since": None},
    {"unit": "+84 tổ dân phố", "achieved": 0, "population": 0, "registered": 0, "target": None,
     "gap": None, "since": date(2025, 1, 1)},
    {"unit": "-1 @ tab", "achieved": 1, "population": 8, "registered": 9, "target": 100, "gap": 1,
     "since": date(2024, 12, 31)},
    {"unit": "\tthôn Tab", "achieved": 2, "population": None, "registered": None, "target": 85, "gap": 3,
     "since": date(2025, 2, 3)},
]
TOTALS = {"unit": "Tổng", "achieved": 862, "population": 1011, "registered": 1221, "target": None,
          "gap": None, "since": None}


def make_table(rows: Any = None, totals: Any = TOTALS) -> Table:
    return Table(title="Báo cáo quý 2/2025: Hà Nội", as_of=AS_OF, as_of_text="Số liệu tính đến 30/06/2025 23:59",
                 columns=COLUMNS, rows=ROWS if rows is None else rows, totals=totals,
                 filters=("Nhóm: Người dân", "Chương trình: =phổ cập"),
                 notes=("÷ người đăng ký: nơi chưa có dân số mục tiêu",),
                 fallback_label="÷ người đăng ký", basis_label="Mẫu số")


def many_rows(count: int) -> Iterator[dict[str, Any]]:
    """`count` rows made one at a time (as a database cursor gives them)."""
    for number in range(count):
        yield {"unit": f"Thôn số {number} – xã Phú Xuyên, thành phố Hà Nội", "achieved": number,
               "population": None if number % 7 == 0 else number * 2 + 1, "registered": number * 3 + 1,
               "target": 80 + number % 20, "gap": number % 50 - 25, "since": date(2025, 1 + number % 12, 1)}
