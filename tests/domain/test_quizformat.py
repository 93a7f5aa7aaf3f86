"""The Markdown quiz format: every question kind parses, and every mistake is reported at its own line."""
from __future__ import annotations

import pytest

from lms.domain.problems import Problem
from lms.domain.quizformat import ParsedQuiz, parse_number, parse_quiz

PATH = "quizzes/q.md"


def quiz_text(*lines: str) -> str:
    """A quiz file whose line N is `lines[N - 1]`, so expected line numbers can be read off the test."""
    return "\n".join(lines) + "\n"


def parse_ok(text: str) -> ParsedQuiz:
    quiz, problems = parse_quiz(PATH, text, "q")
    assert problems == []
    assert quiz is not None
    return quiz


def problem_lines(text: str) -> list[int]:
    _, problems = parse_quiz(PATH, text, "q")
    assert all(p.path == PATH for p in problems)
    return [p.line for p in problems]


FULL = quiz_text(
    "---",                                   # 1
    "title: Kiểm tra",                       # 2
    "pass: 80%",                             # 3
    "attempts: 3",                           # 4
    "draw: 4",                               # 5
    'competencies: ["4.2", "2.1"]',          # 6
    "diacritics: ignore",                    # 7
    "shuffle: false",                        # 8
    "---",                                   # 9
    "Đọc kỹ từng câu.",                      # 10
    "",                                      # 11
    "## Tin nhắn nào là lừa đảo? {1.2}",     # 12
    "- ( ) Tin nhắn báo số dư",              # 13
    "- (x) Tin nhắn báo trúng thưởng",       # 14
    "- ( ) Tin nhắn nhắc tiền điện",         # 15
    "> Trúng thưởng kèm link là chiêu quen.",  # 16
    "> Đừng bấm vào link lạ.",               # 17
    "",                                      # 18
    "## Chọn mọi mật khẩu mạnh",             # 19
    "- [x] Cụm từ dài",                      # 20
    "- [ ] 123456",                          # 21
    "- [X] Mật khẩu riêng cho mỗi trang",    # 22
    "",                                      # 23
    "## Mã dùng một lần gọi là gì? {4.2, 2.1}",  # 24
    "Gõ 3 chữ cái.",                         # 25
    "= OTP",                                 # 26
    "= mã OTP",                              # 27
    "> One-Time Password.",                  # 28
    "",                                      # 29
    "## Lãi 2% mỗi ngày, 30 ngày là bao nhiêu phần trăm?",  # 30
    "= 60 ± 4",                              # 31
)


def test_front_matter_settings() -> None:
    """Title, pass mark, attempts, draw, competencies, diacritics and shuffle are read from front matter."""
    quiz = parse_ok(FULL)
    assert (quiz.title, quiz.pass_percent, quiz.max_attempts, quiz.draw) == ("Kiểm tra", 80, 3, 4)
    assert quiz.competencies == ("4.2", "2.1")
    assert quiz.ignore_diacritics is True
    assert quiz.shuffle is False
    assert quiz.intro == "Đọc kỹ từng câu."
    assert quiz.slug == "q" and quiz.path == PATH


def test_every_kind_parses() -> None:
    """Single, multiple, text and number questions get their kind, options, answers and heading lines."""
    single, multiple, text, number = parse_ok(FULL).questions
    assert (single.kind, single.line, single.prompt) == ("single", 12, "Tin nhắn nào là lừa đảo?")
    assert single.options == [("Tin nhắn báo số dư", False), ("Tin nhắn báo trúng thưởng", True),
                              ("Tin nhắn nhắc tiền điện", False)]
    assert (multiple.kind, multiple.line) == ("multiple", 19)
    assert multiple.options == [("Cụm từ dài", True), ("123456", False),
                                ("Mật khẩu riêng cho mỗi trang", True)]
    assert (text.kind, text.line) == ("text", 24)
    assert text.accepted == ["OTP", "mã OTP"]
    assert text.prompt == "Mã dùng một lần gọi là gì?\nGõ 3 chữ cái."
    assert (number.kind, number.line) == ("number", 30)
    assert number.values == [(60.0, 4.0)]


def test_explanations() -> None:
    """`>` lines after the answers become the explanation, several lines kept together."""
    single, multiple, text, number = parse_ok(FULL).questions
    assert single.explanation == "Trúng thưởng kèm link là chiêu quen.\nĐừng bấm vào link lạ."
    assert multiple.explanation == ""
    assert text.explanation == "One-Time Password."
    assert number.explanation == ""


def test_per_question_competencies_override_the_quiz_default() -> None:
    """`{1.2}` on a heading replaces the quiz's codes; a heading without braces inherits them."""
    single, multiple, text, number = parse_ok(FULL).questions
    assert single.competencies == ("1.2",)
    assert multiple.competencies == ("4.2", "2.1")
    assert text.competencies == ("4.2", "2.1")
    assert number.competencies == ("4.2", "2.1")


@pytest.mark.parametrize(("answers", "values"), [
    (["= 12"], [(12.0, 0.0)]),
    (["= 12,5"], [(12.5, 0.0)]),
    (["= -3.5"], [(-3.5, 0.0)]),
    (["= 3,5 ± 0,5"], [(3.5, 0.5)]),
    (["= 60 +- 4"], [(60.0, 4.0)]),
    (["= 60 +/- 4"], [(60.0, 4.0)]),
    (["= 60±4"], [(60.0, 4.0)]),
    (["= 113", "= 114 ± 1"], [(113.0, 0.0), (114.0, 1.0)]),
])
def test_number_answers(answers: list[str], values: list[tuple[float, float]]) -> None:
    """Numeric answers, with or without a tolerance, several allowed, comma or point decimals."""
    quiz = parse_ok(quiz_text("---", "title: T", "---", "## Bao nhiêu?", *answers))
    (question,) = quiz.questions
    assert question.kind == "number"
    assert question.values == values


def test_number_beside_text_answer_becomes_text() -> None:
    """`= 12` next to `= mười hai` keeps both as accepted texts."""
    quiz = parse_ok(quiz_text("---", "title: T", "---", "## Bao nhiêu tháng?", "= 12", "= mười hai"))
    (question,) = quiz.questions
    assert question.kind == "text"
    assert question.accepted == ["12", "mười hai"]
    assert question.values == []


def test_defaults() -> None:
    """Without settings: pass 100%, unlimited attempts, draw = the whole pool, diacritics count, shuffled."""
    quiz = parse_ok(quiz_text("---", "title: T", "---", "## A", "= a", "## B", "= b"))
    assert (quiz.pass_percent, quiz.max_attempts, quiz.draw) == (100, 0, 2)
    assert quiz.ignore_diacritics is False and quiz.shuffle is True
    assert quiz.competencies == ()


@pytest.mark.parametrize(("value", "percent"), [
    ("80%", 80), ("80", 80), ("100%", 100), ("1%", 1), ("'75 %'", 75)])
def test_pass_values(value: str, percent: int) -> None:
    """`pass` accepts a percentage with or without the sign."""
    quiz = parse_ok(quiz_text("---", "title: T", f"pass: {value}", "---", "## A", "= a"))
    assert quiz.pass_percent == percent


def test_asterisk_bullets_and_bom() -> None:
    """`*` bullets work like `-`, and a UTF-8 byte-order mark is ignored."""
    quiz = parse_ok("\ufeff" + quiz_text("---", "title: T", "---", "## A", "* ( ) x", "* (x) y"))
    assert quiz.questions[0].options == [("x", False), ("y", True)]


# Each case: the quiz lines and the exact lines the problems must point at.
ERRORS: dict[str, tuple[list[str], list[int]]] = {
    "bad yaml: indented key": (["---", "title: T", "  bad: indent", "---", "## A", "= a"], [3]),
    "bad yaml: two colons": (["---", "title: T", "pass: 80%", "note: a: b", "---", "## A", "= a"], [4]),
    "bad yaml: stray list item": (["---", "title: T", "pass: 80%", "- x", "---", "## A", "= a"], [4]),
    "front matter not a mapping": (["---", "- a", "- b", "---", "## A", "= a"], [2]),
    "no front matter": (["## A", "= a"], [1]),
    "front matter not closed": (["---", "title: T", "## A", "= a"], [1]),
    "missing title": (["---", "pass: 80%", "---", "## A", "= a"], [1]),
    "empty title": (["---", "pass: 80%", "title: ''", "---", "## A", "= a"], [3]),
    "unknown competency in front matter": (["---", "title: T", 'competencies: ["4.2", "9.9"]', "---",
                                            "## A", "= a"], [3]),
    "unknown competency in a block list": (["---", "title: T", "competencies:", '  - "4.2"', '  - "9.9"',
                                            "---", "## A", "= a"], [5]),
    "unknown competency on a heading": (["---", "title: T", "---", "## A", "= a", "", "## B {4.2, 9.9}",
                                         "= b"], [7]),
    "single choice, none correct": (["---", "title: T", "---", "## A", "= a", "## B", "- ( ) x", "- ( ) y"],
                                    [6]),
    "single choice, two correct": (["---", "title: T", "---", "## A", "- (x) x", "- (x) y", "- ( ) z"], [4]),
    "single choice, one option": (["---", "title: T", "---", "## A", "- (x) x"], [4]),
    "multiple choice, none correct": (["---", "title: T", "---", "## A", "= a", "", "## B", "- [ ] x",
                                       "- [ ] y"], [7]),
    "draw larger than pool": (["---", "title: T", "pass: 50%", "draw: 3", "---", "## A", "= a", "## B",
                               "= b"], [4]),
    "mixing single and multiple": (["---", "title: T", "---", "## A", "- (x) x", "- [ ] y"], [6]),
    "mixing options and an answer": (["---", "title: T", "---", "## A", "- (x) x", "- ( ) y", "= z"], [7]),
    "mixing an answer and options": (["---", "title: T", "---", "## A", "= z", "- (x) x"], [6]),
    "unrecognised line": (["---", "title: T", "---", "## A", "- (x) x", "- ( ) y", "Đây là gì?"], [7]),
    "bad pass: too high": (["---", "title: T", "pass: 150%", "---", "## A", "= a"], [3]),
    "bad pass: zero": (["---", "title: T", "attempts: 2", "pass: 0%", "---", "## A", "= a"], [4]),
    "bad pass: words": (["---", "title: T", "pass: tám mươi", "---", "## A", "= a"], [3]),
    "bad attempts": (["---", "title: T", "attempts: -1", "---", "## A", "= a"], [3]),
    "bad diacritics": (["---", "title: T", "diacritics: maybe", "---", "## A", "= a"], [3]),
    "bad shuffle": (["---", "title: T", "shuffle: 2", "---", "## A", "= a"], [3]),
    "unknown key": (["---", "title: T", "passmark: 80%", "---", "## A", "= a"], [3]),
    "empty answer": (["---", "title: T", "---", "## A", "= a", "="], [6]),
    "question without answers": (["---", "title: T", "---", "## A", "= a", "## B", "Chỉ có lời."], [6]),
    "no questions": (["---", "title: T", "---", "Chỉ có lời giới thiệu."], [4]),
}


@pytest.mark.parametrize(("lines", "expected"), list(ERRORS.values()), ids=list(ERRORS))
def test_error_lines(lines: list[str], expected: list[int]) -> None:
    """Each mistake yields exactly the expected problems, at the right `path:line`."""
    assert problem_lines(quiz_text(*lines)) == expected


def test_several_problems_are_all_reported() -> None:
    """Problems do not stop at the first one: every bad question is listed."""
    text = quiz_text("---", "title: T", "pass: 200%", "---",
                     "## A {9.9}", "- (x) x", "- (x) y",
                     "## B", "- [ ] x", "- [ ] y")
    assert problem_lines(text) == [3, 5, 5, 8]


def test_messages_name_the_problem() -> None:
    """Messages are bilingual and render as `path:line: message`."""
    _, problems = parse_quiz(PATH, quiz_text("---", "title: T", "draw: 5", "---", "## A", "= a"), "q")
    assert [str(p) for p in problems] == [
        f"{PATH}:3: 'draw: 5' lớn hơn số câu hỏi trong ngân hàng (1) (draw is larger than the pool)"]
    _, problems = parse_quiz(PATH, quiz_text("---", "title: T", "---", "## A {9.9}", "= a"), "q")
    assert problems == [
        Problem(PATH, 4, "mã năng lực không có trong khung TT 02/2025: '9.9' (unknown competency code)")]


def test_bad_yaml_returns_no_quiz() -> None:
    """A YAML error is fatal: no quiz is returned, only the problem."""
    quiz, problems = parse_quiz(PATH, quiz_text("---", "title: [T", "---", "## A", "= a"), "q")
    assert quiz is None
    assert len(problems) == 1 and "YAML" in problems[0].message


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12.0), (" 12 ", 12.0), ("12,0", 12.0), ("12.0", 12.0), ("12,5", 12.5), ("-3", -3.0), ("+3", 3.0),
    ("1 000", 1000.0), ("abc", None), ("12a", None), ("", None), ("1,2,3", None), ("12.", None),
])
def test_parse_number(text: str, value: float | None) -> None:
    """Learners' numbers accept a decimal comma or point and spaces between digit groups."""
    assert parse_number(text) == value
