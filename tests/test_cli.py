"""The `lms check` and `lms import` commands on the demo content and on broken copies of it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lms.models import Asset, Course, CourseVersion, Lesson, LessonProgress, Question
from tests.conftest import Auth, csrf_token

LUA_DAO = "nhan-dien-lua-dao"
VNEID = "dung-vneid-dich-vu-cong"
PROBLEM = re.compile(r"^(?P<path>(?:courses|quizzes)/[^:\s]+):(?P<line>\d+): (?P<message>\S.*)$")

Snapshot = dict[str, tuple[int, dict[str, str]]]


def snapshot(engine: Engine) -> Snapshot:
    """Each course's live version number and its lessons' HTML."""
    with Session(engine) as s:
        out: Snapshot = {}
        for course in s.scalars(select(Course)):
            if course.published is not None:
                version = course.published
                out[course.slug] = (version.number, {lesson.slug: lesson.html for lesson in version.lessons})
        return out


def rows(engine: Engine, *models: type[Any]) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0 for m in models)


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in the file with `new`; returns the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def append(path: Path, text: str) -> int:
    """Append lines to a file; returns the line number of the first appended line."""
    current = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    path.write_text(current + text, encoding="utf-8")
    return current.count("\n") + 1


def first_lesson(content_root: Path, course: str) -> Path:
    return sorted((content_root / "courses" / course).glob("0*.md"))[0]


def problems(stderr: str) -> list[re.Match[str]]:
    """The `path:line: message` lines of a command's error output."""
    return [m for m in map(PROBLEM.match, stderr.splitlines()) if m]


def test_check_clean_demo_content(runner: Any) -> None:
    """The demo content checks clean: exit 0 and one summary line."""
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("OK") and re.search(r"\b2\b", lines[0])
    assert result.stderr == ""


def break_content(content_root: Path) -> set[tuple[str, int]]:
    """Plant one problem of each common kind in a copy of the content; returns the expected (path, line)s."""
    course_md = content_root / "courses" / LUA_DAO / "course.md"
    quiz_md = content_root / "quizzes" / f"{LUA_DAO}.md"
    lesson = first_lesson(content_root, VNEID)
    expected = {
        (f"courses/{LUA_DAO}/course.md", edit(course_md, '"1.2"]', '"9.9"]')),  # unknown competency
        (f"quizzes/{LUA_DAO}.md", edit(quiz_md, "draw: 10", "draw: 500")),  # draw larger than the pool
        (f"courses/{VNEID}/{lesson.name}",
         append(lesson, "Xem thêm [bài không có](99-khong-co.md).\n")),  # link to a missing lesson
        (f"courses/{VNEID}/{lesson.name}",
         append(lesson, "![ảnh](images/khong-co.png)\n")),  # missing image
    }
    # A single-choice question with two correct options: reported at the question.
    text = quiz_md.read_text(encoding="utf-8")
    heading = text.index("\n## ") + 1
    option = text.index("- ( )", heading)
    quiz_md.write_text(text[:option] + "- (x)" + text[option + 5:], encoding="utf-8")
    expected.add((f"quizzes/{LUA_DAO}.md", text[:heading].count("\n") + 1))
    # Bad YAML in a lesson's front matter: reported at its line.
    second = sorted((content_root / "courses" / LUA_DAO).glob("0*.md"))[1]
    expected.add((f"courses/{LUA_DAO}/{second.name}", edit(second, "title: ", "title: sai: ")))
    return expected


def test_check_broken_content_lists_every_problem(runner: Any, content_root: Path) -> None:
    """Every planted problem is printed as `path:line: message` and the command exits 1."""
    expected = break_content(content_root)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    found = problems(result.stderr)
    assert {(m["path"], int(m["line"])) for m in found} >= expected
    other = [line for line in result.stderr.splitlines() if not PROBLEM.match(line)]
    assert len(other) == 1 and str(len(found)) in other[0]  # one summary line with the count
    assert "OK" not in result.stdout


def test_check_only_the_given_course(runner: Any, content_root: Path) -> None:
    """`lms check PATH` checks only that course: a clean course passes while another one is broken."""
    line = edit(content_root / "courses" / LUA_DAO / "course.md", '"1.2"]', '"9.9"]')
    clean = runner.invoke(args=["check", str(content_root / "courses" / VNEID)])
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("OK") and re.search(r"\b1\b", clean.stdout)
    broken = runner.invoke(args=["check", str(content_root / "courses" / LUA_DAO)])
    assert broken.exit_code == 1
    found = [(m["path"], int(m["line"])) for m in problems(broken.stderr)]
    assert found == [(f"courses/{LUA_DAO}/course.md", line)]


def test_check_markdown_javascript_link_is_a_problem(runner: Any, content_root: Path) -> None:
    """A `javascript:` link written in Markdown is refused at check time, at its line."""
    lesson = first_lesson(content_root, LUA_DAO)
    line = append(lesson, "[Bấm vào đây](javascript:alert(1))\n")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    found = {(m["path"], int(m["line"])) for m in problems(result.stderr)}
    assert (f"courses/{LUA_DAO}/{lesson.name}", line) in found


def lesson_html(client: FlaskClient, url: str) -> str:
    """The lesson article as served (the page around it carries a fresh CSRF token every time)."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html[html.index("<article>"):html.index("</article>")]


def test_import_of_broken_content_changes_nothing(published: Flask, runner: Any, content_root: Path,
                                                  clean_db: Engine, client: FlaskClient) -> None:
    """With any error, nothing is published: every live version and lesson stays exactly as it was."""
    before = snapshot(clean_db)
    assert {slug: number for slug, (number, _) in before.items()} == {LUA_DAO: 1, VNEID: 1}
    counts = rows(clean_db, CourseVersion, Lesson, Question, Asset)
    lesson = first_lesson(content_root, LUA_DAO)
    url = f"/courses/{LUA_DAO}/{lesson.stem[3:]}"
    page_before = lesson_html(client, url)
    # A valid change in each course, plus errors: none of the changes may go live.
    append(lesson, "\nĐoạn mới chưa được xuất bản.\n")
    append(first_lesson(content_root, VNEID), "\nĐoạn mới khác.\n")
    edit(content_root / "courses" / LUA_DAO / "course.md", '"1.2"]', '"9.9"]')
    result = runner.invoke(args=["import"])
    assert result.exit_code == 1
    assert problems(result.stderr)
    assert snapshot(clean_db) == before
    assert rows(clean_db, CourseVersion, Lesson, Question, Asset) == counts
    assert lesson_html(client, url) == page_before
    assert "Đoạn mới" not in page_before


def test_unchanged_reimport_changes_nothing(published: Flask, runner: Any, clean_db: Engine) -> None:
    """Importing the same content again writes no new version, lesson, question or image."""
    before = snapshot(clean_db)
    counts = rows(clean_db, CourseVersion, Lesson, Question, Asset)
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    assert f"{LUA_DAO}: unchanged (v1)" in result.stdout and f"{VNEID}: unchanged (v1)" in result.stdout
    assert snapshot(clean_db) == before
    assert rows(clean_db, CourseVersion, Lesson, Question, Asset) == counts


def test_changed_course_gets_a_new_version_and_keeps_progress(app: Flask, runner: Any, content_root: Path,
                                                              clean_db: Engine, client: FlaskClient,
                                                              auth: Auth) -> None:
    """A changed lesson makes version 2; learners keep progress on the lessons that still exist."""
    course_dir = content_root / "courses" / LUA_DAO
    extra = "---\ntitle: Phụ lục\n---\nBài đọc thêm.\n"
    (course_dir / "07-phu-luc.md").write_text(extra, encoding="utf-8")
    assert runner.invoke(args=["import"]).exit_code == 0
    lessons_v1 = snapshot(clean_db)[LUA_DAO][1]
    auth.register()
    first = first_lesson(content_root, LUA_DAO).stem[3:]
    for slug in (first, "phu-luc"):
        url = f"/courses/{LUA_DAO}/{slug}"
        token = csrf_token(client, url)
        assert client.post(f"{url}/done", data={"csrf_token": token}).status_code == 302

    append(first_lesson(content_root, LUA_DAO), "\nĐoạn bổ sung trong phiên bản mới.\n")
    (course_dir / "07-phu-luc.md").unlink()
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    assert f"{LUA_DAO}: updated (v2)" in result.stdout
    assert f"{VNEID}: unchanged (v1)" in result.stdout
    after = snapshot(clean_db)
    assert after[LUA_DAO][0] == 2 and after[VNEID][0] == 1
    assert set(after[LUA_DAO][1]) == set(lessons_v1) - {"phu-luc"}
    assert "Đoạn bổ sung trong phiên bản mới." in after[LUA_DAO][1][first]

    lesson_page = client.get(f"/courses/{LUA_DAO}/{first}").get_data(as_text=True)
    assert "Đoạn bổ sung trong phiên bản mới." in lesson_page
    assert f'action="/courses/{LUA_DAO}/{first}/done"' not in lesson_page  # still done
    assert client.get(f"/courses/{LUA_DAO}/phu-luc").status_code == 404
    course_page = client.get(f"/courses/{LUA_DAO}/").get_data(as_text=True)
    total = len(after[LUA_DAO][1])
    percent = round(100 * 1 / (total + 1))  # one lesson done of `total`, plus one required quiz
    assert f'<progress id="progress-bar" max="100" value="{percent}">' in course_page
    assert rows(clean_db, LessonProgress) == (2,)  # nothing a learner did is deleted


def test_skip_invalid_publishes_only_the_valid_course(app: Flask, runner: Any, content_root: Path,
                                                      clean_db: Engine, client: FlaskClient) -> None:
    """`--skip-invalid` publishes the valid course, reports and skips the broken one, and exits 1."""
    edit(content_root / "courses" / VNEID / "course.md", '"2.6"]', '"7.7"]')
    plain = runner.invoke(args=["import"])
    assert plain.exit_code == 1 and snapshot(clean_db) == {}
    result = runner.invoke(args=["import", "--skip-invalid"])
    assert result.exit_code == 1
    assert f"{LUA_DAO}: new (v1)" in result.stdout
    assert f"{VNEID}: skipped" in result.stderr
    assert {m["path"] for m in problems(result.stderr)} == {f"courses/{VNEID}/course.md"}
    assert set(snapshot(clean_db)) == {LUA_DAO}
    assert client.get(f"/courses/{LUA_DAO}/").status_code == 200
    assert client.get(f"/courses/{VNEID}/").status_code == 404


def test_skip_invalid_keeps_the_old_version_of_a_broken_course(published: Flask, runner: Any,
                                                               content_root: Path, clean_db: Engine) -> None:
    """With --skip-invalid a broken course keeps its live version unchanged while the valid one updates."""
    before = snapshot(clean_db)
    append(first_lesson(content_root, LUA_DAO), "\nThay đổi hợp lệ.\n")
    append(first_lesson(content_root, VNEID), "\nThay đổi này không được lên.\n")
    edit(content_root / "courses" / VNEID / "course.md", '"2.6"]', '"7.7"]')
    result = runner.invoke(args=["import", "--skip-invalid"])
    assert result.exit_code == 1
    after = snapshot(clean_db)
    assert after[LUA_DAO][0] == 2
    assert after[VNEID] == before[VNEID]
