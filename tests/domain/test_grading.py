"""Server-side grading: answers against the stored key, response validation, drawing and the pass mark."""
from __future__ import annotations

import random
from typing import Any

import pytest

from lms.domain.grading import QuestionKey, draw_layout, is_correct, passed, validate_response

SINGLE = QuestionKey(1, "single", ("a", "b", "c"), {"correct": ["b"]})
MULTIPLE = QuestionKey(2, "multiple", ("a", "b", "c", "d"), {"correct": ["a", "c"]})
TEXT = QuestionKey(3, "text", (), {"accepted": ["Mã OTP", "OTP"]})
NUMBER = QuestionKey(4, "number", (), {"values": [[12.0, 0.0]]})
TOLERANT = QuestionKey(5, "number", (), {"values": [[60.0, 4.0]]})
TWO_NUMBERS = QuestionKey(6, "number", (), {"values": [[113.0, 0.0], [114.0, 0.5]]})


@pytest.mark.parametrize(("key", "response", "ignore", "correct"), [
    (SINGLE, "b", False, True),
    (SINGLE, "a", False, False),
    (SINGLE, ["b"], False, False),
    (SINGLE, None, False, False),
    (MULTIPLE, ["a", "c"], False, True),
    (MULTIPLE, ["c", "a"], False, True),
    (MULTIPLE, ["a", "c", "a"], False, True),
    (MULTIPLE, ["a"], False, False),
    (MULTIPLE, ["a", "b", "c"], False, False),
    (MULTIPLE, [], False, False),
    (MULTIPLE, "a", False, False),
    (MULTIPLE, None, False, False),
    (TEXT, "OTP", False, True),
    (TEXT, "  otp ", False, True),
    (TEXT, "mã   otp", False, True),
    (TEXT, "MÃ OTP", False, True),
    (TEXT, "ma otp", False, False),
    (TEXT, "ma otp", True, True),
    (TEXT, "Ma OTP", True, True),
    (TEXT, "mã otp", True, True),
    (TEXT, "OTPs", False, False),
    (TEXT, "", False, False),
    (TEXT, "   ", True, False),
    (TEXT, None, False, False),
    (TEXT, ["OTP"], False, False),
    (NUMBER, "12", False, True),
    (NUMBER, "12,0", False, True),
    (NUMBER, "12.0", False, True),
    (NUMBER, " 12 ", False, True),
    (NUMBER, "+12", False, True),
    (NUMBER, "12,5", False, False),
    (NUMBER, "11.999", False, False),
    (NUMBER, "mười hai", True, False),
    (NUMBER, "", False, False),
    (NUMBER, None, False, False),
    (TOLERANT, "60", False, True),
    (TOLERANT, "56", False, True),
    (TOLERANT, "64", False, True),
    (TOLERANT, "63,9", False, True),
    (TOLERANT, "55.9", False, False),
    (TOLERANT, "64.1", False, False),
    (TOLERANT, "65", False, False),
    (TWO_NUMBERS, "113", False, True),
    (TWO_NUMBERS, "114,5", False, True),
    (TWO_NUMBERS, "113.5", False, True),
    (TWO_NUMBERS, "112", False, False),
])
def test_is_correct(key: QuestionKey, response: Any, ignore: bool, correct: bool) -> None:
    """Each kind is graded against its key; diacritics are ignored only when the quiz asks."""
    assert is_correct(key, response, ignore) is correct


def test_tolerance_edges_with_decimal_representation() -> None:
    """A right answer at the very edge of a fractional tolerance is not lost to float rounding."""
    key = QuestionKey(7, "number", (), {"values": [[0.3, 0.1]]})
    assert is_correct(key, "0.2", False) is True
    assert is_correct(key, "0.4", False) is True
    assert is_correct(key, "0.41", False) is False


def test_unknown_kind_raises() -> None:
    """A kind the grader does not know is a programming error, not a wrong answer."""
    with pytest.raises(ValueError):
        is_correct(QuestionKey(8, "essay", (), {}), "text", False)


@pytest.mark.parametrize(("key", "response", "valid"), [
    (SINGLE, "a", True),
    (SINGLE, None, True),
    (SINGLE, "z", False),
    (SINGLE, "", False),
    (SINGLE, ["a"], False),
    (SINGLE, 1, False),
    (MULTIPLE, ["a", "d"], True),
    (MULTIPLE, [], True),
    (MULTIPLE, ["a", "z"], False),
    (MULTIPLE, "a", False),
    (MULTIPLE, {"a": 1}, False),
    (TEXT, "anything", True),
    (TEXT, "x" * 500, True),
    (TEXT, "x" * 501, False),
    (TEXT, ["OTP"], False),
    (NUMBER, "12", True),
    (NUMBER, 12, False),
])
def test_validate_response(key: QuestionKey, response: Any, valid: bool) -> None:
    """Unknown options and wrong shapes are rejected; a blank answer (None) is allowed."""
    assert validate_response(key, response) is valid


QUESTION_IDS = list(range(101, 121))
OPTIONS = {qid: ["a", "b", "c", "d"] for qid in QUESTION_IDS[:10]}  # the rest are text/number questions


@pytest.mark.parametrize("seed", [0, 1, 2, 42])
def test_draw_layout_draws_distinct_questions(seed: int) -> None:
    """`draw` questions are drawn without repeats from the pool, each with all of its options."""
    layout = draw_layout(QUESTION_IDS, OPTIONS, 10, True, random.Random(seed))
    chosen = [entry["question"] for entry in layout]
    assert len(chosen) == 10 and len(set(chosen)) == 10
    assert set(chosen) <= set(QUESTION_IDS)
    for entry in layout:
        assert sorted(entry["order"]) == sorted(OPTIONS.get(entry["question"], []))


def test_draw_layout_varies_and_shuffles() -> None:
    """Different seeds give different draws, and option orders are shuffled."""
    layouts = [draw_layout(QUESTION_IDS, OPTIONS, 10, True, random.Random(seed)) for seed in range(20)]
    assert len({tuple(e["question"] for e in layout) for layout in layouts}) > 1
    orders = {tuple(e["order"]) for layout in layouts for e in layout if e["order"]}
    assert any(order != ("a", "b", "c", "d") for order in orders)


def test_draw_layout_is_reproducible_with_a_seed() -> None:
    """The same seed gives the same layout (the randomness comes only from the given generator)."""
    assert draw_layout(QUESTION_IDS, OPTIONS, 10, True, random.Random(7)) == \
        draw_layout(QUESTION_IDS, OPTIONS, 10, True, random.Random(7))


def test_draw_layout_without_shuffle_keeps_order() -> None:
    """With shuffle off the first `draw` questions come in file order with options in file order."""
    layout = draw_layout(QUESTION_IDS, OPTIONS, 3, False, random.Random(0))
    assert layout == [{"question": qid, "order": ["a", "b", "c", "d"]} for qid in QUESTION_IDS[:3]]


def test_draw_whole_pool() -> None:
    """Drawing the whole pool returns every question once."""
    layout = draw_layout(QUESTION_IDS, OPTIONS, len(QUESTION_IDS), True, random.Random(3))
    assert sorted(e["question"] for e in layout) == QUESTION_IDS


@pytest.mark.parametrize(("correct", "total", "percent", "ok"), [
    (8, 10, 80, True),
    (7, 10, 80, False),
    (10, 10, 100, True),
    (9, 10, 100, False),
    (0, 10, 1, False),
    (1, 10, 10, True),
    (2, 3, 67, False),
    (2, 3, 66, True),
    (4, 5, 80, True),
    (0, 0, 80, False),
])
def test_passed(correct: int, total: int, percent: int, ok: bool) -> None:
    """The pass mark is inclusive and computed exactly (8/10 at 80% passes, 7/10 fails)."""
    assert passed(correct, total, percent) is ok
