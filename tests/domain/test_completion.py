"""Course completion rules: lessons all/N and quizzes required/all/none."""
from __future__ import annotations

from typing import Any

import pytest

from lms.domain.completion import Progress, progress

LESSONS = ["gioi-thieu", "mat-khau", "otp", "tong-ket"]
QUIZZES = [("cuoi-khoa", True), ("luyen-tap", False)]


@pytest.mark.parametrize(("rule", "done", "passed", "expected"), [
    # Default rule: every lesson and every required quiz.
    ({}, set(), set(), (0, 4, 0, 1, False)),
    ({}, set(LESSONS), set(), (4, 4, 0, 1, False)),
    ({}, set(LESSONS), {"cuoi-khoa"}, (4, 4, 1, 1, True)),
    ({}, {"otp"}, {"cuoi-khoa"}, (1, 4, 1, 1, False)),
    ({"lessons": "all", "quizzes": "required"}, set(LESSONS), {"luyen-tap"}, (4, 4, 0, 1, False)),
    # A minimum number of lessons.
    ({"lessons": 2, "quizzes": "required"}, {"otp"}, {"cuoi-khoa"}, (1, 4, 1, 1, False)),
    ({"lessons": 2, "quizzes": "required"}, {"otp", "mat-khau"}, {"cuoi-khoa"}, (2, 4, 1, 1, True)),
    ({"lessons": 0, "quizzes": "required"}, set(), {"cuoi-khoa"}, (0, 4, 1, 1, True)),
    # More lessons asked than exist: all of them are enough.
    ({"lessons": 9, "quizzes": "none"}, set(LESSONS), set(), (4, 4, 0, 0, True)),
    # Every quiz, required or not.
    ({"lessons": "all", "quizzes": "all"}, set(LESSONS), {"cuoi-khoa"}, (4, 4, 1, 2, False)),
    ({"lessons": "all", "quizzes": "all"}, set(LESSONS), {"cuoi-khoa", "luyen-tap"}, (4, 4, 2, 2, True)),
    # No quiz needed.
    ({"lessons": "all", "quizzes": "none"}, set(LESSONS), set(), (4, 4, 0, 0, True)),
    ({"lessons": "all", "quizzes": "none"}, {"otp"}, {"cuoi-khoa"}, (1, 4, 0, 0, False)),
])
def test_progress_rules(rule: dict[str, Any], done: set[str], passed: set[str],
                        expected: tuple[int, int, int, int, bool]) -> None:
    """Counts and completion follow the course's rule."""
    p = progress(rule, LESSONS, done, QUIZZES, passed)
    assert (p.lessons_done, p.lessons_total, p.quizzes_passed, p.quizzes_required, p.complete) == expected


def test_done_lessons_not_in_the_version_do_not_count() -> None:
    """A lesson done in an earlier version and since removed is not counted."""
    p = progress({}, LESSONS, {"otp", "bai-cu-da-xoa"}, QUIZZES, set())
    assert p.lessons_done == 1


@pytest.mark.parametrize(("p", "percent"), [
    (Progress(0, 4, 0, 1, False), 0),
    (Progress(2, 4, 0, 1, False), 40),
    (Progress(4, 4, 0, 1, False), 80),
    (Progress(4, 4, 1, 1, True), 100),
    (Progress(1, 3, 0, 0, False), 33),
    (Progress(2, 3, 0, 0, False), 67),
    (Progress(0, 0, 0, 0, False), 0),
])
def test_percent(p: Progress, percent: int) -> None:
    """Percent counts lessons and required quizzes together, rounded; an empty course is 0%."""
    assert p.percent == percent


def test_no_quizzes_at_all() -> None:
    """A course without quizzes completes on its lessons alone."""
    assert progress({}, LESSONS, set(LESSONS), [], set()).complete is True
    assert progress({}, LESSONS, set(LESSONS[:3]), [], set()).complete is False
