"""The 12-digit personal identification number (số định danh cá nhân): structure checks, generation for the
fictional registry, masking and the keyed hash that lets the platform recognise a person without storing the
number. Layout: 3-digit birth-registration province, 1 century/sex digit, 2 year digits, 6 random digits."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

import yaml

from .framework import DATA_DIR

Sex = Literal["male", "female"]
# Century -> (digit for male, digit for female): 1900s 0/1, 2000s 2/3, 2100s 4/5, 2200s 6/7, 2300s 8/9.
_CENTURY_BASE = {1900: 0, 2000: 2, 2100: 4, 2200: 6, 2300: 8}


@cache
def province_codes() -> dict[str, str]:
    """The 63 birth-registration province codes and their names."""
    raw = yaml.safe_load((DATA_DIR / "id_provinces.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in raw.items()}


@dataclass(frozen=True)
class Decoded:
    province_code: str
    sex: Sex
    birth_year_from: int  # first year of the century the number encodes
    year_digits: int

    @property
    def birth_year(self) -> int:
        return self.birth_year_from + self.year_digits


def decode(number: str) -> Decoded | None:
    """The fields of a well-formed number, or None when it is not 12 digits with a known province."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return None
    if number[:3] not in province_codes():
        return None
    digit = int(number[3])
    century = 1900 + 100 * (digit // 2)
    return Decoded(number[:3], "male" if digit % 2 == 0 else "female", century, int(number[4:6]))


def problems(number: str, birth_date: date | None = None, sex: Sex | None = None) -> list[str]:
    """Stable reason codes for what is wrong with `number` (empty when valid). With a birth date and sex,
    the century/sex digit and the year digits must agree with them."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return ["format"]
    found: list[str] = []
    if number[:3] not in province_codes():
        found.append("province")
    digit = int(number[3])
    if birth_date is not None:
        century = birth_date.year // 100 * 100
        if century not in _CENTURY_BASE or digit // 2 != _CENTURY_BASE[century] // 2:
            found.append("century")
        if int(number[4:6]) != birth_date.year % 100:
            found.append("year")
    if sex is not None and ("male" if digit % 2 == 0 else "female") != sex:
        found.append("sex")
    return found


def is_valid(number: str, birth_date: date | None = None, sex: Sex | None = None) -> bool:
    return not problems(number, birth_date, sex)


def generate(province_code: str, birth_date: date, sex: Sex, serial: int) -> str:
    """A number with a valid structure for the fictional registry; `serial` fills the last 6 digits."""
    if province_code not in province_codes():
        raise ValueError(f"unknown province code {province_code!r}")
    century = birth_date.year // 100 * 100
    if century not in _CENTURY_BASE:
        raise ValueError(f"birth year {birth_date.year} outside 1900-2399")
    if not 0 <= serial <= 999_999:
        raise ValueError("serial must have at most 6 digits")
    digit = _CENTURY_BASE[century] + (0 if sex == "male" else 1)
    return f"{province_code}{digit}{birth_date.year % 100:02d}{serial:06d}"


def mask(number: str) -> str:
    """Display form that hides all but the last four digits: '********1234'."""
    return "*" * (len(number) - 4) + number[-4:]


def keyed_hash(number: str, key: bytes) -> str:
    """HMAC-SHA256 of the number under the instance's identity key: recognises a person, reveals nothing."""
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()
