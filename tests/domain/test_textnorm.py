"""Answer and search normalisation: case, spacing and Vietnamese diacritics."""
from __future__ import annotations

import unicodedata

import pytest

from lms.domain.textnorm import normalize_answer, strip_diacritics


@pytest.mark.parametrize(("text", "folded"), [
    ("An toàn mật khẩu", "An toan mat khau"),
    ("đường", "duong"),
    ("Đà Nẵng", "Da Nang"),
    ("ĐỊNH DANH", "DINH DANH"),
    ("Thừa Thiên Huế", "Thua Thien Hue"),
    ("ỳ ỷ ỹ ỵ ý", "y y y y y"),
    ("ơ ư ă â ê ô", "o u a a e o"),
    ("plain ascii 123", "plain ascii 123"),
])
def test_strip_diacritics(text: str, folded: str) -> None:
    """Every Vietnamese mark is removed, and đ/Đ become d/D."""
    assert strip_diacritics(text) == folded


def test_strip_diacritics_on_decomposed_input() -> None:
    """Text already in NFD (as some phones send it) folds the same way."""
    assert strip_diacritics(unicodedata.normalize("NFD", "Mật khẩu Đà Lạt")) == "Mat khau Da Lat"


@pytest.mark.parametrize(("text", "ignore", "expected"), [
    ("  Mã   OTP ", False, "mã otp"),
    ("MÃ OTP", False, "mã otp"),
    ("Mã\tOTP\n", False, "mã otp"),
    ("Mã OTP", True, "ma otp"),
    ("Định danh", True, "dinh danh"),
    ("Định danh", False, "định danh"),
    ("", True, ""),
])
def test_normalize_answer(text: str, ignore: bool, expected: str) -> None:
    """Case and spacing are always folded; diacritics only when asked."""
    assert normalize_answer(text, ignore) == expected


def test_normalize_answer_composes_unicode() -> None:
    """Composed and decomposed spellings of the same word compare equal when diacritics count."""
    word = "khẩu"
    assert normalize_answer(unicodedata.normalize("NFD", word), False) == normalize_answer(word, False)
    assert normalize_answer("khau", False) != normalize_answer(word, False)
