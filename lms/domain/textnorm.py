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


class UnsafeText(ValueError):
    """Text with a control, format (invisible: U+202E, U+200B…), private-use or surrogate character, or a pile
    of combining marks: it could disguise a name on a certificate or break a page."""


MAX_COMBINING_RUN = 2  # Vietnamese needs at most two marks on a letter (ệ = e + ̂ + ̣), none after NFC
_REFUSED = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
# Characters that print as nothing though their category is a letter, symbol or mark: Unicode's
# Default_Ignorable_Code_Point marks and the blank fillers (Hangul fillers, braille blank, Khmer inherent
# vowels, Mongolian variation selectors, variation selectors, the combining grapheme joiner).
_INVISIBLE = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180E, 0x180F, 0x2800,
                        0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)})


def clean_text(text: str, multiline: bool = False) -> str:
    """`text` in NFC (a name typed decomposed is stored like one typed precomposed); raises UnsafeText for
    control and format characters (a multi-line text may hold newlines and tabs) and for more than
    MAX_COMBINING_RUN combining marks in a row; also for characters that print as nothing (_INVISIBLE) and a
    combining mark at the start or after a space."""
    text = unicodedata.normalize("NFC", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    run = 0
    previous = " "
    for ch in text:
        if (unicodedata.category(ch) in _REFUSED and not (multiline and ch in "\n\t")) or ord(ch) in _INVISIBLE:
            raise UnsafeText(f"U+{ord(ch):04X}")
        if unicodedata.combining(ch) and previous.isspace():
            raise UnsafeText("a combining mark on no letter")
        previous = ch
        run = run + 1 if unicodedata.combining(ch) else 0
        if run > MAX_COMBINING_RUN:
            raise UnsafeText("combining marks")
    return text
