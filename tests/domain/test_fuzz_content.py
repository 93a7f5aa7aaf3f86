"""Fuzzing the content checker and the quiz grader (hypothesis).

Whatever bytes a teacher saves as a lesson, a `course.md`, a quiz or a program file, `lms check` answers with a
clean result or with problems that each name `path:line`; it never raises. Two kinds of input:

- arbitrary bytes (and arbitrary text behind a `---` front matter, which gets past the first check), written
  over one file of a small, valid content tree;
- near-valid mutations of the demo files: lines deleted, duplicated or swapped, bytes flipped, and tokens from
  a small dictionary of what trips parsers (bad dates, huge numbers, unhashable YAML values, deep nesting,
  over-long or NUL-holding file names in links...) inserted as lines or put in place of a front-matter value.
  The mutations keep most of the file intact, so the parser goes past the front matter into the body, the
  questions, the links and the images.

The grader: any response (None, text, huge or odd Unicode, numbers, nested lists and dicts) to any kind of
question is either refused by `validate_response` or graded True/False by `is_correct`; `is_correct` alone is
total too. Every test is derandomized with a bounded number of examples, so the run is the same every time and
stays a few seconds long.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings, strategies as st

from lms.domain import sources
from lms.domain.compiled import CheckResult
from lms.domain.grading import QuestionKey, is_correct, validate_response
from lms.domain.problems import Problem
from tests.factories import REPO

COURSE = "nhan-dien-lua-dao"
OTHER_COURSE = "dung-vneid-dich-vu-cong"
LESSONS = sorted(p.name for p in (REPO / "courses" / COURSE).glob("[0-9][0-9]-*.md"))
# The lessons kept whole: one with an image and links, one linking the quiz; the others are one-line stubs so
# that the links between lessons resolve and the untouched tree is clean (rendering all of them for every
# example would make the run slow without reaching more code).
FULL_LESSONS = [name for name in LESSONS if name.startswith(("03-", "06-"))]
QUIZ = f"quizzes/{COURSE}.md"
PROGRAM = "programs/pho-cap-ky-nang-so-co-ban.md"
TARGETS = {
    "course": f"courses/{COURSE}/course.md",
    "lesson": f"courses/{COURSE}/{FULL_LESSONS[0]}",
    "last_lesson": f"courses/{COURSE}/{FULL_LESSONS[1]}",
    "quiz": QUIZ,
    "program": PROGRAM,
}

FUZZ = settings(derandomize=True, deadline=None, database=None, max_examples=60,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _small_quiz() -> bytes:
    """The demo quiz cut down to its first question of each kind (single, multiple, text, number), drawing 3:
    the same front matter and question syntax, without compiling 23 questions for every example."""
    text = (REPO / QUIZ).read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    questions = ["## " + q for q in body.split("\n## ")]
    questions[0] = questions[0][3:]

    def kind(question: str) -> str:
        answers = [line for line in question.split("\n") if line.startswith(("- (", "- [", "= "))]
        if answers[0].startswith("= "):
            return "number" if answers[0][2:].strip().replace(",", "").isdigit() else "text"
        return "single" if answers[0].startswith("- (") else "multiple"

    firsts: dict[str, str] = {}
    for question in questions:
        firsts.setdefault(kind(question), question)
    assert sorted(firsts) == ["multiple", "number", "single", "text"]
    head = re.sub(r"(?m)^draw: .*$", "draw: 3", head)
    return (head + "\n---\n" + "\n".join(q.rstrip("\n") + "\n" for q in firsts.values())).encode()


SMALL_QUIZ = _small_quiz()


def _build_tree(root: Path) -> None:
    course_dir = root / "courses" / COURSE
    shutil.copytree(REPO / "courses" / COURSE / "images", course_dir / "images")
    shutil.copy(REPO / "courses" / COURSE / "course.md", course_dir / "course.md")
    for name in LESSONS:
        if name in FULL_LESSONS:
            shutil.copy(REPO / "courses" / COURSE / name, course_dir / name)
        else:
            (course_dir / name).write_text(f"---\ntitle: Bài {name[:2]}\n---\nNội dung.\n", encoding="utf-8")
    # the other course the demo program names: a small valid one
    other = root / "courses" / OTHER_COURSE
    other.mkdir()
    (other / "course.md").write_text("---\ntitle: VNeID\ntarget_groups: [1, 2, 3, 4]\nlevel: 2\ncompetencies: [\"1.2\"]\n"
                                     "---\nGiới thiệu.\n", encoding="utf-8")
    (other / "01-bai-mot.md").write_text("---\ntitle: Bài một\n---\nNội dung.\n", encoding="utf-8")
    (root / "quizzes").mkdir()
    (root / QUIZ).write_bytes(SMALL_QUIZ)
    (root / "programs").mkdir()
    shutil.copy(REPO / PROGRAM, root / PROGRAM)


def _original(target: str) -> bytes:
    return SMALL_QUIZ if target == "quiz" else (REPO / TARGETS[target]).read_bytes()


def _assert_reported(root: Path, result: CheckResult) -> None:
    """A clean result, or problems that each name a file of the tree and a line inside it."""
    assert isinstance(result, CheckResult)
    for problem in result.problems:
        assert isinstance(problem, Problem)
        assert isinstance(problem.path, str) and problem.path and not Path(problem.path).is_absolute()
        assert "\n" not in problem.path
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        assert problem.message.strip(), problem
        assert str(problem).startswith(f"{problem.path}:{problem.line}: ")
        where = root / problem.path
        if where.is_file():
            data = where.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            assert problem.line <= data.count(b"\n") + 1, (problem, data.count(b"\n"))
        else:  # a missing course.md is named where it should be
            assert where.parent.is_dir(), problem


def check_with(target: str, data: bytes) -> CheckResult:
    """Write `data` over one file of a fresh valid tree and run what `lms check` runs on it."""
    with tempfile.TemporaryDirectory(prefix="lms-fuzz-") as tmp:
        root = Path(tmp)
        _build_tree(root)
        (root / TARGETS[target]).write_bytes(data)
        result = sources.check([root], root)
        _assert_reported(root, result)
        return result


def test_the_untouched_tree_is_clean() -> None:
    """The baseline the mutations start from passes, so a problem below is caused by the mutation."""
    for target in TARGETS:
        result = check_with(target, _original(target))
        assert result.problems == [], result.problems
        assert sorted(c.slug for c in result.courses) == [OTHER_COURSE, COURSE]


targets = st.sampled_from(sorted(TARGETS))


@FUZZ
@given(target=targets, data=st.binary(max_size=600))
@example(target="course", data=b"")
@example(target="quiz", data=b"\xff\xfe---\n")
@example(target="lesson", data=b"---\r\n\x00\r\n---\r\n")
def test_any_bytes_give_problems_or_a_clean_result(target: str, data: bytes) -> None:
    check_with(target, data)


front_matter_text = st.text(st.characters(codec="utf-8"), max_size=300)


@FUZZ
@given(target=targets, meta=front_matter_text, body=front_matter_text)
def test_any_text_behind_front_matter(target: str, meta: str, body: str) -> None:
    check_with(target, f"---\n{meta}\n---\n{body}".encode("utf-8", "surrogatepass"))


# What trips parsers: each token goes in as a line of its own, at the end of a line, or in place of a
# front-matter value (`key: TOKEN`).
TOKENS = [
    # YAML values that are not what a key expects, and those the YAML library itself fails on
    "2024-02-30", "2025-13-01 10:00:00", "!!int 0b", "!!float abc", "!!timestamp x", "1" + "0" * 5000,
    "[{a: 1}]", "{a: [1, 2]}", "[[1], [2]]", "&a [*a]", "~", "[]", "{}", "true", "-1", "1e999", ".nan",
    '"\\0"', '"a\\0b.md"', "[" * 600, "{" * 600, "? [a]\n: b", "!!binary AAAA", "!!set {a}",
    '"' + "a" * 300 + '.md"', "[" + "a" * 300 + ".md]", "../../../etc/passwd", "/etc/passwd",
    "---", "...", "\t", "  - file: x.md\n    required: maybe", "  - {file: [1]}", "  lessons: -3",
    # Markdown and quiz lines
    "## ", "## Câu hỏi {9.9, }", "## {}", "- (x) Đúng", "- ( ) Sai", "- [x] A", "- [ ]", "= ", "= 12 ± 0,5",
    "= " + "9" * 400, "= mười hai", "> giải thích", "- (y) ?",
    "[liên kết](" + "a" * 300 + ".md)", "![ảnh](" + "b" * 300 + ".png)", "[x](01-khong-co.md#x)",
    "![ảnh](images/khong-co.png)", "![ảnh](../../quizzes/nhan-dien-lua-dao.md)", "[quiz](../../quizzes/x.md)",
    "![svg](images/dia-chi-that-gia.svg)", "[a](%00.md)", "[a](<a b.md>)", "<iframe src=x></iframe>",
    "[a]: " + "c" * 300 + ".md", "!!! note", "```", "| a |\n|---|", "\ufeff", "\u202e", "\r",
]
mutation = st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "flip", "insert", "append", "value"]),
    st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(TOKENS))


def mutate(data: bytes, mutations: list[tuple[str, int, int, str]]) -> bytes:
    """Apply the mutations one after the other to the file's lines (positions taken modulo the size)."""
    lines = data.split(b"\n")
    for op, i, j, token in mutations:
        if not lines:
            lines = [b""]
        i, j, raw = i % len(lines), j % len(lines), token.encode("utf-8")
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "flip" and lines[i]:
            line = bytearray(lines[i])
            line[j % len(line)] ^= 1 << (j % 8)
            lines[i] = bytes(line)
        elif op == "insert":
            lines[i:i] = raw.split(b"\n")
        elif op == "append":
            lines[i] += raw
        elif op == "value":
            # the value of a front-matter key (the lines between the two '---' come first in every file)
            keys = [k for k, line in enumerate(lines[:40]) if b":" in line and not line.startswith((b" ", b"-"))]
            if keys:
                k = keys[i % len(keys)]
                lines[k] = lines[k].split(b":", 1)[0] + b": " + raw
    return b"\n".join(lines)


# Crashes the fuzzer found (fixed in lms/domain/frontmatter.py and lms/domain/content.py), kept as examples:
# a date that does not exist and an integer too long for Python (ValueError from the YAML library), front
# matter nested deeper than the recursion limit, a dict among the target groups (unhashable), and links,
# images and quiz files whose names are too long for the file system or hold a NUL byte.
FOUND = [
    ("course", [("value", 0, 0, "2024-02-30")]),
    ("quiz", [("value", 3, 0, "1" + "0" * 5000)]),
    ("lesson", [("value", 1, 0, "!!int 0b")]),
    ("program", [("value", 2, 0, "[" * 600)]),
    ("course", [("value", 2, 0, "[{a: 1}]")]),
    ("course", [("value", 6, 0, "&a [*a]")]),
    ("lesson", [("insert", 12, 0, "![ảnh](" + "b" * 300 + ".png)")]),
    ("last_lesson", [("insert", 20, 0, "[liên kết](" + "a" * 300 + ".md)")]),
    ("course", [("insert", 8, 0, '  - file: "' + "a" * 300 + '.md"')]),
    ("course", [("insert", 8, 0, '  - file: "a\\0b.md"')]),
]


def _with_found(test: Any) -> Any:
    for target, mutations in FOUND:
        test = example(target=target, mutations=mutations)(test)
    return test


@settings(FUZZ, max_examples=100)
@given(target=targets, mutations=st.lists(mutation, min_size=1, max_size=6))
@_with_found
def test_mutated_demo_files_give_problems_or_a_clean_result(target: str, mutations: list[Any]) -> None:
    check_with(target, mutate(_original(target), mutations))


def test_a_found_crash_is_now_a_problem_at_its_line() -> None:
    """Not only no exception: the bad value is pointed at, at the line of its key."""
    course = _original("course").decode()
    result = check_with("course", course.replace("level: 2", "level: 2024-02-30").encode())
    assert [(p.path, p.line) for p in result.problems] == [(TARGETS["course"], 5)], result.problems
    result = check_with("course", course.replace("target_groups: [1, 2, 3, 4]", "target_groups: [{a: 1}]").encode())
    assert [(p.path, p.line) for p in result.problems] == [(TARGETS["course"], 4)], result.problems


# --- the grader ---------------------------------------------------------------------------------------------

KEYS = [
    QuestionKey(1, "single", ("a", "b", "c"), {"correct": ["b"]}),
    QuestionKey(2, "multiple", ("a", "b", "c", "d"), {"correct": ["a", "c"]}),
    QuestionKey(3, "text", (), {"accepted": ["Mã OTP", "OTP"]}),
    QuestionKey(4, "number", (), {"values": [[12.0, 0.0]]}),
    QuestionKey(5, "number", (), {"values": [[60.0, 4.0], [1e308, 1e308]]}),
]
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.sampled_from(["a", "b", "c", "d"])
           | st.text(st.characters(codec="utf-8"), min_size=400, max_size=700)
           | st.builds(lambda c, n: c * n, st.sampled_from(["9", " ", "ệ", "\u0301", "\ud800", "١"]),
                       st.integers(1, 20_000)))
responses = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                         | st.dictionaries(st.text(max_size=3), inner, max_size=3)
                         | st.tuples(inner, inner), max_leaves=12)
# keys the fuzzer makes up itself: any accepted texts and numbers, including odd floats
made_up_keys = st.builds(
    lambda kind, texts, values: QuestionKey(9, kind, tuple(texts), {"correct": texts[:1], "accepted": texts or ["x"],
                                                                  "values": values}),
    st.sampled_from(["single", "multiple", "text", "number"]), st.lists(st.text(min_size=1), min_size=1, max_size=4),
    st.lists(st.tuples(st.floats(), st.floats()), min_size=1, max_size=3))


def _grade(key: QuestionKey, response: Any, ignore: bool) -> bool | None:
    """What the quiz service does with one response: None when refused, else whether it is right."""
    valid = validate_response(key, response)
    assert isinstance(valid, bool)
    if not valid:
        return None
    graded = is_correct(key, response, ignore)
    assert isinstance(graded, bool)
    return graded


@settings(FUZZ, max_examples=400)
@given(key=st.sampled_from(KEYS) | made_up_keys, response=responses, ignore=st.booleans())
@example(key=KEYS[1], response=[["a"], "c"], ignore=False)
@example(key=KEYS[1], response=[1, "a"], ignore=False)
@example(key=KEYS[3], response="9" * 5000, ignore=False)
@example(key=KEYS[2], response="\ud800", ignore=True)
def test_any_response_is_graded_or_refused(key: QuestionKey, response: Any, ignore: bool) -> None:
    _grade(key, response, ignore)
    # the grader alone is total as well: a response that skipped validation is wrong, not a crash
    assert isinstance(is_correct(key, response, ignore), bool)


@settings(FUZZ, max_examples=100)
@given(response=st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=8))
def test_the_right_options_in_any_order_and_repeats_are_right(response: list[str]) -> None:
    assert _grade(KEYS[1], response, False) is (set(response) == {"a", "c"})
