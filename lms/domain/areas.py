"""The administrative units as data: the official list since the reorganisation of 1 July 2025 (the nation,
34 provinces, 3,321 communes, with the statistics office's codes) from the `vietnam-provinces` package, and
the third level (thôn, tổ dân phố) a commune gives as a CSV file (`lms units import`). Pure: the database tree
is lms.models.unit, loaded and changed by lms.services.units (docs/reporting.md#administrative-units)."""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from .frontmatter import decode
from .problems import Problem
from .textnorm import UnsafeText, clean_text, strip_diacritics

NATION_CODE = "VN"
NATION_NAME = "Việt Nam"
REORGANISED = date(2025, 7, 1)  # Nghị quyết 202/2025/QH15 (provinces) and the communes' resolutions: in force
NATION, PROVINCE, COMMUNE, VILLAGE = 0, 1, 2, 3
LEVELS = {NATION: "nation", PROVINCE: "province", COMMUNE: "commune", VILLAGE: "village"}
MAX_NAME = 120

# The kind of a unit, as stored (English keys; the interface translates them).
_PACKAGE_KINDS = {"tỉnh": "province", "thành phố trung ương": "city", "xã": "commune", "phường": "ward",
                  "đặc khu": "special-zone"}
# The third level: what a commune's CSV may say in its `kind` column (English key or the Vietnamese word).
VILLAGE_KINDS = {"village": "village", "thôn": "village", "ấp": "village", "bản": "village", "buôn": "village",
                 "sóc": "village", "residential-group": "residential-group", "tổ dân phố": "residential-group",
                 "khu phố": "residential-group"}
CSV_COLUMNS = ("commune_code", "code", "name", "kind")
_CODE = re.compile(r"^[0-9A-Z][0-9A-Z-]{0,19}$")
_OFFICIAL_CODE = re.compile(r"^(\d{2}|\d{5})$")


@dataclass(frozen=True)
class OfficialUnit:
    code: str
    name: str
    kind: str
    level: int
    parent_code: str | None


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    province_code: str


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    communes: tuple[Commune, ...]


_KIND_PREFIX = re.compile(r"^(Thành phố|Tỉnh|Phường|Xã|Đặc khu|Thôn|Ấp|Bản|Buôn|Sóc|Tổ dân phố|Khu phố) ")


def sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order of Vietnamese unit names: by the proper name ("Phường Ba Đình" under B, "Thành phố
    Hà Nội" under H), 'Đ' beside 'D' and not after 'Z'."""
    return strip_diacritics(_KIND_PREFIX.sub("", name)).casefold(), name


def _clean(name: str) -> str:
    """The package's name in NFC with single spaces (a few names have two)."""
    return " ".join(unicodedata.normalize("NFC", name).split())


@cache
def official_units() -> tuple[OfficialUnit, ...]:
    """The nation, then the 34 provinces, then the 3,321 communes (by code), as the package gives them."""
    from vietnam_provinces import Province as PackageProvince
    from vietnam_provinces import Ward

    nation = OfficialUnit(NATION_CODE, NATION_NAME, "nation", NATION, None)
    provinces_ = sorted((OfficialUnit(f"{int(p.code):02d}", _clean(p.name), _PACKAGE_KINDS[p.division_type.value],
                                      PROVINCE, NATION_CODE) for p in PackageProvince.iter_all()),
                        key=lambda u: u.code)
    communes = sorted((OfficialUnit(f"{int(w.code):05d}", _clean(w.name), _PACKAGE_KINDS[w.division_type.value],
                                    COMMUNE, f"{int(w.province_code):02d}") for w in Ward.iter_all()),
                      key=lambda u: u.code)
    return (nation, *provinces_, *communes)


@cache
def provinces() -> dict[str, Province]:
    """The 34 official provinces by 2-digit code, each with its communes (5-digit codes) by name: the list
    as the package gives it (for the VNeID stub and a residence's codes; the platform's current tree, with
    its merges and renames, is in the database: lms.services.units)."""
    units = official_units()
    by_province: dict[str, list[Commune]] = {}
    for u in units:
        if u.level == COMMUNE and u.parent_code:
            by_province.setdefault(u.parent_code, []).append(Commune(u.code, u.name, u.parent_code))
    return {u.code: Province(u.code, u.name,
                             tuple(sorted(by_province.get(u.code, []), key=lambda c: sort_key(c.name))))
            for u in units if u.level == PROVINCE}


def normal_code(raw: str) -> str:
    return unicodedata.normalize("NFC", raw).strip().upper()


def valid_local_code(code: str) -> bool:
    """A third-level unit's code: 1–20 of A–Z, 0–9 and '-', not a 2- or 5-digit number (official codes)."""
    return bool(_CODE.match(code)) and not _OFFICIAL_CODE.match(code)


@dataclass(frozen=True)
class VillageRow:
    """One row of a commune's CSV of third-level units."""

    line: int
    commune_code: str
    code: str
    name: str
    kind: str


# Problems are bilingual, like lms check's: Vietnamese first, then English in brackets.
MISSING_COLUMNS = ("thiếu cột: cần đúng các cột commune_code,code,name,kind "
                   "(the header must be commune_code,code,name,kind)")
EMPTY_FILE = "tệp trống: không có dòng nào (the file has no rows)"
FIELD_COUNT = "dòng có {found} cột, cần {wanted} (the row has {found} fields, not {wanted})"
BAD_COMMUNE_CODE = "mã xã '{code}' phải gồm 5 chữ số (the commune code must be 5 digits)"
BAD_CODE = ("mã '{code}' không hợp lệ: 1–20 ký tự A–Z, 0–9, '-', không phải số 2 hoặc 5 chữ số "
            "(invalid code: 1-20 of A-Z, 0-9 and '-', not a 2- or 5-digit number)")
EMPTY_NAME = "tên trống (the name is empty)"
LONG_NAME = f"tên dài quá {MAX_NAME} ký tự (the name is longer than {MAX_NAME} characters)"
UNSAFE_NAME = "tên có ký tự ẩn hoặc ký tự điều khiển (the name has invisible or control characters)"
BAD_KIND = ("loại '{kind}' không hợp lệ: thôn, ấp, bản, buôn, sóc, tổ dân phố, khu phố, village hoặc "
            "residential-group (unknown kind)")
DUPLICATE_IN_FILE = "mã '{code}' trùng với dòng {line} (the code is also on line {line})"


def read_village_csv(path: str, data: bytes) -> tuple[list[VillageRow], list[Problem]]:
    """The rows of a commune's CSV (UTF-8, a BOM and CRLF allowed; header commune_code,code,name,kind in any
    order) and a `path:line` problem for every bad row. What needs the database (does the commune exist, is
    the code taken) is checked by lms.services.units.import_villages."""
    text, problems = decode(path, data)
    reader = csv.reader(text.split("\n"))
    rows: list[VillageRow] = []
    header: list[str] | None = None
    seen: dict[str, int] = {}
    last = 0
    while True:
        number = last + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(path, number, f"lỗi CSV: {exc} (CSV syntax error)"))
            break
        last = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip().lower() for f in fields]
            if sorted(header) != sorted(CSV_COLUMNS):
                return [], [*problems, Problem(path, number, MISSING_COLUMNS)]
            continue
        if len(fields) != len(header):
            problems.append(Problem(path, number, FIELD_COUNT.format(found=len(fields), wanted=len(header))))
            continue
        values = dict(zip(header, (f.strip() for f in fields)))
        row_problems: list[str] = []
        commune = values["commune_code"]
        if not re.fullmatch(r"\d{5}", commune):
            row_problems.append(BAD_COMMUNE_CODE.format(code=commune))
        code = normal_code(values["code"])
        if not valid_local_code(code):
            row_problems.append(BAD_CODE.format(code=values["code"]))
        elif code in seen:
            row_problems.append(DUPLICATE_IN_FILE.format(code=code, line=seen[code]))
        else:
            seen[code] = number
        name = values["name"]
        try:
            name = " ".join(clean_text(name).split())
        except UnsafeText:
            row_problems.append(UNSAFE_NAME)
        else:
            if not name:
                row_problems.append(EMPTY_NAME)
            elif len(name) > MAX_NAME:
                row_problems.append(LONG_NAME)
        kind = VILLAGE_KINDS.get(unicodedata.normalize("NFC", values["kind"]).strip().casefold())
        if kind is None:
            row_problems.append(BAD_KIND.format(kind=values["kind"]))
        problems.extend(Problem(path, number, message) for message in row_problems)
        if not row_problems and kind is not None:
            rows.append(VillageRow(number, commune, code, name, kind))
    if header is None:
        problems.append(Problem(path, 1, EMPTY_FILE))
    elif not rows and not problems:
        problems.append(Problem(path, 1, EMPTY_FILE))
    return rows, sorted(problems)
