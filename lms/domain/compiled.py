"""What the content loader produces: rendered, validated course packages ready to publish (no I/O here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import markdown_render
from .problems import Problem
from .programs import CompiledProgram
from .quizformat import ParsedQuiz


@dataclass
class CompiledQuestion:
    kind: str
    prompt_html: str
    options: list[dict[str, str]]
    answer: dict[str, Any]
    explanation_html: str
    competencies: list[str]


@dataclass
class CompiledQuiz:
    slug: str
    title: str
    intro_html: str
    pass_percent: int
    max_attempts: int
    draw: int
    required: bool
    shuffle: bool
    ignore_diacritics: bool
    competencies: list[str]
    questions: list[CompiledQuestion]


@dataclass
class CompiledLesson:
    slug: str
    title: str
    html: str
    text: str
    competencies: list[str]
    minutes: int


@dataclass
class CompiledCourse:
    slug: str
    title: str
    summary: str
    intro_html: str
    level: int
    target_groups: list[int]
    competencies: list[str]
    minutes: int
    completion: dict[str, Any]
    lessons: list[CompiledLesson]
    quizzes: list[CompiledQuiz]
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha256 -> (mime, data)
    content_hash: str = ""


@dataclass
class CheckResult:
    courses: list[CompiledCourse]
    quizzes: int
    problems: list[Problem]
    failed_slugs: set[str]
    programs: list[CompiledProgram] = field(default_factory=list)
    failed_programs: set[str] = field(default_factory=set)  # codes of programs with problems, or needing a failed course


def compile_quiz(quiz: ParsedQuiz, required: bool) -> CompiledQuiz:
    """Render a parsed quiz's Markdown and turn its answers into the stored key."""
    questions = []
    for q in quiz.questions:
        options = [{"key": chr(ord("a") + i), "html": markdown_render.inline(text)} for i, (text, _) in enumerate(q.options)]
        if q.kind in ("single", "multiple"):
            answer: dict[str, Any] = {"correct": [o["key"] for o, (_, ok) in zip(options, q.options) if ok]}
        elif q.kind == "text":
            answer = {"accepted": list(q.accepted)}
        else:
            answer = {"values": [list(v) for v in q.values]}
        questions.append(CompiledQuestion(q.kind, markdown_render.render(q.prompt), options, answer,
                                          markdown_render.render(q.explanation), list(q.competencies)))
    return CompiledQuiz(quiz.slug, quiz.title, markdown_render.render(quiz.intro), quiz.pass_percent,
                        quiz.max_attempts, quiz.draw, required, quiz.shuffle, quiz.ignore_diacritics,
                        list(quiz.competencies), questions)
