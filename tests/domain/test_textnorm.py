"""Answer and search normalisation: case, spacing and Vietnamese diacritics."""
from __future__ import annotations

import unicodedata

import pytest

from lms.domain import textnorm
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


@pytest.mark.parametrize("text", ["Nguyễn Thị Lan", unicodedata.normalize("NFD", "Trần Đức Bình"), "Lê Ánh",
                                  "O'Neil-Smith", "Tạ Quang Bửu 2", "q\u0323\u0302"])
def test_clean_text_accepts_vietnamese_in_any_normal_form(text: str) -> None:
    cleaned = textnorm.clean_text(text)
    assert cleaned == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("text", ["a\x00", "a\x1b[31m", "a\u202eb", "a\u200db", "a\u2067b", "\ufeffa", "a\ue000",
                                  "q\u0323\u0302\u0301", "a\u2028b", "a\nb", "a\tb"])
def test_clean_text_refuses_control_format_and_stacked_marks(text: str) -> None:
    with pytest.raises(textnorm.UnsafeText):
        textnorm.clean_text(text)


def test_clean_text_multiline_keeps_newlines_and_tabs_only() -> None:
    assert textnorm.clean_text("một\r\nhai\tba\rbốn", multiline=True) == "một\nhai\tba\nbốn"
    with pytest.raises(textnorm.UnsafeText):
        textnorm.clean_text("một\x0bhai", multiline=True)
