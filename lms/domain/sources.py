"""What a path given to `lms check` is, and checking it as that, wherever it lies (see docs/authoring.md).

    a folder with course.md       one course; its quizzes are in the quizzes/ folder beside its courses/
                                  folder (or beside the course folder itself when that is not in courses/)
    course.md, or a .md beside it  the whole course that holds it (a lesson depends on its course)
    a folder with courses/ or quizzes/  all of its courses and quizzes
    a folder named courses/ or quizzes/  all the courses, or all the quizzes, in it
    a .md file in a programs/ folder  one program; the courses it names are in the courses/ beside programs/
    a folder named programs/      all the programs in it
    a folder with programs/       (like courses/ and quizzes/) all of them, with the rest
    any other .md file            one program if its front matter has `groups` (checked against the courses
                                  of the configured content folder), else one quiz file

Anything else, a path that does not exist, or one of these that holds no course and no quiz, is refused
with a message saying what was expected: a check that checked nothing never says OK.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import content, frontmatter, programs
from .compiled import CheckResult

EXPECTED = ("cần một tệp bài kiểm tra hay chương trình .md, một thư mục khóa học (có course.md) hoặc một thư "
            "mục chứa courses/, quizzes/ hay programs/ (expected a quiz or program .md file, a course folder with "
            "course.md, or a folder holding courses/, quizzes/ or programs/)")
NOT_CONTENT = f"không kiểm tra được: {EXPECTED}"
NOT_FOUND = "không tìm thấy tệp hay thư mục này (no such file or folder)"
NOTHING = "không có gì để kiểm tra"
EMPTY_ROOT = (f"{NOTHING}: không có thư mục khóa học nào trong courses/ và không có tệp bài kiểm tra nào "
              "trong quizzes/ (nothing to check: no course folder in courses/ and no quiz file in quizzes/)")
EMPTY_COURSES = f"{NOTHING}: không có thư mục khóa học nào (nothing to check: no course folder in it)"
EMPTY_QUIZZES = f"{NOTHING}: không có tệp bài kiểm tra .md nào (nothing to check: no quiz file in it)"
EMPTY_PROGRAMS = f"{NOTHING}: không có tệp chương trình .md nào (nothing to check: no program file in it)"


class NothingToCheck(Exception):
    """Some paths are not content, or hold none: one `path: message` line each."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class _Selection:
    """Course folders and quiz files under one content root (the folder that holds courses/ and quizzes/)."""

    courses: set[Path] = field(default_factory=set)
    quizzes: set[Path] = field(default_factory=set)
    programs: set[Path] = field(default_factory=set)


def _course_root(course_dir: Path) -> Path:
    return course_dir.parent.parent if course_dir.parent.name == "courses" else course_dir.parent


def _is_program(path: Path) -> bool:
    """Whether a .md file in no programs/ folder is a program: its front matter has a `groups` key."""
    text, _ = frontmatter.decode(str(path), path.read_bytes())
    doc, _ = frontmatter.parse(str(path), text)
    return doc is not None and "groups" in doc.meta


def _select(path: Path, shown: str, roots: dict[Path, _Selection], loose: dict[Path, str],
            loose_programs: dict[Path, str]) -> str | None:
    """Add what `path` is to `roots`, `loose` (quiz files in no quizzes/ folder) or `loose_programs`; or return
    why not."""
    if not path.exists():
        return NOT_FOUND
    path = path.resolve()
    if path.is_file() and path.suffix.lower() == ".md":
        if path.name == "course.md" or (path.parent / "course.md").is_file():
            roots.setdefault(_course_root(path.parent), _Selection()).courses.add(path.parent)
        elif path.parent.name == "quizzes":
            roots.setdefault(path.parent.parent, _Selection()).quizzes.add(path)
        elif path.parent.name == "programs":
            roots.setdefault(path.parent.parent, _Selection()).programs.add(path)
        elif _is_program(path):
            loose_programs[path] = shown
        else:
            loose[path] = shown
        return None
    if not path.is_dir():
        return NOT_CONTENT
    if (path / "course.md").is_file():
        roots.setdefault(_course_root(path), _Selection()).courses.add(path)
        return None
    if any((path / name).is_dir() for name in ("courses", "quizzes", "programs")):
        found = _Selection(set(content.course_folders(path / "courses")),
                           set(content.quiz_files(path / "quizzes")),
                           set(programs.program_files(path / "programs")))
        empty = EMPTY_ROOT
    elif path.name == "courses":
        found, empty, path = _Selection(courses=set(content.course_folders(path))), EMPTY_COURSES, path.parent
    elif path.name == "quizzes":
        found, empty, path = _Selection(quizzes=set(content.quiz_files(path))), EMPTY_QUIZZES, path.parent
    elif path.name == "programs":
        found, empty, path = _Selection(programs=set(programs.program_files(path))), EMPTY_PROGRAMS, path.parent
    else:
        return NOT_CONTENT
    if not found.courses and not found.quizzes and not found.programs:
        return empty
    selection = roots.setdefault(path, _Selection())
    selection.courses |= found.courses
    selection.quizzes |= found.quizzes
    selection.programs |= found.programs
    return None


def check(paths: list[Path], content_root: Path | None = None) -> CheckResult:
    """Check each path as what it is; raises NothingToCheck if any path is not content or holds none.

    Problems name files relative to their content root, and a quiz or program file in no quizzes/ or
    programs/ folder as it was given; such a program names courses of `content_root/courses`.
    """
    roots: dict[Path, _Selection] = {}
    loose: dict[Path, str] = {}
    loose_programs: dict[Path, str] = {}
    refused = [f"{path}: {why}" for path in paths
               if (why := _select(path, str(path), roots, loose, loose_programs))]
    if refused:
        raise NothingToCheck(refused)
    results = [content.load_selected(root, sorted(s.courses), sorted(s.quizzes), sorted(s.programs))
               for root, s in roots.items()]
    for path, shown in loose.items():
        _, problems = content.read_quiz(path, shown, path.stem)
        results.append(CheckResult([], 1, problems, set()))
    if loose_programs:
        known = programs.known_courses(content_root / "courses") if content_root is not None else set()
        loaded = programs.load(list(loose_programs.items()), known)
        results.append(CheckResult([], 0, loaded.problems, set(), loaded.programs, loaded.failed))
    return CheckResult([c for r in results for c in r.courses], sum(r.quizzes for r in results),
                       sorted({p for r in results for p in r.problems}),
                       {slug for r in results for slug in r.failed_slugs},
                       [p for r in results for p in r.programs],
                       {code for r in results for code in r.failed_programs})
