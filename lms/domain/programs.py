"""Programs ("chương trình phổ cập") on disk -> validated program packages ready to publish; or `path:line`
problems.

A program says, per target group, which courses (and optionally which competencies) a person must hold valid
certificates for to be "đạt phổ cập" in the years it applies, and which VNeID level the person's verification
must have. Layout and format: docs/authoring.md, section 11.

    programs/<code>.md     front matter (title, plan, years, vneid_level, groups) + a Markdown description

The code of a program is its file name without `.md`. Two programs may not cover the same group in the same
year, so "the program of group G in year Y" has one answer (lms.services.programs.live_for).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection

import yaml

from . import frontmatter, markdown_render
from .framework import framework
from .problems import Problem

FORMAT_VERSION = "1"  # part of every program's content hash
PROGRAM_KEYS = {"title", "plan", "years", "vneid_level", "groups"}
GROUP_KEYS = {"courses", "competencies"}
FIRST_YEAR, LAST_YEAR = 2000, 2100
VNEID_LEVELS = (1, 2)
DEFAULT_VNEID_LEVEL = 2
MAX_TITLE, MAX_PLAN = 200, 300  # the columns of program_version
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:[-–]\s*(\d{4})\s*)?$")


@dataclass(frozen=True)
class GroupRequirement:
    """What one target group must hold: every course (by slug), and every competency covered by some
    certificate."""

    group: int
    courses: tuple[str, ...]
    competencies: tuple[str, ...]
    line: int = field(default=0, compare=False)  # of the group's key in the program file


@dataclass(frozen=True)
class CompiledProgram:
    code: str
    title: str
    plan: str
    first_year: int
    last_year: int
    vneid_level: int
    description_html: str
    requirements: tuple[GroupRequirement, ...]  # in group order
    content_hash: str
    path: str = ""  # as problems name it, relative to the content root

    def applies(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def requirement(self, group: int) -> GroupRequirement | None:
        return next((r for r in self.requirements if r.group == group), None)


@dataclass
class ProgramsResult:
    programs: list[CompiledProgram]
    problems: list[Problem]
    failed: set[str]  # codes of program files with problems


def program_files(programs_dir: Path) -> list[Path]:
    """The program files in a `programs/` folder, in name order."""
    return sorted(p for p in programs_dir.glob("*.md") if p.is_file()) if programs_dir.is_dir() else []


def known_courses(courses_dir: Path) -> set[str]:
    """The slugs a program may name: the course folders (with a course.md) in a `courses/` folder."""
    if not courses_dir.is_dir():
        return set()
    return {p.name for p in courses_dir.iterdir() if p.is_dir() and (p / "course.md").is_file()}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 2  # the front matter starts on the file's second line


class _ProgramLoader:
    def __init__(self, path: Path, shown: str, courses: Collection[str]) -> None:
        self.path, self.shown, self.courses = path, shown, courses
        self.code = path.stem
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message))

    def load(self) -> CompiledProgram | None:
        data = self.path.read_bytes()
        digest = hashlib.sha256(FORMAT_VERSION.encode() + b"\0" + data)
        text, problems = frontmatter.decode(self.shown, data)
        self.problems += problems
        if not _SLUG.match(self.code):
            self.problem(1, f"tên tệp chương trình '{self.path.name}' chỉ được gồm chữ thường không dấu, số và dấu '-' "
                            "(program file name must be a lowercase slug)")
        doc, problems = frontmatter.parse(self.shown, text)
        self.problems += problems
        if doc is None:
            return None
        reader = frontmatter.Reader(self.shown, doc, self.problems)
        reader.reject_unknown(PROGRAM_KEYS)
        self._duplicate_keys(doc.node)
        title = self._short(reader, "title", reader.text("title", required=True), MAX_TITLE)
        plan = self._short(reader, "plan", reader.text("plan"), MAX_PLAN)
        first, last = self._years(reader)
        level = self._level(reader)
        requirements = self._groups(reader, doc)
        html = markdown_render.render(doc.body, self._resolver(doc))
        return CompiledProgram(self.code, title, plan, first, last, level, html, requirements, digest.hexdigest(),
                               self.shown)

    @staticmethod
    def _short(reader: frontmatter.Reader, key: str, value: str, limit: int) -> str:
        if len(value) > limit:
            reader.problem(key, f"'{key}' dài hơn {limit} ký tự ({key} is longer than {limit} characters)")
        return value[:limit]

    def _duplicate_keys(self, node: Any) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        seen: set[str] = set()
        for key, _ in node.value:
            if key.value in seen:
                self.problem(_line(key), f"khóa '{key.value}' bị khai báo hai lần (duplicate key)")
            seen.add(key.value)

    def _years(self, reader: frontmatter.Reader) -> tuple[int, int]:
        value = reader.doc.meta.get("years")
        bad = (f"'years' phải là một năm (2025) hoặc một khoảng năm (2025-2026) từ {FIRST_YEAR} đến {LAST_YEAR} "
               "(years must be a year or a range of years)")
        if value is None:
            self.problem(1, "thiếu 'years' (missing years)")
            return 0, 0
        match = _YEARS.match(str(value)) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
        if match is None:
            reader.problem("years", bad)
            return 0, 0
        first, last = int(match[1]), int(match[2] or match[1])
        if not FIRST_YEAR <= first <= last <= LAST_YEAR:
            reader.problem("years", bad)
            return 0, 0
        return first, last

    def _level(self, reader: frontmatter.Reader) -> int:
        value = reader.doc.meta.get("vneid_level", DEFAULT_VNEID_LEVEL)
        if isinstance(value, bool) or value not in VNEID_LEVELS:
            reader.problem("vneid_level", "'vneid_level' phải là 1 hoặc 2 (mức tài khoản định danh điện tử) "
                                          "(vneid_level must be 1 or 2)")
            return DEFAULT_VNEID_LEVEL
        return int(value)

    def _groups(self, reader: frontmatter.Reader, doc: frontmatter.Document) -> tuple[GroupRequirement, ...]:
        node = next((v for k, v in doc.node.value if k.value == "groups"), None) \
            if isinstance(doc.node, yaml.MappingNode) else None
        valid = {g.code for g in framework().target_groups}
        needs = (f"'groups' phải liệt kê từng nhóm đối tượng ({', '.join(sorted(valid))}) với 'courses' và/hoặc "
                 "'competencies' (groups must map group codes to courses and/or competencies)")
        if node is None:
            self.problem(1, "thiếu 'groups' (missing groups)")
            return ()
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self.problem(_line(node), needs)
            return ()
        requirements: dict[int, GroupRequirement] = {}
        for key, value in node.value:
            code = str(key.value).strip()
            if code not in valid:
                self.problem(_line(key), f"nhóm đối tượng '{code}' không có; các mã nhóm là {', '.join(sorted(valid))} "
                                         "(unknown target group)")
                continue
            if int(code) in requirements:
                self.problem(_line(key), f"nhóm đối tượng {code} bị khai báo hai lần (duplicate group)")
                continue
            requirement = self._group(int(code), key, value)
            if requirement is not None:
                requirements[int(code)] = requirement
        return tuple(requirements[g] for g in sorted(requirements))

    def _group(self, group: int, key: yaml.Node, node: yaml.Node) -> GroupRequirement | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(_line(key), f"nhóm {group} cần 'courses' và/hoặc 'competencies' "
                                     "(a group needs courses and/or competencies)")
            return None
        lists: dict[str, list[tuple[str, int]]] = {}
        malformed = False
        for sub, items in node.value:
            name = str(sub.value)
            if name not in GROUP_KEYS:
                self.problem(_line(sub), f"khóa '{name}' không được hỗ trợ trong nhóm (unknown key; allowed: "
                                         f"{', '.join(sorted(GROUP_KEYS))})")
                continue
            if name in lists:
                self.problem(_line(sub), f"khóa '{name}' bị khai báo hai lần (duplicate key)")
                continue
            if not isinstance(items, yaml.SequenceNode) or any(not isinstance(i, yaml.ScalarNode) for i in items.value):
                self.problem(_line(sub), f"'{name}' phải là một danh sách, ví dụ [a, b] ({name} must be a list)")
                malformed = True
                continue
            lists[name] = [(str(i.value).strip(), _line(i)) for i in items.value]
        courses = self._items(lists.get("courses", []), self._course_problem, "khóa học")
        competencies = self._items(lists.get("competencies", []), self._competency_problem, "mã năng lực")
        if malformed:
            return None
        if not lists.get("courses") and not lists.get("competencies"):
            self.problem(_line(key), f"nhóm {group} cần ít nhất một khóa học trong 'courses' hoặc một mã năng lực trong "
                                     "'competencies' (a group needs at least one course or competency)")
            return None
        return GroupRequirement(group, courses, competencies, _line(key))

    def _items(self, items: list[tuple[str, int]], check: Any, what: str) -> tuple[str, ...]:
        seen: list[str] = []
        for value, line in items:
            why = check(value)
            if why:
                self.problem(line, why)
            elif value in seen:
                self.problem(line, f"{what} '{value}' bị khai báo hai lần trong nhóm (duplicate)")
            else:
                seen.append(value)
        return tuple(seen)

    def _course_problem(self, slug: str) -> str | None:
        if slug in self.courses:
            return None
        return f"không có khóa học '{slug}' trong courses/ (unknown course slug)"

    def _competency_problem(self, code: str) -> str | None:
        if code in framework().competencies:
            return None
        return f"mã năng lực không có trong khung TT 02/2025: '{code}' (unknown competency code)"

    def _resolver(self, doc: frontmatter.Document) -> markdown_render.Resolver:
        def resolve(kind: str, url: str) -> str | None:
            line = next((doc.body_line + i for i, text in enumerate(doc.body.split("\n")) if url in text),
                        doc.body_line)
            self.problem(line, f"phần mô tả chương trình không được có liên kết tương đối hay hình ảnh '{url}' "
                               "(a program's description may not link to files or show images)")
            return None
        return resolve


def load(files: list[tuple[Path, str]], courses: Collection[str]) -> ProgramsResult:
    """Load and check these program files (path, as problems name it) against the known course slugs; two
    programs covering one group in one year are a problem in the later file, at that group's line."""
    programs, problems, failed = [], [], set()
    for path, shown in files:
        loader = _ProgramLoader(path, shown, courses)
        program = loader.load()
        problems += loader.problems
        if program is None or loader.problems:
            failed.add(path.stem)
        else:
            programs.append(program)
    overlaps = overlapping(programs)
    problems += overlaps
    bad = {p.path for p in overlaps}
    failed |= {p.code for p in programs if p.path in bad}
    return ProgramsResult([p for p in programs if p.path not in bad], sorted(set(problems)), failed)


def overlapping(programs: list[CompiledProgram]) -> list[Problem]:
    """A problem for each program that covers a group in a year another program (earlier by code) already
    covers."""
    problems = []
    taken: dict[tuple[int, int], CompiledProgram] = {}
    for program in sorted(programs, key=lambda p: p.code):
        clashes: dict[int, tuple[CompiledProgram, int]] = {}
        for requirement in program.requirements:
            for year in range(program.first_year, program.last_year + 1):
                other = taken.get((requirement.group, year))
                if other is not None and requirement.group not in clashes:
                    clashes[requirement.group] = (other, year)
        for group, (other, year) in sorted(clashes.items()):
            line = next(r.line for r in program.requirements if r.group == group)
            problems.append(Problem(program.path, line,
                                    f"nhóm {group} năm {year} đã thuộc chương trình '{other.code}' ({other.path}): mỗi "
                                    "nhóm mỗi năm chỉ một chương trình (two programs for one group in one year)"))
        if not clashes:
            for requirement in program.requirements:
                for year in range(program.first_year, program.last_year + 1):
                    taken[(requirement.group, year)] = program
    return problems
