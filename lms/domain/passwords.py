"""Which passwords are too easy to guess: zxcvbn's estimate (the maintained Python port of Dropbox's
estimator), with a list of the passwords and words Vietnamese users really choose, and the person's own name,
e-mail and phone number, which an attacker tries first. Pure: no Flask, no database."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from zxcvbn import zxcvbn

MIN_LENGTH = 8
MIN_SCORE = 3  # zxcvbn 0..4; 3 = "safely unguessable" (about 10^8 guesses), with login attempts rate-limited
MAX_CHECKED = 48  # zxcvbn's time grows with length (it refuses over 72); the rest is never held against it
# The example sentence the refusal message shows, and the platform's own name: the first things a guesser tries.
OWN_WORDS = ("bathichtronghoahongdo", "hocvuso", "binhdanhocvuso", "hocvusovn")
_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords_vi.txt"


def fold(text: str) -> str:
    """Lower case, tone marks and đ removed, keeping letters and digits only: 'Nguyễn Văn' -> 'nguyenvan'."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in text if unicodedata.category(c) != "Mn"))


@lru_cache(maxsize=1)
def vietnamese_words() -> tuple[str, ...]:
    """The Vietnamese common passwords and password words, most common first."""
    lines = _WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def personal_words(*values: str | None) -> list[str]:
    """The pieces of the person's name, e-mail and phone that a guesser would try."""
    words: list[str] = []
    for value in values:
        if not value:
            continue
        parts = [fold(p) for p in re.split(r"[\s@._+\-]+", value)]
        words += [p for p in parts if p] + [fold(value)]
        if "@" in value:
            words.append(fold(value.split("@")[0]))
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 6:
            words += [digits, digits[-6:], digits[-4:]]
    return [w for w in dict.fromkeys(words) if len(w) >= 2]


def is_guessable(password: str, *personal: str | None) -> bool:
    """True when `password` is shorter than MIN_LENGTH, is a common password, or zxcvbn estimates it weak
    given the Vietnamese word list and the person's own name, e-mail and phone."""
    if len(password) < MIN_LENGTH:
        return True
    folded = fold(password)
    mine = personal_words(*personal)
    if folded in vietnamese_words() or folded in mine or any(word in folded for word in OWN_WORDS):
        return True
    inputs = list(vietnamese_words()) + list(OWN_WORDS) + mine
    # Also the folded form: "Bình.Trần-1990" is as easy to guess as "binhtran1990".
    return any(zxcvbn(candidate[:MAX_CHECKED], user_inputs=inputs)["score"] < MIN_SCORE
               for candidate in dict.fromkeys((password, folded)) if candidate)
