"""Courses on disk -> validated, rendered, hashed course packages ready to publish; or `path:line` problems.

Layout (see docs/authoring.md):
    courses/<slug>/course.md        front matter + introduction
    courses/<slug>/NN-<lesson>.md   lessons, in NN order
    courses/<slug>/images/...       images referenced from lessons
    quizzes/<quiz>.md               quizzes, attached to a course in its front matter

Published pages use relative URLs so nothing here depends on the web layer: the course page is
`/courses/<slug>/`, a lesson `/courses/<slug>/<lesson>`, a quiz `/courses/<slug>/quiz/<quiz>` and an image
`/media/<sha256><ext>`.
"""
from __future__ import annotations

import hashlib
import html as htmllib
import re
from pathlib import Path
from typing import Any

from . import frontmatter, markdown_render, programs as programs_format
from .compiled import (CheckResult, CompiledCourse, CompiledLesson, CompiledQuestion, CompiledQuiz,
                       compile_quiz)
from .framework import framework
from .problems import Problem
from .quizformat import ParsedQuiz, parse_quiz

__all__ = ["CheckResult", "CompiledCourse", "CompiledLesson", "CompiledQuestion", "CompiledQuiz", "compile_quiz",
           "load", "plain_text"]

FORMAT_VERSION = "1"  # part of every content hash: bump when rendering changes
COURSE_KEYS = {"title", "summary", "target_groups", "level", "competencies", "minutes", "quizzes", "completion"}
LESSON_KEYS = {"title", "minutes", "competencies"}
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".svg": "image/svg+xml"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024
RESERVED_SLUGS = {"quiz", "done", "enrol"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LESSON_FILE = re.compile(r"^(?P<num>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
_TAG = re.compile(r"<[^>]+>")


def _is_file(path: Path) -> bool:
    """`path.is_file()` for a name written by a teacher: a name too long for the file system (ENAMETOOLONG) or
    holding a NUL byte is no file, not an exception."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _resolve(path: Path) -> Path:
    """`path.resolve()` that keeps a path it cannot resolve (a NUL byte in it) as it is."""
    try:
        return path.resolve()
    except (OSError, ValueError):
        return path


def plain_text(html: str) -> str:
    """Visible text of rendered HTML, for search and snippets."""
    return re.sub(r"\s+", " ", htmllib.unescape(_TAG.sub(" ", html))).strip()


class _CourseLoader:
    """Loads one course folder; collects problems instead of stopping at the first."""

    def __init__(self, root: Path, course_dir: Path, quiz_cache: dict[Path, tuple[ParsedQuiz | None, list[Problem]]]):
        self.root, self.dir, self.quiz_cache = root, course_dir, quiz_cache
        self.slug = course_dir.name
        self.problems: list[Problem] = []
        self.hash = hashlib.sha256(FORMAT_VERSION.encode())
        self.assets: dict[str, tuple[str, bytes]] = {}
        self.lesson_files: dict[str, str] = {}  # file name -> lesson slug
        self.quiz_files: dict[Path, str] = {}  # resolved quiz path -> quiz slug

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def read(self, path: Path) -> str:
        data = path.read_bytes()
        self.hash.update(self.rel(path).encode() + b"\0" + data + b"\0")
        text, problems = frontmatter.decode(self.rel(path), data)
        self.problems += problems
        return text

    def load(self) -> CompiledCourse | None:
        course_md = self.dir / "course.md"
        rel = self.rel(course_md)
        if not _SLUG.match(self.slug):
            self.problems.append(Problem(rel, 1, f"tên thư mục khóa học '{self.slug}' chỉ được gồm chữ thường không dấu, "
                                                 "số và dấu '-' (course folder name must be a lowercase slug)"))
        if not course_md.is_file():
            self.problems.append(Problem(rel, 1, "thiếu tệp course.md (missing course.md)"))
            return None
        doc, problems = frontmatter.parse(rel, self.read(course_md))
        self.problems += problems
        if doc is None:
            return None
        reader = frontmatter.Reader(rel, doc, self.problems)
        fw = framework()
        reader.reject_unknown(COURSE_KEYS)
        title = reader.text("title", required=True)
        summary = reader.text("summary")
        level = reader.integer("level", min(fw.levels), max(fw.levels), default=None)
        competencies = reader.codes("competencies", set(fw.competencies), required=True)
        minutes = reader.integer("minutes", 0, 100_000, default=0)
        groups = self._target_groups(reader)
        completion = self._completion(reader)
        quiz_refs = self._quiz_refs(reader, doc)
        self._index_lessons()
        lessons = self._lessons(competencies)
        quizzes = []
        for path, slug, required in quiz_refs:
            parsed, qproblems = self.quiz_cache[path]
            self.problems += qproblems
            self.hash.update(self.rel(path).encode() + b"\0" + path.read_bytes() + b"\0")
            if parsed is not None:
                quizzes.append(compile_quiz(parsed, required))
        intro = markdown_render.render(doc.body, self._resolver(rel, doc.body, doc.body_line))
        if not lessons:
            self.problems.append(Problem(rel, 1, "khóa học chưa có bài học nào (NN-ten-bai.md) (course has no lessons)"))
        return CompiledCourse(self.slug, title, summary, intro, level, groups, list(competencies), minutes,
                              completion, lessons, quizzes, self.assets, self.hash.hexdigest())

    def _target_groups(self, reader: frontmatter.Reader) -> list[int]:
        value = reader.doc.meta.get("target_groups")
        valid = {int(g.code) for g in framework().target_groups}
        items = value if isinstance(value, list) else [value]
        # `type(i) is int` first: a YAML list may hold dicts or lists, which a set cannot be asked about
        if value is None or not items or any(type(i) is not int or i not in valid for i in items):
            reader.problem("target_groups", f"'target_groups' phải là danh sách mã nhóm đối tượng trong {sorted(valid)}"
                                            " (target_groups must list group codes 1-4)")
            return []
        return sorted(set(items))

    def _completion(self, reader: frontmatter.Reader) -> dict[str, Any]:
        value = reader.doc.meta.get("completion", {"lessons": "all", "quizzes": "required"})
        rule = {"lessons": "all", "quizzes": "required"}
        if not isinstance(value, dict) or set(value) - {"lessons", "quizzes"}:
            reader.problem("completion", "'completion' chỉ có 'lessons' và 'quizzes' (completion takes lessons and quizzes)")
            return rule
        lessons, quizzes = value.get("lessons", "all"), value.get("quizzes", "required")
        if lessons != "all" and (isinstance(lessons, bool) or not isinstance(lessons, int) or lessons < 0):
            reader.problem("completion", "'completion.lessons' phải là 'all' hoặc một số (lessons: all or a number)")
        elif quizzes not in ("required", "all", "none"):
            reader.problem("completion", "'completion.quizzes' phải là required, all hoặc none")
        else:
            rule = {"lessons": lessons, "quizzes": quizzes}
        return rule

    def _quiz_refs(self, reader: frontmatter.Reader, doc: frontmatter.Document) -> list[tuple[Path, str, bool]]:
        value = doc.meta.get("quizzes", [])
        if not isinstance(value, list):
            reader.problem("quizzes", "'quizzes' phải là một danh sách (quizzes must be a list)")
            return []
        lines = doc.item_lines.get("quizzes", [])
        refs: list[tuple[Path, str, bool]] = []
        quiz_dir = self.root / "quizzes"
        for i, item in enumerate(value):
            line = lines[i] if i < len(lines) else doc.line_of("quizzes")
            entry = {"file": item} if isinstance(item, str) else item
            if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or set(entry) - {"file", "required"}:
                self.problems.append(Problem(reader.path, line, "mỗi bài kiểm tra cần 'file' (và 'required' nếu muốn) "
                                                                "(each quiz entry needs file, optionally required)"))
                continue
            path = _resolve(quiz_dir / entry["file"])
            slug = Path(entry["file"]).stem
            if not _is_file(path) or quiz_dir.resolve() not in path.parents:
                self.problems.append(Problem(reader.path, line, f"không tìm thấy bài kiểm tra quizzes/{entry['file']} "
                                                                "(quiz file not found)"))
                continue
            if any(s == slug for _, s, _ in refs):
                self.problems.append(Problem(reader.path, line, f"bài kiểm tra '{slug}' bị khai báo hai lần (duplicate quiz slug)"))
                continue
            required = entry.get("required", True)
            if not isinstance(required, bool):
                self.problems.append(Problem(reader.path, line, "'required' phải là true hoặc false"))
                required = True
            if path not in self.quiz_cache:
                self.quiz_cache[path] = read_quiz(path, self.rel(path), slug)
            refs.append((path, slug, required))
            self.quiz_files[path] = slug
        return refs

    def _index_lessons(self) -> None:
        seen_numbers: dict[str, str] = {}
        for path in sorted(self.dir.glob("*.md")):
            if path.name == "course.md" or not path.is_file():
                continue
            match = _LESSON_FILE.match(path.name)
            if not match:
                self.problems.append(Problem(self.rel(path), 1, "tên tệp bài học phải có dạng NN-ten-bai.md, ví dụ "
                                                                 "01-gioi-thieu.md (lesson file name must be NN-slug.md)"))
                continue
            slug = match["slug"]
            if match["num"] in seen_numbers:
                self.problems.append(Problem(self.rel(path), 1, f"số thứ tự {match['num']} trùng với {seen_numbers[match['num']]} "
                                                                 "(duplicate lesson number)"))
            elif slug in self.lesson_files.values():
                self.problems.append(Problem(self.rel(path), 1, f"tên bài học '{slug}' bị trùng (duplicate lesson slug)"))
            elif slug in RESERVED_SLUGS:
                self.problems.append(Problem(self.rel(path), 1, f"tên bài học '{slug}' là tên dành riêng (reserved slug)"))
            else:
                seen_numbers[match["num"]] = path.name
                self.lesson_files[path.name] = slug

    def _lessons(self, course_codes: tuple[str, ...]) -> list[CompiledLesson]:
        lessons = []
        known = set(framework().competencies)
        for name, slug in self.lesson_files.items():
            path = self.dir / name
            rel = self.rel(path)
            doc, problems = frontmatter.parse(rel, self.read(path))
            self.problems += problems
            if doc is None:
                continue
            reader = frontmatter.Reader(rel, doc, self.problems)
            reader.reject_unknown(LESSON_KEYS)
            title = reader.text("title", required=True)
            minutes = reader.integer("minutes", 0, 10_000, default=0)
            codes = reader.codes("competencies", known, default=course_codes)
            html = markdown_render.render(doc.body, self._resolver(rel, doc.body, doc.body_line))
            lessons.append(CompiledLesson(slug, title, html, plain_text(html), list(codes), minutes))
        return lessons

    def _resolver(self, rel: str, body: str, body_line: int) -> markdown_render.Resolver:
        """Checks a relative link or image and returns its published URL, relative to `/courses/<slug>/`.

        The course page ends in '/', so it and the lesson pages share one base and one set of relative URLs.
        """

        def line_of(url: str) -> int:
            for offset, text in enumerate(body.split("\n")):
                if f"({url}" in text or f'"{url}"' in text or f"<{url}>" in text:
                    return body_line + offset
            return body_line

        def resolve(kind: str, url: str) -> str | None:
            target_text, _, fragment = url.partition("#")
            target = _resolve(self.dir / target_text)
            if kind == "image":
                return self._image(rel, line_of(url), target, url)
            if target.parent == self.dir.resolve() and target.name in self.lesson_files:
                return self.lesson_files[target.name] + (f"#{fragment}" if fragment else "")
            if target.name == "course.md" and target.parent == self.dir.resolve():
                return "./"
            if target in self.quiz_files:
                return f"quiz/{self.quiz_files[target]}"
            if target.suffix.lower() in IMAGE_TYPES:
                return self._image(rel, line_of(url), target, url)
            where = "bài kiểm tra chưa gắn với khóa học" if _is_file(target) else "tệp không tồn tại"
            self.problems.append(Problem(rel, line_of(url), f"liên kết hỏng '{url}': {where} "
                                                            "(broken link: missing lesson, quiz or file)"))
            return None

        return resolve

    def _image(self, rel: str, line: int, target: Path, url: str) -> str | None:
        mime = IMAGE_TYPES.get(target.suffix.lower())
        if not _is_file(target) or self.dir.resolve() not in target.parents or mime is None:
            self.problems.append(Problem(rel, line, f"không tìm thấy ảnh '{url}' trong thư mục khóa học "
                                                    "(image not found, or not a png/jpg/gif/webp/svg)"))
            return None
        data = target.read_bytes()
        if len(data) > MAX_IMAGE_BYTES:
            self.problems.append(Problem(rel, line, f"ảnh '{url}' lớn hơn 2 MB (image larger than 2 MB)"))
            return None
        if mime == "image/svg+xml" and re.search(rb"<script|\son\w+\s*=|javascript:", data, re.I):
            self.problems.append(Problem(rel, line, f"ảnh SVG '{url}' chứa mã lệnh (SVG contains script)"))
            return None
        sha = hashlib.sha256(data).hexdigest()
        self.hash.update(sha.encode())
        self.assets[sha] = (mime, data)
        return f"../../media/{sha}{target.suffix.lower()}"


def read_quiz(path: Path, shown: str, slug: str) -> tuple[ParsedQuiz | None, list[Problem]]:
    """Parse one quiz file; problems name it `shown`. Bytes that are not clean UTF-8 are problems too."""
    text, problems = frontmatter.decode(shown, path.read_bytes())
    quiz, more = parse_quiz(shown, text, slug)
    return quiz, problems + more


def course_folders(courses_dir: Path) -> list[Path]:
    """The course folders in a `courses/` folder (every sub-folder is one), in name order."""
    return sorted(p for p in courses_dir.glob("*") if p.is_dir()) if courses_dir.is_dir() else []


def quiz_files(quizzes_dir: Path) -> list[Path]:
    """The quiz files in a `quizzes/` folder, in name order."""
    return sorted(p for p in quizzes_dir.glob("*.md") if p.is_file()) if quizzes_dir.is_dir() else []


def load(root: Path, only: list[Path] | None = None) -> CheckResult:
    """Load and check every course under `root/courses` and every program under `root/programs` (or only the
    given course folders / quiz files / program files).

    Quizzes that no course attaches are still checked. Returns compiled courses and programs, with problems
    for all.
    """
    root = root.resolve()
    course_dirs = course_folders(root / "courses")
    quizzes = quiz_files(root / "quizzes")
    programs = programs_format.program_files(root / "programs")
    if only is not None:
        wanted = [p.resolve() for p in only]
        course_dirs = [d for d in course_dirs if any(w in (d, root, root / "courses") or d in w.parents for w in wanted)]
        quizzes = [q for q in quizzes if any(w in (q.resolve(), root, root / "quizzes") for w in wanted)]
        programs = [p for p in programs if any(w in (p.resolve(), root, root / "programs") for w in wanted)]
    return load_selected(root, course_dirs, quizzes, programs)


def load_selected(root: Path, course_dirs: list[Path], quizzes: list[Path],
                  programs: list[Path] | None = None) -> CheckResult:
    """Load and check these course folders, quiz files and program files; quizzes that a course names are in
    `root/quizzes`, courses that a program names in `root/courses`, and every problem names its file
    relative to `root`. A program that needs a course with problems is not published either (it waits)."""
    root = root.resolve()
    cache: dict[Path, tuple[ParsedQuiz | None, list[Problem]]] = {}
    courses, problems, failed = [], [], set()
    for course_dir in course_dirs:
        loader = _CourseLoader(root, course_dir, cache)
        course = loader.load()
        problems += loader.problems
        if course is None or loader.problems:
            failed.add(course_dir.name)
        else:
            courses.append(course)
    for path in quizzes:
        if path.resolve() not in cache:
            cache[path.resolve()] = read_quiz(path, path.resolve().relative_to(root).as_posix(), path.stem)
            problems += cache[path.resolve()][1]
    loaded = programs_format.load([(p, p.resolve().relative_to(root).as_posix()) for p in programs or []],
                                  programs_format.known_courses(root / "courses"))
    waiting = {p.code for p in loaded.programs if any(c in failed for r in p.requirements for c in r.courses)}
    return CheckResult(courses, len(cache), sorted(set(problems + loaded.problems)), failed,
                       [p for p in loaded.programs if p.code not in waiting], loaded.failed | waiting)
