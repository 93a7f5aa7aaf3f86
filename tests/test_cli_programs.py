"""Programs ("chương trình phổ cập") are content: `lms check` checks them as what they are and names every
problem as `path:line`; `lms import` publishes them with the courses, all or nothing. Exact output of the real
command."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.models import Program, ProgramVersion
from tests.test_cli import LUA_DAO, VNEID, edit, snapshot
from tests.test_cli_check_paths import DEMO_OK, EXPECTED, NOT_UTF8, ok, replace_line, run, write

DEMO = "pho-cap-ky-nang-so-co-ban"
NOTHING_PUBLISHED = ("lỗi: không có gì được xuất bản; phiên bản cũ vẫn giữ nguyên. (problems found: nothing was "
                     "published; the live versions are unchanged)\n")
BROKEN = f"""---
title: Chương trình nháp
years: 2025-2024
vneid_level: 3
colour: red
groups:
  1:
    courses: [{LUA_DAO}, khoa-khong-co, {LUA_DAO}]
    competencies: ["2.3", "9.9"]
  5:
    courses: [{LUA_DAO}]
  1:
    courses: [{VNEID}]
  2:
    lessons: [a]
  3: {{}}
  4:
    courses: {LUA_DAO}
---
Mô tả.
"""
BROKEN_PROBLEMS = [
    "3: 'years' phải là một năm (2025) hoặc một khoảng năm (2025-2026) từ 2000 đến 2100 (years must be a year or "
    "a range of years)",
    "4: 'vneid_level' phải là 1 hoặc 2 (mức tài khoản định danh điện tử) (vneid_level must be 1 or 2)",
    "5: khóa 'colour' không được hỗ trợ (unknown key; allowed: groups, plan, title, vneid_level, years)",
    f"8: khóa học '{LUA_DAO}' bị khai báo hai lần trong nhóm (duplicate)",
    "8: không có khóa học 'khoa-khong-co' trong courses/ (unknown course slug)",
    "9: mã năng lực không có trong khung TT 02/2025: '9.9' (unknown competency code)",
    "10: nhóm đối tượng '5' không có; các mã nhóm là 1, 2, 3, 4 (unknown target group)",
    "12: nhóm đối tượng 1 bị khai báo hai lần (duplicate group)",
    "14: nhóm 2 cần ít nhất một khóa học trong 'courses' hoặc một mã năng lực trong 'competencies' (a group needs "
    "at least one course or competency)",
    "15: khóa 'lessons' không được hỗ trợ trong nhóm (unknown key; allowed: competencies, courses)",
    "16: nhóm 3 cần ít nhất một khóa học trong 'courses' hoặc một mã năng lực trong 'competencies' (a group needs "
    "at least one course or competency)",
    "18: 'courses' phải là một danh sách, ví dụ [a, b] (courses must be a list)",
]
SMALL = f"---\ntitle: Nháp\nyears: 2027\ngroups:\n  3:\n    courses: [{LUA_DAO}]\n---\n"


def failed(path: str, lines: list[str]) -> tuple[int, str, str]:
    return 1, "", "".join(f"{path}:{line}\n" for line in lines) + f"{len(lines)} lỗi / problem(s) found.\n"


def programs_table(engine: Engine) -> dict[str, int | None]:
    """Each program's live version number (None: withdrawn)."""
    with Session(engine) as s:
        return {p.code: (p.published.number if p.published else None)
                for p in s.scalars(select(Program).order_by(Program.code))}


def imported(runner: Any, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(args=["import", *args])
    return result.exit_code, result.stdout, result.stderr


# --- lms check ------------------------------------------------------------------------------------------------

def test_the_demo_program_is_checked_with_the_content(runner: Any) -> None:
    assert run(runner) == (0, DEMO_OK, "")


def test_every_problem_of_a_program_is_named_at_its_line(runner: Any, content_root: Path) -> None:
    write(content_root / "programs" / "nhap.md", BROKEN)
    expected = failed("programs/nhap.md", BROKEN_PROBLEMS)
    assert run(runner) == expected
    assert run(runner, str(content_root / "programs" / "nhap.md")) == expected
    assert run(runner, str(content_root / "programs")) == expected
    assert run(runner, str(content_root)) == expected


def test_a_program_file_given_alone_is_checked_as_a_program(runner: Any, content_root: Path) -> None:
    assert run(runner, str(content_root / "programs" / f"{DEMO}.md")) == (0, ok(0, 0, 0, 1), "")
    assert run(runner, str(content_root / "programs")) == (0, ok(0, 0, 0, 1), "")


def test_a_program_needs_its_courses_to_exist(runner: Any, content_root: Path) -> None:
    """A course folder removed (or renamed) makes the program that names it an error at the course's line."""
    (content_root / "courses" / VNEID).rename(content_root / "courses" / "dung-vneid")
    shown = f"programs/{DEMO}.md"
    lines = [f"{n}: không có khóa học '{VNEID}' trong courses/ (unknown course slug)" for n in (8, 10, 12, 14)]
    assert run(runner, str(content_root / "programs" / f"{DEMO}.md")) == failed(shown, lines)


def test_a_program_outside_programs_is_checked_against_the_platform_courses(runner: Any, here: Path) -> None:
    """A draft anywhere whose front matter has `groups` is a program; its courses are the configured ones."""
    write(here / "nhap.md", SMALL)
    assert run(runner, "nhap.md") == (0, ok(0, 0, 0, 1), "")
    write(here / "nhap.md", SMALL.replace(LUA_DAO, "khoa-nhap"))
    assert run(runner, "nhap.md") == failed("nhap.md", ["6: không có khóa học 'khoa-nhap' trong courses/ "
                                                        "(unknown course slug)"])


def test_two_programs_for_one_group_in_one_year(runner: Any, content_root: Path) -> None:
    write(content_root / "programs" / "them.md", SMALL.replace("2027", "2026-2027"))
    assert run(runner) == failed("programs/them.md", [
        f"5: nhóm 3 năm 2026 đã thuộc chương trình '{DEMO}' (programs/{DEMO}.md): mỗi nhóm mỗi năm chỉ một "
        "chương trình (two programs for one group in one year)"])
    write(content_root / "programs" / "them.md", SMALL)
    assert run(runner) == (0, DEMO_OK.replace("1 chương trình", "2 chương trình"), "")


def test_bad_yaml_and_bad_bytes_in_a_program(runner: Any, content_root: Path) -> None:
    path = content_root / "programs" / f"{DEMO}.md"
    replace_line(path, 2, "title: Chương trình".encode("cp1258", errors="replace"))
    assert run(runner) == failed(f"programs/{DEMO}.md", [f"2: {NOT_UTF8}"])
    replace_line(path, 2, b"title: [unclosed")
    assert run(runner) == failed(f"programs/{DEMO}.md", [
        "3: lỗi cú pháp YAML: expected ',' or ']', but got ':' (YAML syntax error)"])


def test_an_empty_programs_folder_is_nothing_to_check(runner: Any, content_root: Path) -> None:
    (content_root / "programs" / f"{DEMO}.md").unlink()
    assert run(runner, str(content_root / "programs")) == (
        2, "", f"{content_root / 'programs'}: không có gì để kiểm tra: không có tệp chương trình .md nào (nothing "
               "to check: no program file in it)\n")
    write(content_root / "programs" / "notes.txt", "ghi chú\n")
    assert run(runner, str(content_root / "programs" / "notes.txt")) == (
        2, "", f"{content_root / 'programs' / 'notes.txt'}: không kiểm tra được: {EXPECTED}\n")


def test_a_folder_holding_only_programs_is_content(runner: Any, here: Path) -> None:
    write(here / "other" / "programs" / "nhap.md", SMALL)
    assert run(runner, "other") == failed("programs/nhap.md", [
        f"6: không có khóa học '{LUA_DAO}' trong courses/ (unknown course slug)"])


# --- lms import -----------------------------------------------------------------------------------------------

def test_import_publishes_programs_with_the_courses(runner: Any, clean_db: Engine) -> None:
    code, out, err = imported(runner)
    assert (code, err) == (0, "")
    assert f"program {DEMO}: new (v1)\n" in out
    assert programs_table(clean_db) == {DEMO: 1}
    code, out, err = imported(runner)
    assert f"program {DEMO}: unchanged (v1)\n" in out
    assert programs_table(clean_db) == {DEMO: 1}


def test_a_changed_program_is_a_new_version_and_a_removed_one_is_withdrawn(runner: Any, content_root: Path,
                                                                          clean_db: Engine) -> None:
    assert imported(runner)[0] == 0
    path = content_root / "programs" / f"{DEMO}.md"
    edit(path, "years: 2025-2026", "years: 2025-2027")
    code, out, _ = imported(runner)
    assert code == 0 and f"program {DEMO}: updated (v2)\n" in out
    with Session(clean_db) as s:
        assert [(v.number, v.first_year, v.last_year) for v in s.scalars(
            select(ProgramVersion).order_by(ProgramVersion.number))] == [(1, 2025, 2026), (2, 2025, 2027)]
    path.unlink()
    code, out, _ = imported(runner)
    assert code == 0 and f"program {DEMO}: withdrawn (v2)\n" in out
    assert programs_table(clean_db) == {DEMO: None}


def test_import_with_a_broken_program_changes_nothing(runner: Any, content_root: Path, clean_db: Engine) -> None:
    """All or nothing: a program naming a missing course blocks the courses too, on a first import and later."""
    write(content_root / "programs" / "nhap.md", SMALL.replace(LUA_DAO, "khoa-nhap"))
    problem = "programs/nhap.md:6: không có khóa học 'khoa-nhap' trong courses/ (unknown course slug)\n"
    assert imported(runner) == (1, "", problem + "1 " + NOTHING_PUBLISHED)
    assert snapshot(clean_db) == {} and programs_table(clean_db) == {}
    (content_root / "programs" / "nhap.md").unlink()
    assert imported(runner)[0] == 0
    before = snapshot(clean_db), programs_table(clean_db)
    edit(content_root / "programs" / f"{DEMO}.md", "years: 2025-2026", "years: 2025-2030")
    edit(content_root / "courses" / LUA_DAO / "course.md", "title: Nhận diện", "title: Nhận ra")
    write(content_root / "programs" / "nhap.md", SMALL.replace(LUA_DAO, "khoa-nhap"))
    assert imported(runner) == (1, "", problem + "1 " + NOTHING_PUBLISHED)
    assert (snapshot(clean_db), programs_table(clean_db)) == before


def test_skip_invalid_keeps_a_program_that_needs_a_broken_course(runner: Any, content_root: Path,
                                                                clean_db: Engine) -> None:
    """With --skip-invalid a program waits for the courses it names: it is not published while one is broken."""
    line = edit(content_root / "courses" / LUA_DAO / "course.md", '"1.2"]', '"9.9"]')
    code, out, err = imported(runner, "--skip-invalid")
    assert code == 1
    assert f"program {DEMO}" not in out
    assert err == (f"courses/{LUA_DAO}/course.md:{line}: mã năng lực không có trong khung TT 02/2025: '9.9' "
                   "(unknown competency code)\n"
                   f"{LUA_DAO}: skipped, the live version is unchanged\n"
                   f"program {DEMO}: skipped, the live version is unchanged\n")
    assert programs_table(clean_db) == {}
