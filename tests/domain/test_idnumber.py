"""The personal ID number: structure, consistency with birth date and sex, generation, masking and hashing."""
from __future__ import annotations

from datetime import date

import pytest

from lms.domain import idnumber

VALID = [
    # number, birth date, sex
    ("001190012345", date(1990, 5, 2), "female"),
    ("079058054321", date(1958, 11, 20), "male"),
    ("048085011111", date(1985, 3, 15), "male"),
    ("096200000001", date(2000, 1, 1), "male"),
    ("001305123456", date(2005, 7, 9), "female"),
    ("092299999999", date(2099, 12, 31), "male"),
    ("031400000000", date(2100, 6, 1), "male"),
    ("002501000000", date(2101, 6, 1), "female"),
]

INVALID = [
    # number, birth date, sex, expected reasons
    ("00119001234", None, None, ["format"]),  # 11 digits
    ("0011900123456", None, None, ["format"]),  # 13 digits
    ("00119001234a", None, None, ["format"]),
    ("００１１９００１２３４５", None, None, ["format"]),  # full-width digits are not ASCII
    ("001 19001234", None, None, ["format"]),
    ("", None, None, ["format"]),
    ("003190012345", None, None, ["province"]),  # 003 is not a province code
    ("100190012345", None, None, ["province"]),
    ("001290012345", date(1990, 5, 2), "female", ["century", "sex"]),  # 2 = 2000s male
    ("001190012345", date(1991, 5, 2), "female", ["year"]),
    ("001190012345", date(1990, 5, 2), "male", ["sex"]),
    ("001090012345", date(2090, 5, 2), "male", ["century"]),
]


@pytest.mark.parametrize(("number", "born", "sex"), VALID)
def test_valid_numbers(number: str, born: date, sex: idnumber.Sex) -> None:
    """Well-formed numbers agree with the birth date and sex they encode."""
    assert idnumber.problems(number, born, sex) == []
    assert idnumber.is_valid(number, born, sex)
    decoded = idnumber.decode(number)
    assert decoded is not None
    assert (decoded.birth_year, decoded.sex, decoded.province_code) == (born.year, sex, number[:3])


@pytest.mark.parametrize(("number", "born", "sex", "reasons"), INVALID)
def test_invalid_numbers(number: str, born: date | None, sex: idnumber.Sex | None, reasons: list[str]) -> None:
    """Each broken number is refused with the reasons that name what is wrong."""
    assert idnumber.problems(number, born, sex) == reasons
    assert not idnumber.is_valid(number, born, sex)


def test_several_reasons_at_once() -> None:
    """An unknown province and a wrong century are both reported."""
    assert idnumber.problems("003290012345", date(1990, 5, 2), "male") == ["province", "century"]


def test_63_province_codes() -> None:
    """The table holds the 63 pre-2025 birth-registration codes, e.g. 001 Hà Nội and 079 TP. Hồ Chí Minh."""
    codes = idnumber.province_codes()
    assert len(codes) == 63
    assert codes["001"] == "Hà Nội" and codes["079"] == "TP. Hồ Chí Minh" and codes["048"] == "Đà Nẵng"


@pytest.mark.parametrize(("born", "sex", "digit"), [
    (date(1960, 1, 1), "male", "0"), (date(1960, 1, 1), "female", "1"), (date(2010, 1, 1), "male", "2"),
    (date(2010, 1, 1), "female", "3"), (date(2150, 1, 1), "male", "4"), (date(2250, 1, 1), "female", "7"),
    (date(2399, 1, 1), "male", "8"),
])
def test_generate_encodes_century_and_sex(born: date, sex: idnumber.Sex, digit: str) -> None:
    """Generated numbers carry the century/sex digit and the year digits, and validate."""
    number = idnumber.generate("001", born, sex, 42)
    assert number[3] == digit and number[4:6] == f"{born.year % 100:02d}" and number.endswith("000042")
    assert idnumber.is_valid(number, born, sex)


@pytest.mark.parametrize(("args", "message"), [
    (("999", date(1990, 1, 1), "male", 1), "province"),
    (("001", date(1899, 1, 1), "male", 1), "birth year"),
    (("001", date(1990, 1, 1), "male", 1_000_000), "6 digits"),
])
def test_generate_refuses_impossible_numbers(args: tuple, message: str) -> None:  # type: ignore[type-arg]
    """An unknown province, a year outside 1900-2399 or a 7-digit serial cannot make a number."""
    with pytest.raises(ValueError, match=message):
        idnumber.generate(*args)


def test_mask_and_keyed_hash() -> None:
    """The mask shows the last four digits only; the keyed hash depends on the key and hides the number."""
    assert idnumber.mask("001190012345") == "********2345"
    one = idnumber.keyed_hash("001190012345", b"key-one")
    assert one == idnumber.keyed_hash("001190012345", b"key-one")
    assert one != idnumber.keyed_hash("001190012345", b"key-two")
    assert one != idnumber.keyed_hash("001190012346", b"key-one")
    assert len(one) == 64 and "001190012345" not in one
