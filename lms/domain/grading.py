"""Grading of one answer against a question's key, and of a whole attempt. The page never sees the key."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

from .quizformat import parse_number
from .textnorm import normalize_answer


@dataclass(frozen=True)
class QuestionKey:
    id: int
    kind: str
    option_keys: tuple[str, ...]
    answer: dict[str, Any]


def is_correct(key: QuestionKey, response: Any, ignore_diacritics: bool) -> bool:
    """Whether `response` (an option key, a list of keys, or typed text) answers the question."""
    if key.kind == "single":
        return isinstance(response, str) and [response] == list(key.answer["correct"])
    if key.kind == "multiple":
        # option keys are strings: anything else in the list (a number, a nested list) is wrong, and must
        # not reach set() or sorted(), which raise on unhashable or mixed types
        return (isinstance(response, list) and all(isinstance(r, str) for r in response)
                and sorted(set(response)) == sorted(key.answer["correct"]))
    if not isinstance(response, str) or not response.strip():
        return False
    if key.kind == "text":
        given = normalize_answer(response, ignore_diacritics)
        return any(given == normalize_answer(a, ignore_diacritics) for a in key.answer["accepted"])
    if key.kind == "number":
        value = parse_number(response)
        # A small epsilon so that 0.1 + 0.2 style representation errors never fail a right answer.
        return value is not None and any(abs(value - v) <= t + 1e-9 for v, t in key.answer["values"])
    raise ValueError(f"unknown question kind {key.kind!r}")


def validate_response(key: QuestionKey, response: Any) -> bool:
    """Whether a response is well-formed for the question (no unknown option, right shape)."""
    if response is None:
        return True
    if key.kind == "single":
        return isinstance(response, str) and response in key.option_keys
    if key.kind == "multiple":
        return isinstance(response, list) and all(r in key.option_keys for r in response)
    return isinstance(response, str) and len(response) <= 500


def draw_layout(question_ids: Sequence[int], option_keys: dict[int, Sequence[str]], draw: int, shuffle: bool,
                rng: random.Random) -> list[dict[str, Any]]:
    """Questions and option orders for one attempt: `draw` questions at random, shuffled when asked."""
    chosen = rng.sample(list(question_ids), draw) if shuffle else list(question_ids)[:draw]
    layout = []
    for qid in chosen:
        order = list(option_keys.get(qid, ()))
        if shuffle:
            rng.shuffle(order)
        layout.append({"question": qid, "order": order})
    return layout


def passed(correct: int, total: int, pass_percent: int) -> bool:
    """Integer arithmetic so 8 of 10 at 80% passes exactly."""
    return total > 0 and correct * 100 >= pass_percent * total
