"""`lms check` checks what a path is, wherever it lies, and never says OK when it checked nothing;
files that are not clean UTF-8 are `path:line` problems (issue 7, point 1). Exact output of the real command."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lms.domain import content
from tests.test_cli import LUA_DAO, VNEID, snapshot

EXPECTED = ("cần một tệp bài kiểm tra hay chương trình .md, một thư mục khóa học (có course.md) hoặc một thư mục "
            "chứa courses/, quizzes/ hay programs/ (expected a quiz or program .md file, a course folder with "
            "course.md, or a folder holding courses/, quizzes/ or programs/)")
DEMO_OK = ("OK: 2 khóa học / courses, 13 bài học / lessons, 2 bài kiểm tra / quizzes, 1 chương trình / programs "
           "— không có lỗi (no problems).\n")
NOT_UTF8 = "tệp không phải UTF-8: hãy lưu lại với bảng mã UTF-8 (file is not UTF-8: save it as UTF-8)"
NUL = "dòng có ký tự NUL (byte 0): hãy xóa ký tự này (line contains a NUL byte)"

QUIZ_WITH_FOUR_ERRORS = """---
title: Bài kiểm tra nháp
pass: 80%
draw: 5
colour: red
---
## Câu một?
- (x) Một
- (x) Hai

## Câu hai?
- [ ] Một
- [ ] Hai
"""
FOUR_ERRORS = [
    "4: 'draw: 5' lớn hơn số câu hỏi trong ngân hàng (2) (draw is larger than the pool)",
    "5: khóa 'colour' không được hỗ trợ (unknown key; allowed: attempts, competencies, diacritics, draw, pass, "
    "shuffle, title)",
    "7: câu hỏi một lựa chọn phải có đúng 1 đáp án đúng '(x)', đang có 2 (single choice needs exactly one correct "
    "option)",
    "11: câu hỏi nhiều lựa chọn phải có ít nhất 1 đáp án đúng '[x]' (multiple choice needs at least one correct "
    "option)",
]
CLEAN_QUIZ = "---\ntitle: Bài kiểm tra nháp\n---\n## Câu một?\n- (x) Một\n- ( ) Hai\n"
COURSE_MD = ('---\ntitle: Khóa nháp\nlevel: 1\ntarget_groups: [1]\ncompetencies: ["1.2"]\nquizzes: [nhap.md]\n---\n'
             "Giới thiệu.\n")
LESSON_MD = "---\ntitle: Bài một\n---\nNội dung bài một.\n"


def ok(courses: int, lessons: int, quizzes: int, programs: int = 0) -> str:
    return (f"OK: {courses} khóa học / courses, {lessons} bài học / lessons, {quizzes} bài kiểm tra / quizzes, "
            f"{programs} chương trình / programs — không có lỗi (no problems).\n")


def run(runner: Any, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(args=["check", *args])
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- what a path on the command line is ---------------------------------------------------------------------

def test_quiz_file_outside_courses_and_quizzes_is_checked(runner: Any, here: Path) -> None:
    write(here / "drafts" / "quiz.md", QUIZ_WITH_FOUR_ERRORS)
    assert run(runner, "drafts/quiz.md") == (
        1, "", "".join(f"drafts/quiz.md:{e}\n" for e in FOUR_ERRORS) + "4 lỗi / problem(s) found.\n")


def test_clean_quiz_file_outside_is_one_quiz(runner: Any, here: Path) -> None:
    write(here / "drafts" / "quiz.md", CLEAN_QUIZ)
    assert run(runner, "drafts/quiz.md") == (0, ok(0, 0, 1), "")


def test_quiz_file_in_a_quizzes_folder_is_named_from_its_content_root(runner: Any, content_root: Path) -> None:
    write(content_root / "quizzes" / "nhap.md", QUIZ_WITH_FOUR_ERRORS)
    assert run(runner, str(content_root / "quizzes" / "nhap.md")) == (
        1, "", "".join(f"quizzes/nhap.md:{e}\n" for e in FOUR_ERRORS) + "4 lỗi / problem(s) found.\n")


def test_course_folder_outside_courses_is_checked(runner: Any, here: Path) -> None:
    """A course folder anywhere; its quizzes are looked for in the quizzes/ folder beside it."""
    write(here / "drafts" / "khoa-nhap" / "course.md", COURSE_MD)
    write(here / "drafts" / "khoa-nhap" / "01-bai-mot.md", LESSON_MD)
    write(here / "drafts" / "quizzes" / "nhap.md", CLEAN_QUIZ)
    assert run(runner, "drafts/khoa-nhap") == (0, ok(1, 1, 1), "")
    (here / "drafts" / "quizzes" / "nhap.md").unlink()
    assert run(runner, "drafts/khoa-nhap") == (
        1, "", "khoa-nhap/course.md:6: không tìm thấy bài kiểm tra quizzes/nhap.md (quiz file not found)\n"
               "1 lỗi / problem(s) found.\n")


def test_lesson_file_or_course_md_checks_its_whole_course(runner: Any, content_root: Path) -> None:
    lesson = sorted((content_root / "courses" / VNEID).glob("0*.md"))[0]
    assert run(runner, str(lesson)) == (0, ok(1, 7, 1), "")
    assert run(runner, str(content_root / "courses" / VNEID / "course.md")) == (0, ok(1, 7, 1), "")


def test_folder_holding_courses_and_quizzes_is_checked_wherever_it_lies(runner: Any, here: Path) -> None:
    other = here / "other"
    write(other / "courses" / "khoa-nhap" / "course.md", COURSE_MD)
    write(other / "courses" / "khoa-nhap" / "01-bai-mot.md", LESSON_MD)
    write(other / "quizzes" / "nhap.md", CLEAN_QUIZ)
    write(other / "quizzes" / "le.md", QUIZ_WITH_FOUR_ERRORS)
    assert run(runner, "other") == (
        1, "", "".join(f"quizzes/le.md:{e}\n" for e in FOUR_ERRORS) + "4 lỗi / problem(s) found.\n")
    (other / "quizzes" / "le.md").unlink()
    assert run(runner, "other") == (0, ok(1, 1, 1), "")
    assert run(runner, "other/courses") == (0, ok(1, 1, 1), "")
    assert run(runner, "other/quizzes") == (0, ok(0, 0, 1), "")


def test_a_path_that_is_not_content_is_an_error(runner: Any, here: Path) -> None:
    write(here / "notes.txt", "ghi chú\n")
    (here / "empty").mkdir()
    write(here / "drafts" / "khoa-nhap" / "images" / "a.png", b"\x89PNG")
    for path in ("notes.txt", "empty", "drafts/khoa-nhap/images"):
        assert run(runner, path) == (2, "", f"{path}: không kiểm tra được: {EXPECTED}\n"), path
    assert run(runner, "missing.md") == (
        2, "", "missing.md: không tìm thấy tệp hay thư mục này (no such file or folder)\n")
    write(here / "drafts" / "quiz.md", CLEAN_QUIZ)
    assert run(runner, "drafts/quiz.md", "notes.txt", "missing.md") == (
        2, "", f"notes.txt: không kiểm tra được: {EXPECTED}\n"
               "missing.md: không tìm thấy tệp hay thư mục này (no such file or folder)\n")


def test_nothing_to_check_is_never_ok(runner: Any, content_root: Path, here: Path) -> None:
    shutil.rmtree(content_root / "courses")
    shutil.rmtree(content_root / "quizzes")
    shutil.rmtree(content_root / "programs")
    (content_root / "courses").mkdir()
    (content_root / "quizzes").mkdir()
    (content_root / "programs").mkdir()
    nothing = ("không có gì để kiểm tra: không có thư mục khóa học nào trong courses/ và không có tệp bài kiểm tra "
               "nào trong quizzes/ (nothing to check: no course folder in courses/ and no quiz file in quizzes/)")
    assert run(runner) == (2, "", f"{content_root}: {nothing}\n")
    assert run(runner, str(content_root)) == (2, "", f"{content_root}: {nothing}\n")
    assert run(runner, str(content_root / "courses")) == (
        2, "", f"{content_root / 'courses'}: không có gì để kiểm tra: không có thư mục khóa học nào "
               "(nothing to check: no course folder in it)\n")
    assert run(runner, str(content_root / "quizzes")) == (
        2, "", f"{content_root / 'quizzes'}: không có gì để kiểm tra: không có tệp bài kiểm tra .md nào "
               "(nothing to check: no quiz file in it)\n")


def test_missing_content_folder_is_not_ok(app: Any, runner: Any, tmp_path: Path) -> None:
    app.config["CONTENT_DIR"] = str(tmp_path / "nowhere")
    assert run(runner) == (
        2, "", f"{tmp_path / 'nowhere'}: không tìm thấy tệp hay thư mục này (no such file or folder)\n")
    (tmp_path / "nowhere").mkdir()
    assert run(runner) == (2, "", f"{tmp_path / 'nowhere'}: không kiểm tra được: {EXPECTED}\n")


def test_the_installed_lms_command(here: Path, tmp_path: Path) -> None:
    """The same through the `lms` program itself, in its own process: exit codes and streams as a teacher sees them."""
    write(here / "drafts" / "quiz.md", QUIZ_WITH_FOUR_ERRORS)
    write(here / "notes.txt", "ghi chú\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_MODE="demo", LMS_INSTANCE_PATH=str(tmp_path / "instance"),
               LMS_CONTENT_DIR=str(tmp_path / "empty-content"))
    (tmp_path / "empty-content" / "courses").mkdir(parents=True)
    lms = str(Path(sys.executable).with_name("lms"))

    def lms_check(*args: str) -> tuple[int, str, str]:
        done = subprocess.run([lms, "check", *args], cwd=here, env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=120)
        return done.returncode, done.stdout, done.stderr

    assert lms_check("drafts/quiz.md") == (
        1, "", "".join(f"drafts/quiz.md:{e}\n" for e in FOUR_ERRORS) + "4 lỗi / problem(s) found.\n")
    assert lms_check("notes.txt") == (2, "", f"notes.txt: không kiểm tra được: {EXPECTED}\n")
    assert lms_check() == (2, "", f"{tmp_path / 'empty-content'}: không có gì để kiểm tra: không có thư mục khóa "
                                  "học nào trong courses/ và không có tệp bài kiểm tra nào trong quizzes/ (nothing "
                                  "to check: no course folder in courses/ and no quiz file in quizzes/)\n")


# --- encodings: invalid UTF-8 and NUL are problems at their line; BOM and CRLF are accepted -------------------

def replace_line(path: Path, number: int, new: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = new
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("where", ["quiz", "lesson", "course.md"])
@pytest.mark.parametrize("bad", ["latin-1", "nul"])
def test_bad_bytes_are_a_problem_at_their_line(runner: Any, content_root: Path, where: str, bad: str) -> None:
    rel = {"quiz": f"quizzes/{LUA_DAO}.md", "lesson": f"courses/{LUA_DAO}/02-mao-danh-nguoi-than.md",
           "course.md": f"courses/{LUA_DAO}/course.md"}[where]
    number = {"quiz": 10, "lesson": 6, "course.md": 2}[where]
    path = content_root / rel
    line = path.read_bytes().split(b"\n")[number - 1]
    assert line.strip()
    if bad == "latin-1":
        new = line.decode("utf-8").encode("cp1258", errors="replace")  # a Vietnamese Windows code page
        assert any(byte > 127 for byte in new)
    else:
        text = line.decode("utf-8")
        new = (text[:3] + "\0" + text[3:]).encode("utf-8")
    replace_line(path, number, new)
    message = NOT_UTF8 if bad == "latin-1" else NUL
    assert run(runner) == (1, "", f"{rel}:{number}: {message}\n1 lỗi / problem(s) found.\n")
    assert run(runner, str(path)) == (1, "", f"{rel}:{number}: {message}\n1 lỗi / problem(s) found.\n")


def windows_copy(source: Path, target: Path) -> None:
    """The content as a Windows editor may save it: a byte-order mark and CRLF line ends in every .md file."""
    shutil.copytree(source, target)
    for path in target.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def test_bom_and_crlf_are_accepted_and_parse_identically(runner: Any, content_root: Path, tmp_path: Path) -> None:
    windows = tmp_path / "windows"
    windows_copy(content_root, windows)
    assert run(runner, str(windows)) == (0, DEMO_OK, "")
    plain, converted = content.load(content_root), content.load(windows)
    assert not converted.problems
    for course in plain.courses + converted.courses:
        course.content_hash = ""  # the bytes differ, so the hash does; everything compiled must not
    assert converted.courses == plain.courses


def test_crlf_file_reports_problems_at_the_right_line(runner: Any, here: Path) -> None:
    text = "\ufeff" + QUIZ_WITH_FOUR_ERRORS.replace("\n", "\r\n")
    write(here / "quiz.md", text.encode("utf-8"))
    assert run(runner, "quiz.md") == (
        1, "", "".join(f"quiz.md:{e}\n" for e in FOUR_ERRORS) + "4 lỗi / problem(s) found.\n")
    write(here / "mac.md", QUIZ_WITH_FOUR_ERRORS.replace("\n", "\r").encode("utf-8"))
    assert run(runner, "mac.md") == (
        1, "", "".join(f"mac.md:{e}\n" for e in FOUR_ERRORS) + "4 lỗi / problem(s) found.\n")


def test_import_reports_a_quiz_that_is_not_utf8_and_publishes_nothing(runner: Any, content_root: Path,
                                                                      clean_db: Engine) -> None:
    path = content_root / "quizzes" / f"{VNEID}.md"
    replace_line(path, 10, "- (x) Bộ Công an".encode("cp1258", errors="replace"))
    result = runner.invoke(args=["import"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", f"quizzes/{VNEID}.md:10: {NOT_UTF8}\n"
               "1 lỗi: không có gì được xuất bản; phiên bản cũ vẫn giữ nguyên. "
               "(problems found: nothing was published; the live versions are unchanged)\n")
    assert snapshot(clean_db) == {}
