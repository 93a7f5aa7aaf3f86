"""Loading courses from disk: the demo content is clean, and every broken file is reported at `path:line`."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms.domain import content
from lms.domain.content import CheckResult, CompiledCourse

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SLUG = "khoa-thu"
BASE = f"courses/{SLUG}"

COURSE_MD = "\n".join([
    "---",                                # 1
    "title: Khóa học thử",                # 2
    "summary: Một khóa học để thử.",      # 3
    "target_groups: [3]",                 # 4
    "level: 1",                           # 5
    'competencies: ["4.2"]',              # 6
    "minutes: 10",                        # 7
    "quizzes:",                           # 8
    "  - file: khoa-thu.md",              # 9
    "completion:",                        # 10
    "  lessons: all",                     # 11
    "  quizzes: required",                # 12
    "---",                                # 13
    "Giới thiệu khóa học.",               # 14
    "",                                   # 15
    "Bắt đầu với [bài 1](01-mo-dau.md).",  # 16
]) + "\n"

LESSON_1 = "\n".join([
    "---",                                # 1
    "title: Mở đầu",                      # 2
    "minutes: 5",                         # 3
    "---",                                # 4
    "Nội dung bài mở đầu.",               # 5
    "",                                   # 6
    "Tiếp theo: [Bài 2](02-ket-thuc.md).",  # 7
]) + "\n"

LESSON_2 = "\n".join([
    "---",                                # 1
    "title: Kết thúc",                    # 2
    'competencies: ["4.2", "2.1"]',       # 3
    "---",                                # 4
    "![Sơ đồ](images/so-do.png)",         # 5
    "",                                   # 6
    "Làm [bài kiểm tra](../../quizzes/khoa-thu.md).",  # 7
]) + "\n"

QUIZ = "\n".join([
    "---",                                # 1
    "title: Kiểm tra thử",                # 2
    "pass: 50%",                          # 3
    "draw: 2",                            # 4
    "---",                                # 5
    "## Câu một",                         # 6
    "- (x) Đúng",                         # 7
    "- ( ) Sai",                          # 8
    "## Câu hai",                         # 9
    "= hai",                              # 10
]) + "\n"


def write(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Write (or with None, delete) files under `root`."""
    for rel, data in files.items():
        path = root / rel
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def add_course(root: Path) -> None:
    """A small valid course of our own beside the demo courses."""
    write(root, {
        f"{BASE}/course.md": COURSE_MD,
        f"{BASE}/01-mo-dau.md": LESSON_1,
        f"{BASE}/02-ket-thuc.md": LESSON_2,
        f"{BASE}/images/so-do.png": PNG,
        "quizzes/khoa-thu.md": QUIZ,
    })


def load_ours(root: Path) -> CheckResult:
    """Load only our test course; the demo courses are loaded only where needed (rendering is slow)."""
    return content.load(root, only=[root / BASE])


def locations(result: CheckResult) -> list[str]:
    return [f"{p.path}:{p.line}" for p in result.problems]


def course(result: CheckResult, slug: str) -> CompiledCourse:
    return next(c for c in result.courses if c.slug == slug)


def replace_line(text: str, number: int, new: str | None) -> str:
    """`text` with line `number` (1-based) replaced, or removed when `new` is None."""
    lines = text.split("\n")
    if new is None:
        del lines[number - 1]
    else:
        lines[number - 1] = new
    return "\n".join(lines)


def insert_line(text: str, before: int, new: str) -> str:
    lines = text.split("\n")
    lines.insert(before - 1, new)
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------
# The demo content


def test_demo_content_loads_cleanly(content_root: Path) -> None:
    """The shipped demo: no problems, two compiled courses of 4+ lessons, quizzes drawing 10 from 15+."""
    result = content.load(content_root)
    assert result.problems == []
    assert result.failed_slugs == set()
    assert len(result.courses) == 2
    kinds: set[str] = set()
    for compiled in result.courses:
        assert len(compiled.lessons) >= 4, compiled.slug
        assert compiled.quizzes, compiled.slug
        for quiz in compiled.quizzes:
            assert len(quiz.questions) >= 15
            assert quiz.draw == 10
            assert quiz.required is True
            kinds |= {q.kind for q in quiz.questions}
    assert kinds == {"single", "multiple", "text", "number"}
    # Compiled: lessons rendered to HTML and text, images turned into hashed assets, answer keys stored.
    for compiled in result.courses:
        assert compiled.title and compiled.level in range(1, 9) and compiled.competencies
        assert compiled.assets, "each demo course has at least one image"
        for sha, (mime, data) in compiled.assets.items():
            assert len(sha) == 64 and mime.startswith("image/") and data
        for lesson in compiled.lessons:
            assert lesson.title and lesson.html and lesson.text
            assert "<script" not in lesson.html and "<h1" not in lesson.html
            assert "#missing" not in lesson.html
        for question in compiled.quizzes[0].questions:
            if question.kind in ("single", "multiple"):
                assert question.answer["correct"]
                assert set(question.answer["correct"]) <= {o["key"] for o in question.options}


def test_our_test_course_loads_cleanly(content_root: Path) -> None:
    """The small course the break tests start from is valid, so each break test changes one thing."""
    add_course(content_root)
    result = load_ours(content_root)
    assert result.problems == []
    compiled = course(result, SLUG)
    assert [lesson.slug for lesson in compiled.lessons] == ["mo-dau", "ket-thuc"]
    assert compiled.target_groups == [3] and compiled.level == 1 and compiled.competencies == ["4.2"]
    assert compiled.lessons[0].competencies == ["4.2"]  # inherited from the course
    assert compiled.lessons[1].competencies == ["4.2", "2.1"]
    assert 'href="ket-thuc"' in compiled.lessons[0].html
    assert 'href="quiz/khoa-thu"' in compiled.lessons[1].html
    (sha,) = compiled.assets
    assert compiled.assets[sha] == ("image/png", PNG)
    assert f'src="../../media/{sha}.png"' in compiled.lessons[1].html
    (quiz,) = compiled.quizzes
    assert (quiz.slug, quiz.pass_percent, quiz.draw, quiz.required) == ("khoa-thu", 50, 2, True)
    assert quiz.questions[0].answer == {"correct": ["a"]}
    assert quiz.questions[1].answer == {"accepted": ["hai"]}


# ------------------------------------------------------------------------------------------------------------
# Broken content: each case changes our test course and names the exact `path:line` problems.

CM, L1, L2, QZ = f"{BASE}/course.md", f"{BASE}/01-mo-dau.md", f"{BASE}/02-ket-thuc.md", "quizzes/khoa-thu.md"
Files = dict[str, str | bytes | None]


def cm(line: int, new: str | None) -> Files:
    """course.md with one line replaced (or removed)."""
    return {CM: replace_line(COURSE_MD, line, new)}


def l1(line: int, new: str | None) -> Files:
    return {L1: replace_line(LESSON_1, line, new)}


def l2(line: int, new: str | None) -> Files:
    return {L2: replace_line(LESSON_2, line, new)}


SVG_WITH_SCRIPT = '<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'
OTHER_COURSE_IMAGE = "![Ảnh](../nhan-dien-lua-dao/images/khong-doc-otp.svg)"

BREAKS: dict[str, tuple[Files, list[str]]] = {
    "course missing title": (cm(2, None), [f"{CM}:1"]),
    "course empty title": (cm(2, "title: ''"), [f"{CM}:2"]),
    "lesson missing title": (l1(2, "minutes: 5"), [f"{L1}:1"]),
    "course unknown competency": (cm(6, 'competencies: ["4.2", "9.9"]'), [f"{CM}:6"]),
    "course unknown competency in block list": (cm(6, 'competencies:\n  - "4.2"\n  - "4.9"'), [f"{CM}:8"]),
    "lesson unknown competency": (l2(3, 'competencies: ["7.1"]'), [f"{L2}:3"]),
    "quiz unknown competency on a heading": ({QZ: replace_line(QUIZ, 9, "## Câu hai {9.9}")}, [f"{QZ}:9"]),
    "link to a missing lesson": (l1(7, "Xem [bài 3](03-khong-co.md)."), [f"{L1}:7"]),
    "link to a missing lesson from course.md": (cm(16, "Bắt đầu với [bài 1](01-khong-co.md)."), [f"{CM}:16"]),
    "link to a quiz the course does not attach": (l2(7, "Làm [bài](../../quizzes/nhan-dien-lua-dao.md)."),
                                                  [f"{L2}:7"]),
    "missing quiz file": ({QZ: None}, [f"{CM}:9", f"{L2}:7"]),
    "quiz file outside quizzes/": (cm(9, "  - file: ../courses/x.md"), [f"{L2}:7", f"{CM}:9"]),
    "quiz entry without file": (cm(9, "  - required: true"), [f"{L2}:7", f"{CM}:9"]),
    "broken quiz": ({QZ: replace_line(QUIZ, 4, "draw: 3")}, [f"{QZ}:4"]),
    "missing image": ({f"{BASE}/images/so-do.png": None}, [f"{L2}:5"]),
    "image of an unknown type": ({**l2(5, "![Tệp](images/so-do.bmp)"), f"{BASE}/images/so-do.bmp": PNG},
                                 [f"{L2}:5"]),
    "image outside the course folder": (l2(5, OTHER_COURSE_IMAGE), [f"{L2}:5"]),
    "svg image with a script": ({**l2(5, "![Ảnh](images/x.svg)"), f"{BASE}/images/x.svg": SVG_WITH_SCRIPT},
                                [f"{L2}:5"]),
    "duplicate lesson slug": ({f"{BASE}/03-mo-dau.md": LESSON_1}, [f"{BASE}/03-mo-dau.md:1"]),
    "duplicate lesson number": ({f"{BASE}/02-them.md": LESSON_1}, [f"{BASE}/02-them.md:1"]),
    "reserved lesson slug": ({f"{BASE}/03-quiz.md": LESSON_1}, [f"{BASE}/03-quiz.md:1"]),
    "lesson name without a number": ({f"{BASE}/mo-dau.md": LESSON_1}, [f"{BASE}/mo-dau.md:1"]),
    "lesson name with one digit": ({f"{BASE}/3-bai-ba.md": LESSON_1}, [f"{BASE}/3-bai-ba.md:1"]),
    "lesson name with capitals": ({f"{BASE}/03-Bai-Ba.md": LESSON_1}, [f"{BASE}/03-Bai-Ba.md:1"]),
    "lesson name with underscore": ({f"{BASE}/03_bai_ba.md": LESSON_1}, [f"{BASE}/03_bai_ba.md:1"]),
    "course unknown key": ({CM: insert_line(COURSE_MD, 8, "author: Cô Lan")}, [f"{CM}:8"]),
    "lesson unknown key": ({L1: insert_line(LESSON_1, 3, "tags: [otp]")}, [f"{L1}:3"]),
    "target group 5": (cm(4, "target_groups: [3, 5]"), [f"{CM}:4"]),
    "target groups empty": (cm(4, "target_groups: []"), [f"{CM}:4"]),
    "target group as text": (cm(4, "target_groups: [người dân]"), [f"{CM}:4"]),
    "target groups missing": (cm(4, None), [f"{CM}:1"]),
    "level 9": (cm(5, "level: 9"), [f"{CM}:5"]),
    "level 0": (cm(5, "level: 0"), [f"{CM}:5"]),
    "level as text": (cm(5, "level: cơ bản"), [f"{CM}:5"]),
    "level missing": (cm(5, None), [f"{CM}:1"]),
    "bad completion quizzes": (cm(12, "  quizzes: some"), [f"{CM}:10"]),
    "bad completion lessons": (cm(11, "  lessons: -1"), [f"{CM}:10"]),
    "bad yaml in a lesson": (l1(3, "minutes: [5"), [f"{L1}:3"]),
    "bad yaml in course.md": (cm(3, "summary: a: b"), [f"{CM}:3"]),
    "lesson without front matter": ({L1: "Chỉ có nội dung.\n"}, [f"{L1}:1"]),
    "lesson not UTF-8": ({L1: LESSON_1.encode("utf-8") + b"\nD\xf2ng cu\xf4i\n"}, [f"{L1}:9"]),
    "course.md missing": ({CM: None}, [f"{CM}:1"]),
}


@pytest.mark.parametrize(("files", "expected"), list(BREAKS.values()), ids=list(BREAKS))
def test_broken_course(content_root: Path, files: Files, expected: list[str]) -> None:
    """Each break is reported at exactly its `path:line`, and the course is held back."""
    add_course(content_root)
    write(content_root, files)
    result = load_ours(content_root)
    assert locations(result) == sorted(expected)
    assert result.courses == []
    assert result.failed_slugs == {SLUG}


# What the first problem of some cases must say (the English part of the bilingual message).
MESSAGES = {
    "course missing title": "missing title",
    "lesson missing title": "missing title",
    "course unknown competency": "unknown competency code",
    "lesson unknown competency": "unknown competency code",
    "link to a missing lesson": "broken link",
    "missing image": "image not found",
    "duplicate lesson slug": "duplicate lesson slug",
    "duplicate lesson number": "duplicate lesson number",
    "reserved lesson slug": "reserved slug",
    "lesson name with capitals": "NN-slug.md",
    "course unknown key": "unknown key",
    "lesson unknown key": "unknown key",
    "target group 5": "target_groups must list group codes 1-4",
    "level 9": "level must be a whole number from 1 to 8",
    "bad yaml in course.md": "YAML syntax error",
    "lesson not UTF-8": "not UTF-8",
    "svg image with a script": "SVG contains script",
}


@pytest.mark.parametrize(("case", "fragment"), list(MESSAGES.items()), ids=list(MESSAGES))
def test_broken_course_messages(content_root: Path, case: str, fragment: str) -> None:
    """The problem says what is wrong, in Vietnamese with an English gloss."""
    add_course(content_root)
    write(content_root, BREAKS[case][0])
    (problem,) = load_ours(content_root).problems
    assert fragment in problem.message


def test_missing_quiz_file_message(content_root: Path) -> None:
    """A quiz named in course.md that does not exist is reported with its file name."""
    add_course(content_root)
    write(content_root, {"quizzes/khoa-thu.md": None})
    problems = [str(p) for p in load_ours(content_root).problems]
    assert f"{CM}:9: không tìm thấy bài kiểm tra quizzes/khoa-thu.md (quiz file not found)" in problems


def test_broken_course_holds_back_only_itself(content_root: Path) -> None:
    """With every course loaded, a broken course is held back and the demo courses still compile."""
    add_course(content_root)
    write(content_root, {f"{BASE}/course.md": replace_line(COURSE_MD, 5, "level: 9")})
    result = content.load(content_root)
    assert locations(result) == [f"{BASE}/course.md:5"]
    assert result.failed_slugs == {SLUG}
    assert sorted(c.slug for c in result.courses) == ["dung-vneid-dich-vu-cong", "nhan-dien-lua-dao"]


def test_duplicate_slug_in_a_new_course(content_root: Path) -> None:
    """01-a.md and 02-a.md in the same course: the second one is reported as a duplicate slug."""
    write(content_root, {
        "courses/trung/course.md": replace_line(COURSE_MD, 9, "  - file: khoa-thu.md").replace(
            "Bắt đầu với [bài 1](01-mo-dau.md).", ""),
        "courses/trung/01-a.md": "---\ntitle: A\n---\nMột.\n",
        "courses/trung/02-a.md": "---\ntitle: A lần nữa\n---\nHai.\n",
        "quizzes/khoa-thu.md": QUIZ,
    })
    result = content.load(content_root, only=[content_root / "courses/trung"])
    assert [str(p) for p in result.problems] == [
        "courses/trung/02-a.md:1: tên bài học 'a' bị trùng (duplicate lesson slug)"]
    assert result.failed_slugs == {"trung"}


def test_course_folder_must_be_a_slug(content_root: Path) -> None:
    """A course folder named with capitals or underscores is reported at its course.md."""
    add_course(content_root)
    (content_root / BASE).rename(content_root / "courses" / "Khoa_Thu")
    result = content.load(content_root, only=[content_root / "courses" / "Khoa_Thu"])
    assert locations(result) == ["courses/Khoa_Thu/course.md:1"]
    assert result.failed_slugs == {"Khoa_Thu"}


def test_course_without_lessons(content_root: Path) -> None:
    """A course folder with only course.md is an error."""
    add_course(content_root)
    write(content_root, {f"{BASE}/01-mo-dau.md": None, f"{BASE}/02-ket-thuc.md": None,
                         f"{BASE}/course.md": replace_line(COURSE_MD, 16, "")})
    result = load_ours(content_root)
    assert locations(result) == [f"{BASE}/course.md:1"]
    assert "no lessons" in result.problems[0].message


def test_several_problems_in_one_course_are_all_reported(content_root: Path) -> None:
    """Checking does not stop at the first problem."""
    add_course(content_root)
    broken = replace_line(replace_line(COURSE_MD, 5, "level: 12"), 6, 'competencies: ["0.1"]')
    write(content_root, {CM: broken, QZ: replace_line(QUIZ, 8, "- (x) Sai"),
                         f"{BASE}/images/so-do.png": None})
    result = load_ours(content_root)
    assert locations(result) == sorted([f"{L2}:5", f"{CM}:5", f"{CM}:6", f"{QZ}:6"])


def test_demo_lesson_with_missing_image(content_root: Path) -> None:
    """Removing a demo image points at the demo lesson line that shows it, and holds back only that course."""
    lesson = content_root / "courses/nhan-dien-lua-dao/04-bao-ve-otp-mat-khau.md"
    line = next(n for n, text in enumerate(lesson.read_text(encoding="utf-8").split("\n"), start=1)
                if "images/khong-doc-otp.svg" in text)
    (content_root / "courses/nhan-dien-lua-dao/images/khong-doc-otp.svg").unlink()
    result = content.load(content_root)
    assert locations(result) == [f"courses/nhan-dien-lua-dao/04-bao-ve-otp-mat-khau.md:{line}"]
    assert result.failed_slugs == {"nhan-dien-lua-dao"}
    assert [c.slug for c in result.courses] == ["dung-vneid-dich-vu-cong"]


def test_unattached_quiz_is_still_checked(content_root: Path) -> None:
    """A quiz file no course uses is checked too."""
    write(content_root, {"quizzes/le-loi.md": replace_line(QUIZ, 7, "- ( ) Đúng")})
    result = content.load(content_root, only=[content_root / "quizzes/le-loi.md"])
    assert locations(result) == ["quizzes/le-loi.md:6"]
    assert (result.quizzes, result.courses, result.failed_slugs) == (1, [], set())


def test_only_selected_course(content_root: Path) -> None:
    """`only` restricts loading to the given course folder."""
    add_course(content_root)
    result = content.load(content_root, only=[content_root / BASE])
    assert [c.slug for c in result.courses] == [SLUG]
    assert result.problems == []


# ------------------------------------------------------------------------------------------------------------
# Content hash


def hashes(root: Path, only: list[Path] | None = None) -> dict[str, str]:
    result = content.load(root, only)
    assert result.problems == []
    return {c.slug: c.content_hash for c in result.courses}


def test_demo_content_hash_follows_lesson_changes(content_root: Path) -> None:
    """Editing one demo lesson changes that course's hash and leaves the other course's hash equal."""
    before = hashes(content_root)
    assert len(set(before.values())) == 2
    lesson = content_root / "courses/nhan-dien-lua-dao/02-mao-danh-nguoi-than.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nMột câu mới.\n", encoding="utf-8")
    after = hashes(content_root)
    assert after["nhan-dien-lua-dao"] != before["nhan-dien-lua-dao"]
    assert after["dung-vneid-dich-vu-cong"] == before["dung-vneid-dich-vu-cong"]


def test_content_hash_is_stable(content_root: Path) -> None:
    """Loading unchanged content twice gives the same hash, even from another folder."""
    add_course(content_root)
    first = hashes(content_root, [content_root / BASE])
    assert hashes(content_root, [content_root / BASE]) == first
    moved = content_root.parent / "elsewhere"
    shutil.copytree(content_root / "courses" / SLUG, moved / "courses" / SLUG)
    shutil.copytree(content_root / "quizzes", moved / "quizzes")
    assert hashes(moved, [moved / BASE]) == first


@pytest.mark.parametrize(("rel", "data"), [
    (f"{BASE}/01-mo-dau.md", LESSON_1 + "\nMột câu mới.\n"),
    (f"{BASE}/02-ket-thuc.md", LESSON_2.replace("title: Kết thúc", "title: Tổng kết")),
    (f"{BASE}/course.md", COURSE_MD.replace("minutes: 10", "minutes: 12")),
    ("quizzes/khoa-thu.md", QUIZ.replace("pass: 50%", "pass: 60%")),
    (f"{BASE}/images/so-do.png", PNG + b"\x01"),
    (f"{BASE}/03-them.md", "---\ntitle: Bài thêm\n---\nThêm.\n"),
])
def test_content_hash_changes(content_root: Path, rel: str, data: str | bytes) -> None:
    """Changing a lesson, course.md, the quiz or an image, or adding a lesson, changes the hash."""
    add_course(content_root)
    before = hashes(content_root, [content_root / BASE])
    write(content_root, {rel: data})
    assert hashes(content_root, [content_root / BASE])[SLUG] != before[SLUG]
