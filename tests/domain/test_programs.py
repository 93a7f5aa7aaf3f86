"""Program files (lms.domain.programs): the forms the format accepts, read without an app or a database."""
from __future__ import annotations

from pathlib import Path

import pytest

from lms.domain import programs
from lms.domain.programs import GroupRequirement

COURSES = {"nhan-dien-lua-dao", "dung-vneid-dich-vu-cong"}


def load(tmp_path: Path, text: str, name: str = "p.md") -> programs.ProgramsResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return programs.load([(path, name)], COURSES)


@pytest.mark.parametrize("years, first, last", [("2025", 2025, 2025), ("2025-2026", 2025, 2026),
                                                ('"2025 – 2027"', 2025, 2027)])
def test_years_are_one_year_or_a_range(tmp_path: Path, years: str, first: int, last: int) -> None:
    result = load(tmp_path, f"---\ntitle: T\nyears: {years}\ngroups:\n  3:\n    courses: [nhan-dien-lua-dao]\n---\n")
    assert result.problems == []
    [program] = result.programs
    assert (program.first_year, program.last_year) == (first, last)
    assert program.applies(first) and program.applies(last)
    assert not program.applies(first - 1) and not program.applies(last + 1)


def test_defaults_and_competencies_quoted_or_not(tmp_path: Path) -> None:
    result = load(tmp_path, "---\ntitle: T\nyears: 2025\ngroups:\n  2:\n    competencies: [\"4.2\", 2.6]\n"
                            "  1:\n    courses: [dung-vneid-dich-vu-cong, nhan-dien-lua-dao]\n---\nMô tả.\n")
    assert result.problems == []
    [program] = result.programs
    assert (program.code, program.vneid_level, program.plan) == ("p", 2, "")
    assert program.requirements == (GroupRequirement(1, ("dung-vneid-dich-vu-cong", "nhan-dien-lua-dao"), ()),
                                    GroupRequirement(2, (), ("4.2", "2.6")))
    assert program.requirement(3) is None
    assert program.description_html == "<p>Mô tả.</p>"


def test_the_hash_follows_the_bytes(tmp_path: Path) -> None:
    text = "---\ntitle: T\nyears: 2025\ngroups:\n  3:\n    courses: [nhan-dien-lua-dao]\n---\n"
    first = load(tmp_path, text).programs[0].content_hash
    assert load(tmp_path, text).programs[0].content_hash == first
    assert load(tmp_path, text.replace("title: T", "title: U")).programs[0].content_hash != first


def test_a_file_name_that_is_not_a_slug_and_a_link_in_the_description(tmp_path: Path) -> None:
    result = load(tmp_path, "---\ntitle: T\nyears: 2025\ngroups:\n  3:\n    courses: [nhan-dien-lua-dao]\n---\n"
                            "Xem [khóa học](../courses/x/course.md).\n", name="Chuong Trinh.md")
    assert [(p.line, p.message.split(" (")[0]) for p in result.problems] == [
        (1, "tên tệp chương trình 'Chuong Trinh.md' chỉ được gồm chữ thường không dấu, số và dấu '-'"),
        (8, "phần mô tả chương trình không được có liên kết tương đối hay hình ảnh '../courses/x/course.md'"),
    ]
    assert result.programs == [] and result.failed == {"Chuong Trinh"}


def test_title_and_plan_fit_their_columns(tmp_path: Path) -> None:
    result = load(tmp_path, f"---\ntitle: {'T' * 201}\nplan: {'K' * 301}\nyears: 2025\ngroups:\n  3:\n"
                            "    courses: [nhan-dien-lua-dao]\n---\n")
    assert [str(p) for p in result.problems] == [
        "p.md:2: 'title' dài hơn 200 ký tự (title is longer than 200 characters)",
        "p.md:3: 'plan' dài hơn 300 ký tự (plan is longer than 300 characters)",
    ]
