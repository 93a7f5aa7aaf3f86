"""The Markdown quiz format: parse a quiz file into questions, or into `path:line` problems.

    ## Prompt {4.2}          a question (optional competency codes in braces)
    - ( ) / - (x)            single choice, exactly one correct
    - [ ] / - [x]            multiple choice, at least one correct
    = answer                 accepted text answer (several lines allowed)
    = 12  or  = 3.5 ± 0.5    numeric answer, with an optional tolerance
    > explanation            shown after grading
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import frontmatter
from .framework import framework
from .problems import Problem

KINDS = ("single", "multiple", "text", "number")
QUIZ_KEYS = {"title", "pass", "attempts", "draw", "competencies", "diacritics", "shuffle"}

_HEADING = re.compile(r"^##\s+(?P<text>.*?)\s*(?:\{(?P<codes>[^}]*)\})?\s*$")
_SINGLE = re.compile(r"^[-*]\s+\((?P<mark>[ xX]?)\)\s+(?P<text>.+)$")
_MULTI = re.compile(r"^[-*]\s+\[(?P<mark>[ xX]?)\]\s+(?P<text>.+)$")
_ANSWER = re.compile(r"^=\s*(?P<text>.*)$")
_EXPLAIN = re.compile(r"^>\s?(?P<text>.*)$")
_NUMBER = re.compile(r"^(?P<value>[-+]?\d+(?:[.,]\d+)?)\s*(?:(?:±|\+-|\+/-)\s*(?P<tol>\d+(?:[.,]\d+)?))?$")


@dataclass
class ParsedQuestion:
    line: int
    prompt: str  # Markdown: the heading text plus any body lines
    kind: str = ""
    options: list[tuple[str, bool]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    values: list[tuple[float, float]] = field(default_factory=list)
    explanation: str = ""
    competencies: tuple[str, ...] = ()


@dataclass
class ParsedQuiz:
    path: str
    slug: str
    title: str
    pass_percent: int
    max_attempts: int
    draw: int
    competencies: tuple[str, ...]
    ignore_diacritics: bool
    shuffle: bool
    intro: str
    questions: list[ParsedQuestion]


def parse_number(text: str) -> float | None:
    """A learner's or teacher's number: '12', '12,5', '12.5', '1 000' (spaces between digits ignored)."""
    cleaned = re.sub(r"(?<=\d)\s+(?=\d)", "", text.strip())
    if re.fullmatch(r"[-+]?\d+(?:[.,]\d+)?", cleaned):
        return float(cleaned.replace(",", "."))
    return None


def _pass_percent(reader: frontmatter.Reader) -> int:
    raw = reader.doc.meta.get("pass", "100%")
    text = str(raw).strip()
    match = re.fullmatch(r"(\d{1,3})\s*%?", text)
    if not match or not 0 < int(match.group(1)) <= 100:
        reader.problem("pass", f"'pass' phải là phần trăm từ 1% đến 100%, ví dụ 80% (pass must be a percentage), không phải {raw!r}")
        return 100
    return int(match.group(1))


def parse_quiz(path: str, text: str, slug: str) -> tuple[ParsedQuiz | None, list[Problem]]:
    """Parse one quiz file; returns the quiz (None on a fatal front-matter error) and every problem found."""
    doc, problems = frontmatter.parse(path, text)
    if doc is None:
        return None, problems
    known = set(framework().competencies)
    reader = frontmatter.Reader(path, doc, problems)
    reader.reject_unknown(QUIZ_KEYS)
    title = reader.text("title", required=True)
    pass_percent = _pass_percent(reader)
    max_attempts = reader.integer("attempts", 0, 100, default=0)
    competencies = reader.codes("competencies", known)
    ignore = reader.choice("diacritics", ("match", "ignore"), "match") == "ignore"
    shuffle = reader.boolean("shuffle", True)

    questions, intro = _parse_body(path, doc.body, doc.body_line, known, competencies, problems)
    if not questions:
        problems.append(Problem(path, doc.body_line, "tệp không có câu hỏi nào ('## ...') (no questions)"))
    draw = reader.integer("draw", 1, 10_000, default=len(questions) or 1)
    if questions and draw > len(questions):
        reader.problem("draw", f"'draw: {draw}' lớn hơn số câu hỏi trong ngân hàng ({len(questions)}) "
                               f"(draw is larger than the pool)")
    quiz = ParsedQuiz(path, slug, title, pass_percent, max_attempts, min(draw, len(questions)), competencies,
                      ignore, shuffle, intro, questions)
    return quiz, problems


def _parse_body(path: str, body: str, first_line: int, known: set[str], default_codes: tuple[str, ...],
                problems: list[Problem]) -> tuple[list[ParsedQuestion], str]:
    questions: list[ParsedQuestion] = []
    intro: list[str] = []
    current: ParsedQuestion | None = None
    prompt_lines: list[str] = []
    explanation: list[str] = []
    started = False  # options or answers have begun in the current question

    def finish() -> None:
        if current is not None:
            current.prompt = "\n".join([current.prompt, *prompt_lines]).strip()
            current.explanation = "\n".join(explanation).strip()
            _check_question(path, current, problems)
            questions.append(current)

    for number, line in enumerate(body.split("\n"), start=first_line):
        stripped = line.strip()
        heading = _HEADING.match(stripped) if stripped.startswith("## ") else None
        if heading:
            finish()
            current, prompt_lines, explanation, started = ParsedQuestion(number, heading["text"]), [], [], False
            codes = default_codes
            if heading["codes"] is not None:
                codes = tuple(c.strip() for c in heading["codes"].split(",") if c.strip())
                for code in codes:
                    if code not in known:
                        problems.append(Problem(path, number, f"mã năng lực không có trong khung TT 02/2025: "
                                                              f"'{code}' (unknown competency code)"))
            current.competencies = tuple(c for c in codes if c in known)
            if not heading["text"]:
                problems.append(Problem(path, number, "câu hỏi không có nội dung (empty question)"))
            continue
        if current is None:
            intro.append(line)
            continue
        single, multi = _SINGLE.match(stripped), _MULTI.match(stripped)
        answer, explain = _ANSWER.match(stripped), _EXPLAIN.match(stripped)
        if single or multi:
            kind = "single" if single else "multiple"
            match = single or multi
            assert match is not None
            if current.kind in ("", kind):
                current.kind = kind
            else:
                problems.append(Problem(path, number, "không được trộn các loại đáp án trong một câu hỏi "
                                                      "(do not mix answer kinds in one question)"))
            current.options.append((match["text"].strip(), match["mark"] in ("x", "X")))
            started = True
        elif answer:
            _add_answer(path, number, current, answer["text"].strip(), problems)
            started = True
        elif explain and (started or explanation):
            explanation.append(explain["text"])
        elif not stripped:
            if explanation:
                explanation.append("")
        elif not started:
            prompt_lines.append(line)
        else:
            problems.append(Problem(path, number, f"dòng không hiểu được trong câu hỏi: {stripped[:40]!r} "
                                                  "(unrecognised line; expected '- ( )', '- [ ]', '= ' or '> ')"))
    finish()
    return questions, "\n".join(intro).strip()


def _add_answer(path: str, number: int, question: ParsedQuestion, text: str, problems: list[Problem]) -> None:
    if not text:
        problems.append(Problem(path, number, "đáp án trống sau '=' (empty answer)"))
        return
    match = _NUMBER.match(text)
    kind = "number" if match else "text"
    if question.kind in ("text", "number") and question.kind != kind:
        # "= 12" beside "= mười hai": treat the question as text and keep both as accepted texts.
        if question.kind == "number":
            question.accepted = [f"{v:g}" for v, _ in question.values]
            question.values = []
        question.kind = "text"
        kind = "text"
    elif question.kind in ("single", "multiple"):
        problems.append(Problem(path, number, "không được trộn các loại đáp án trong một câu hỏi "
                                              "(do not mix answer kinds in one question)"))
        return
    else:
        question.kind = kind
    if kind == "number" and match:
        value = float(match["value"].replace(",", "."))
        tolerance = float(match["tol"].replace(",", ".")) if match["tol"] else 0.0
        question.values.append((value, tolerance))
    else:
        question.accepted.append(text)


def _check_question(path: str, q: ParsedQuestion, problems: list[Problem]) -> None:
    correct = sum(1 for _, ok in q.options if ok)
    if not q.kind:
        problems.append(Problem(path, q.line, "câu hỏi không có lựa chọn hay đáp án nào (question has no options "
                                              "or answers)"))
    elif q.kind == "single":
        if correct != 1:
            problems.append(Problem(path, q.line, f"câu hỏi một lựa chọn phải có đúng 1 đáp án đúng '(x)', "
                                                  f"đang có {correct} (single choice needs exactly one correct option)"))
    elif q.kind == "multiple" and correct == 0:
        problems.append(Problem(path, q.line, "câu hỏi nhiều lựa chọn phải có ít nhất 1 đáp án đúng '[x]' "
                                              "(multiple choice needs at least one correct option)"))
    if q.kind in ("single", "multiple") and len(q.options) < 2:
        problems.append(Problem(path, q.line, "câu hỏi trắc nghiệm cần ít nhất 2 lựa chọn (needs at least two options)"))
