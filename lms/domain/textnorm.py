"""Text normalisation for answers and search: case, spacing and Vietnamese diacritics."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own, not a d with a combining mark, so NFD does not strip them.
_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """'An toàn mật khẩu' -> 'An toan mat khau' (also 'đ' -> 'd')."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_answer(text: str, ignore_diacritics: bool) -> str:
    """Case-folded, spacing-collapsed, NFC text; diacritics removed when the quiz allows it."""
    text = unicodedata.normalize("NFC", text)
    if ignore_diacritics:
        text = strip_diacritics(text)
    return _SPACES.sub(" ", text).strip().casefold()
