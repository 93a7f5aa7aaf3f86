"""Course completion: the rule from course.md applied to what a learner has done."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Sequence


@dataclass(frozen=True)
class Progress:
    lessons_done: int
    lessons_total: int
    quizzes_passed: int
    quizzes_required: int
    complete: bool

    @property
    def percent(self) -> int:
        total = self.lessons_total + self.quizzes_required
        return round(100 * (self.lessons_done + self.quizzes_passed) / total) if total else 0


def progress(rule: dict[str, Any], lesson_slugs: Sequence[str], done_slugs: Collection[str],
             quizzes: Sequence[tuple[str, bool]], passed_slugs: Collection[str]) -> Progress:
    """Lessons are counted by slug among the current version's lessons; `quizzes` is (slug, required) pairs.

    Rule keys: lessons = "all" (default) or a minimum count; quizzes = "required" (default), "all" or "none".
    """
    lessons_slugs = list(lesson_slugs)
    done = sum(1 for s in lessons_slugs if s in done_slugs)
    lessons_rule = rule.get("lessons", "all")
    lessons_needed = len(lessons_slugs) if lessons_rule == "all" else int(lessons_rule)
    quiz_rule = rule.get("quizzes", "required")
    needed = [slug for slug, required in quizzes if quiz_rule == "all" or (quiz_rule == "required" and required)]
    passed_count = sum(1 for s in needed if s in passed_slugs)
    complete = done >= min(lessons_needed, len(lessons_slugs)) and passed_count == len(needed)
    return Progress(done, len(lessons_slugs), passed_count, len(needed), complete)
