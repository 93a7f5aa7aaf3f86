"""The official administrative units from the `vietnam-provinces` package, and a commune's CSV of thôn and
tổ dân phố read into rows or `path:line` problems."""
from __future__ import annotations

import pytest

from lms.domain import areas
from lms.domain.areas import COMMUNE, NATION, PROVINCE, VillageRow, provinces, read_village_csv, sort_key
from lms.domain.frontmatter import NOT_UTF8
from lms.domain.problems import Problem

# FRAMEWORK.md §4: the 34 provinces since 1 July 2025 (QĐ 19/2025/QĐ-TTg), by their 2-digit codes.
PROVINCES = {
    "01": "Hà Nội", "04": "Cao Bằng", "08": "Tuyên Quang", "11": "Điện Biên", "12": "Lai Châu",
    "14": "Sơn La", "15": "Lào Cai", "19": "Thái Nguyên", "20": "Lạng Sơn", "22": "Quảng Ninh",
    "24": "Bắc Ninh", "25": "Phú Thọ", "31": "Hải Phòng", "33": "Hưng Yên", "37": "Ninh Bình",
    "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Trị", "46": "Huế", "48": "Đà Nẵng",
    "51": "Quảng Ngãi", "52": "Gia Lai", "56": "Khánh Hòa", "66": "Đắk Lắk", "68": "Lâm Đồng",
    "75": "Đồng Nai", "79": "Hồ Chí Minh", "80": "Tây Ninh", "82": "Đồng Tháp", "86": "Vĩnh Long",
    "91": "An Giang", "92": "Cần Thơ", "96": "Cà Mau",
}


def test_thirty_four_provinces_with_the_framework_codes_and_names() -> None:
    assert {code: p.name.removeprefix("Thành phố ") for code, p in provinces().items()} == PROVINCES


def test_the_whole_official_list() -> None:
    """The nation, 34 provinces and 3,321 communes; every code unique and of its length; parents exist."""
    units = areas.official_units()
    assert [u.level for u in units].count(NATION) == 1
    assert [u.level for u in units].count(PROVINCE) == 34
    assert [u.level for u in units].count(COMMUNE) == 3321
    assert len({u.code for u in units}) == len(units) == 3356
    codes = {u.code: u for u in units}
    for unit in units:
        if unit.level == COMMUNE:
            assert len(unit.code) == 5 and unit.code.isdigit()
            assert codes[unit.parent_code].level == PROVINCE
            assert unit.kind in {"commune", "ward", "special-zone"}
        if unit.level == PROVINCE:
            assert unit.parent_code == "VN" and unit.kind in {"province", "city"}
        assert unit.name == " ".join(unit.name.split())  # single spaces (the package has a few doubles)
    assert codes["00070"].name == "Phường Hoàn Kiếm" and codes["00070"].parent_code == "01"
    assert codes["26740"].name == "Phường Sài Gòn" and codes["26740"].parent_code == "79"
    assert len(provinces()["01"].communes) == 126 and len(provinces()["79"].communes) == 168


def test_communes_are_in_vietnamese_alphabetical_order_of_their_proper_names() -> None:
    names = [c.name for c in provinces()["01"].communes]
    assert names[:5] == ["Xã An Khánh", "Phường Ba Đình", "Xã Ba Vì", "Phường Bạch Mai", "Xã Bất Bạt"]
    assert sort_key("Xã Đông Anh") < sort_key("Phường Giảng Võ")  # Đ beside D, not after Z; kind ignored


HEADER = "commune_code,code,name,kind\n"


def test_good_rows_with_a_bom_crlf_and_vietnamese_kinds() -> None:
    data = ("\ufeff" + HEADER + "00070,hk-01,  Tổ dân phố  số 1 ,Tổ dân phố\n\n00070,HK-T2,Thôn Hai,thôn\n"
            ).replace("\n", "\r\n").encode()
    rows, problems = read_village_csv("a.csv", data)
    assert problems == []
    assert rows == [VillageRow(2, "00070", "HK-01", "Tổ dân phố số 1", "residential-group"),
                    VillageRow(4, "00070", "HK-T2", "Thôn Hai", "village")]


def test_columns_in_another_order() -> None:
    rows, problems = read_village_csv("a.csv", "name,kind,code,commune_code\nThôn A,village,A1,00070\n".encode())
    assert (rows, problems) == ([VillageRow(2, "00070", "A1", "Thôn A", "village")], [])


@pytest.mark.parametrize(("body", "line", "message"), [
    ("00070,A1,Thôn A\n", 2, areas.FIELD_COUNT.format(found=3, wanted=4)),
    ("0070,A1,Thôn A,thôn\n", 2, areas.BAD_COMMUNE_CODE.format(code="0070")),
    ("00070,A 1,Thôn A,thôn\n", 2, areas.BAD_CODE.format(code="A 1")),
    ("00070,12345,Thôn A,thôn\n", 2, areas.BAD_CODE.format(code="12345")),
    ("00070,A1,   ,thôn\n", 2, areas.EMPTY_NAME),
    ("00070,A1,Thôn\u202eA,thôn\n", 2, areas.UNSAFE_NAME),
    ("00070,A1," + "x" * 121 + ",thôn\n", 2, areas.LONG_NAME),
    ("00070,A1,Thôn A,xóm lạ\n", 2, areas.BAD_KIND.format(kind="xóm lạ")),
    ("00070,A1,Thôn A,thôn\n00070,a1,Thôn B,thôn\n", 3, areas.DUPLICATE_IN_FILE.format(code="A1", line=2)),
], ids=["fields", "commune-code", "code", "official-looking-code", "empty-name", "invisible", "long-name",
        "kind", "duplicate"])
def test_each_bad_row_is_a_problem_at_its_line(body: str, line: int, message: str) -> None:
    rows, problems = read_village_csv("v.csv", (HEADER + body).encode())
    assert problems == [Problem("v.csv", line, message)]
    assert len(rows) == body.count("\n") - 1


def test_every_problem_of_a_file_at_once() -> None:
    data = (HEADER + "00070,A1,,thôn\n00070,B1,Thôn B,thôn\n00070,B1,Thôn C,nope\n").encode()
    rows, problems = read_village_csv("v.csv", data)
    assert [str(p) for p in problems] == [
        f"v.csv:2: {areas.EMPTY_NAME}",
        f"v.csv:4: {areas.BAD_KIND.format(kind='nope')}",
        f"v.csv:4: {areas.DUPLICATE_IN_FILE.format(code='B1', line=3)}",
    ]
    assert [r.code for r in rows] == ["B1"]


def test_a_file_in_windows_1258_is_not_utf8_at_its_line() -> None:
    data = HEADER.encode() + b"00070,A1,Th\xf4n A,th\xf4n\n"
    _, problems = read_village_csv("v.csv", data)
    assert Problem("v.csv", 2, NOT_UTF8) in problems


@pytest.mark.parametrize(("data", "message"), [
    (b"", areas.EMPTY_FILE), (HEADER.encode(), areas.EMPTY_FILE),
    ("code,name\nA1,Thôn A\n".encode(), areas.MISSING_COLUMNS),
])
def test_no_header_or_no_rows(data: bytes, message: str) -> None:
    assert read_village_csv("v.csv", data) == ([], [Problem("v.csv", 1, message)])
