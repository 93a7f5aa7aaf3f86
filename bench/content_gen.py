"""Generate a large content tree for the content-at-scale measurements (issue 9 §4): the demo courses copied
under new slugs, each copy with its own quiz file, a numbered title and varied level and target groups, so the
catalog's filters select different subsets. The programs are copied unchanged (they name the two originals).

    .venv/bin/python bench/content_gen.py DEST --courses 3000     # 3,000 courses, about 19,500 lessons

DEST gets courses/, quizzes/ and programs/: the originals, then numbered copies until there are as many courses as
asked for. A measurement aid, never used by the platform or the tests.
"""
from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (1, 2, 3)
GROUP_SETS = ([1, 2, 3, 4], [1, 3], [2], [3, 4], [4], [1, 2])


def generate(dest: Path, courses: int, source: Path = ROOT) -> tuple[int, int]:
    """Write `courses` course folders (the originals first, then numbered copies) into dest; returns
    (courses, lessons) written. dest must not hold a content tree already."""
    originals = sorted(p for p in (source / "courses").iterdir() if (p / "course.md").is_file())
    (dest / "courses").mkdir(parents=True)
    (dest / "quizzes").mkdir()
    shutil.copytree(source / "programs", dest / "programs")
    for course in originals:
        shutil.copytree(course, dest / "courses" / course.name)
    for quiz in (source / "quizzes").glob("*.md"):
        shutil.copy2(quiz, dest / "quizzes" / quiz.name)
    written = len(originals)
    lessons = sum(len(list(c.glob("[0-9][0-9]-*.md"))) for c in originals)
    number = 0
    while written < courses:
        number += 1
        for course in originals:
            if written >= courses:
                break
            slug = f"{course.name}-{number:04d}"
            target = dest / "courses" / slug
            shutil.copytree(course, target)
            text = (target / "course.md").read_text(encoding="utf-8")
            quiz_files = re.findall(r"^\s*- file: (\S+)\.md\s*$", text, flags=re.M)
            for quiz in quiz_files:
                shutil.copy2(source / "quizzes" / f"{quiz}.md", dest / "quizzes" / f"{quiz}-{number:04d}.md")
                text = re.sub(rf"^(\s*- file: ){re.escape(quiz)}\.md\s*$", rf"\g<1>{quiz}-{number:04d}.md", text,
                              flags=re.M)
            text = re.sub(r"^title: (.+)$", rf"title: \1 (bản {number})", text, count=1, flags=re.M)
            text = re.sub(r"^level: \d+$", f"level: {LEVELS[number % len(LEVELS)]}", text, count=1, flags=re.M)
            groups = GROUP_SETS[(number + written) % len(GROUP_SETS)]
            text = re.sub(r"^target_groups: .+$", f"target_groups: {groups}", text, count=1, flags=re.M)
            (target / "course.md").write_text(text, encoding="utf-8")
            for lesson in target.glob("[0-9][0-9]-*.md"):  # links to the course's quiz follow its new name
                body = lesson.read_text(encoding="utf-8")
                changed = body
                for quiz in quiz_files:
                    changed = changed.replace(f"quizzes/{quiz}.md", f"quizzes/{quiz}-{number:04d}.md")
                if changed != body:
                    lesson.write_text(changed, encoding="utf-8")
            written += 1
            lessons += len(list(target.glob("[0-9][0-9]-*.md")))
    return written, lessons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--courses", type=int, default=3000)
    args = parser.parse_args()
    if args.dest.exists() and any(args.dest.iterdir()):
        parser.error(f"{args.dest} is not empty")
    courses, lessons = generate(args.dest, args.courses)
    print(f"{args.dest}: {courses} courses, {lessons} lessons")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
