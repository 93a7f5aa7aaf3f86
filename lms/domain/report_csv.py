"""Reading the targets and target-population CSV files (`lms reports targets|population import`): UTF-8 (a BOM
and CRLF are fine), a header naming the columns in any order; every bad row is a `path:line: message`."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from .problems import Problem

GROUPS = (1, 2, 3, 4)
TARGET_COLUMNS = ("unit_code", "year", "group", "percent")  # + optional source
POPULATION_COLUMNS = ("unit_code", "year", "group", "population", "source", "as_of")


@dataclass(frozen=True)
class Row:
    line: int
    unit_code: str
    year: int
    group: int
    value: int  # percent or population
    source: str
    as_of: date | None


def read(path: str, data: bytes, kind: str) -> tuple[list[Row], list[Problem]]:
    """`kind`: "targets" or "population"."""
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return [], [Problem(path, 1, f"không phải UTF-8 (not UTF-8): {e.reason}")]
    required = TARGET_COLUMNS if kind == "targets" else POPULATION_COLUMNS
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [Problem(path, 1, f"thiếu cột (missing columns): {', '.join(missing)}")]
    rows: list[Row] = []
    seen: dict[tuple[str, int, int], int] = {}
    for number, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.append(Problem(path, number, f"{len(fields)} cột, cần {len(header)} (wrong field count)"))
            continue
        rec = {h: f.strip() for h, f in zip(header, fields)}
        try:
            year, group, value = int(rec["year"]), int(rec["group"]), int(rec[required[3]])
        except ValueError:
            problems.append(Problem(path, number, "năm, nhóm và số phải là số nguyên (year, group and value "
                                                  "must be whole numbers)"))
            continue
        as_of = None
        if kind == "population":
            try:
                as_of = date.fromisoformat(rec["as_of"])
            except ValueError:
                problems.append(Problem(path, number, f"ngày không hợp lệ (bad date): {rec['as_of']!r}"))
                continue
            if not rec["source"]:
                problems.append(Problem(path, number, "thiếu nguồn số liệu (source is empty)"))
                continue
        if not 2000 <= year <= 2100:
            problems.append(Problem(path, number, f"năm không hợp lệ (bad year): {year}"))
        elif group not in GROUPS:
            problems.append(Problem(path, number, f"nhóm đối tượng không hợp lệ (unknown group): {group}"))
        elif kind == "targets" and not 0 <= value <= 100:
            problems.append(Problem(path, number, f"chỉ tiêu phải từ 0 đến 100 (percent 0–100): {value}"))
        elif kind == "population" and value < 0:
            problems.append(Problem(path, number, f"dân số âm (negative population): {value}"))
        elif (rec["unit_code"], year, group) in seen:
            problems.append(Problem(path, number, f"trùng dòng {seen[(rec['unit_code'], year, group)]} "
                                                  "(repeats an earlier row)"))
        else:
            seen[(rec["unit_code"], year, group)] = number
            rows.append(Row(number, rec["unit_code"], year, group, value, rec.get("source", ""), as_of))
    return rows, problems
