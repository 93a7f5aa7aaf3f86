"""`lms units`: list, import, merge, rename, current, log and sync, with their exact output and exit codes
(1: refused or bad rows, nothing written; 2: a bad command line)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lms.models import Unit, UnitChange


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (s.scalar(select(func.count()).select_from(Unit)) or 0,
                s.scalar(select(func.count()).select_from(UnitChange)) or 0)


def test_list_the_nation_and_a_province(runner: Any) -> None:
    result = runner.invoke(args=["units", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == ["VN  Việt Nam  [nation]  34 below",
                         "  91  An Giang  [province]  102 below",
                         "  24  Bắc Ninh  [province]  99 below",
                         "  96  Cà Mau  [province]  64 below"]
    assert len(lines) == 35
    result = runner.invoke(args=["units", "list", "79"])
    lines = result.stdout.splitlines()
    assert lines[:3] == ["79  Thành phố Hồ Chí Minh  [city]  168 below", "  in VN  Việt Nam",
                         "  27316  Phường An Đông  [ward]"]
    assert len(lines) == 2 + 168


def test_list_an_unknown_code(runner: Any) -> None:
    result = runner.invoke(args=["units", "list", "123"])
    assert result.exit_code == 1
    assert result.stderr == "lỗi (error): không có đơn vị mã '123' (no unit with code 123)\n"


def test_merge_then_current_list_and_log(runner: Any, clean_db: Engine) -> None:
    result = runner.invoke(args=["units", "merge", "00004", "00008", "--into", "00070", "--effective",
                                 "2026-01-01", "--by", "cán bộ tỉnh"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ("00004 Phường Ba Đình: merged into 00070 from 2026-01-01\n"
                             "00008 Phường Ngọc Hà: merged into 00070 from 2026-01-01\n")
    assert counts(clean_db) == (3356, 2)
    for on, expected in [("2025-12-31", "00004 on 2025-12-31: 00004  Phường Ba Đình\n"),
                         ("2026-01-01", "00004 on 2026-01-01: 00070  Phường Hoàn Kiếm\n")]:
        result = runner.invoke(args=["units", "current", "00004", "--on", on])
        assert (result.exit_code, result.stdout) == (0, expected)
    listed = runner.invoke(args=["units", "list", "01"]).stdout.splitlines()
    assert "  00004  Phường Ba Đình  [ward]  merged into 00070 from 2026-01-01" in listed
    log = runner.invoke(args=["units", "log", "00070"]).stdout.splitlines()
    assert [line.split("  ", 1)[1] for line in log] == [
        "cán bộ tỉnh  00004 merged into 00070  effective 2026-01-01",
        "cán bộ tỉnh  00008 merged into 00070  effective 2026-01-01"]


def test_refused_merges_exit_1_and_change_nothing(runner: Any, clean_db: Engine) -> None:
    cases = [
        (["00070", "--into", "00070"], "không thể sáp nhập '00070' vào chính nó (cannot merge 00070 into itself)"),
        (["01", "--into", "00070"], "không thể sáp nhập province 01 vào commune 00070: phải cùng cấp (cannot "
                                    "merge province 01 into commune 00070: units must be of the same level)"),
        (["00004", "--into", "99999"], "không có đơn vị mã '99999' (no unit with code 99999)"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["units", "merge", *args, "--effective", "2026-01-01"])
        assert result.exit_code == 1, result.output
        assert (result.stdout, result.stderr) == ("", f"lỗi (error): {message}\n")
    assert counts(clean_db) == (3356, 0)


def test_bad_dates_and_missing_options_exit_2(runner: Any, clean_db: Engine) -> None:
    for date in ("2026-13-01", "1/1/2026", "2026-1-1"):
        result = runner.invoke(args=["units", "merge", "00004", "--into", "00070", "--effective", date])
        assert result.exit_code == 2
        assert (f"Error: Invalid value for '--effective': '{date}' không phải ngày YYYY-MM-DD (not a date "
                "YYYY-MM-DD)") in result.stderr
    result = runner.invoke(args=["units", "merge", "00004", "--into", "00070"])
    assert result.exit_code == 2 and "Missing option '--effective'" in result.stderr
    assert counts(clean_db) == (3356, 0)


def test_rename(runner: Any) -> None:
    result = runner.invoke(args=["units", "rename", "00070", "Phường Hồ Gươm", "--effective", "2026-03-01",
                                 "--by", "t"])
    assert (result.exit_code, result.stdout) == (0, "00070: Phường Hoàn Kiếm → Phường Hồ Gươm from 2026-03-01\n")
    result = runner.invoke(args=["units", "current", "00070", "--on", "2026-02-01"])
    assert result.stdout == "00070 on 2026-02-01: 00070  Phường Hoàn Kiếm\n"
    result = runner.invoke(args=["units", "rename", "00070", "Phường Hồ Gươm", "--effective", "2026-04-01"])
    assert result.exit_code == 1
    assert result.stderr == ("lỗi (error): '00070' đã có tên này (unit 00070 already has this name)\n")


def test_import_all_or_nothing_with_every_problem(runner: Any, clean_db: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "hoan-kiem.csv"
    bad.write_bytes("commune_code,code,name,kind\n00070,HK-1,Tổ dân phố 1,tổ dân phố\n99999,X-1,Thôn A,thôn\n"
                    "00070,HK-1,,thôn\n00070,HK-3,Thôn Ba,xóm\n".encode() + b"00070,HK-4,Th\xf4n,th\xf4n\n")
    result = runner.invoke(args=["units", "import", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:3: không có xã/phường mã '99999' (no commune with code 99999)",
        f"{bad}:4: mã 'HK-1' trùng với dòng 2 (the code is also on line 2)",
        f"{bad}:4: tên trống (the name is empty)",
        f"{bad}:5: loại 'xóm' không hợp lệ: thôn, ấp, bản, buôn, sóc, tổ dân phố, khu phố, village hoặc "
        "residential-group (unknown kind)",
        f"{bad}:6: loại 'th\ufffdn' không hợp lệ: thôn, ấp, bản, buôn, sóc, tổ dân phố, khu phố, village hoặc "
        "residential-group (unknown kind)",
        f"{bad}:6: tệp không phải UTF-8: hãy lưu lại với bảng mã UTF-8 (file is not UTF-8: save it as UTF-8)",
        "6 lỗi: không có gì được nhập (problems found: nothing was imported)",
    ]
    assert counts(clean_db) == (3356, 0)
    good = tmp_path / "good.csv"
    good.write_text("commune_code,code,name,kind\n00070,HK-1,Tổ dân phố 1,tổ dân phố\n26740,SG-1,Khu phố 1,"
                    "khu phố\n00070,HK-2,Thôn Hai,thôn\n", encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(good), "--by", "t"])
    assert (result.exit_code, result.stdout) == (0, "00070: 2 units added\n26740: 1 units added\n")
    assert runner.invoke(args=["units", "list", "00070"]).stdout.splitlines() == [
        "00070  Phường Hoàn Kiếm  [ward]  2 below", "  in 01  Thành phố Hà Nội",
        "  HK-1  Tổ dân phố 1  [residential-group]", "  HK-2  Thôn Hai  [village]"]  # by the proper name
    again = runner.invoke(args=["units", "import", str(good)])
    assert again.exit_code == 1
    assert again.stderr.splitlines()[0] == f"{good}:2: mã 'HK-1' đã có (the code HK-1 is already taken)"
    assert counts(clean_db) == (3359, 2)


def test_import_a_missing_file_exits_2(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["units", "import", str(tmp_path / "none.csv")])
    assert result.exit_code == 2


def test_sync_and_db_upgrade_load_nothing_twice(runner: Any, app: Flask) -> None:
    assert runner.invoke(args=["units", "sync"]).stdout == "units: 0 added\n"
    result = runner.invoke(args=["db", "upgrade"])
    assert (result.exit_code, result.stdout) == (0, "database at head\nunits: 0 added\n")
