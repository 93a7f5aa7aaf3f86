"""The fictional citizen registry: valid ID numbers, the fixed demo citizens, logins, the file on disk."""
from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from lms.domain import idnumber
from lms.domain.areas import provinces
from lms.vneid_stub import registry
from lms.vneid_stub.registry import LoginRefused, Registry, RegistryFile


def test_demo_citizens_are_the_documented_ones() -> None:
    """A (level 2), B (level 1) and C (locked) have the contract's names, dates, levels and valid numbers."""
    a, b, c = registry.demo_citizens()
    assert (a.id_number, a.name, a.birthdate, a.gender, a.level, a.locked) == \
        ("001190012345", "Nguyễn Thị Lan", date(1990, 5, 2), "female", 2, False)
    assert a.residence == {"province_code": "01", "commune_code": "00070"}
    assert (b.id_number, b.name, b.birthdate, b.gender, b.level, b.locked) == \
        ("079058054321", "Trần Văn Bình", date(1958, 11, 20), "male", 1, False)
    assert b.residence == {"province_code": "79", "commune_code": "26740"}
    assert (c.id_number, c.name, c.level, c.locked) == ("048085011111", "Lê Văn Khóa", 2, True)
    for citizen in (a, b, c):
        assert citizen.passcode == "123456"
        assert idnumber.is_valid(citizen.id_number, citizen.birthdate, citizen.gender)
        assert citizen["id_number"] == citizen.id_number  # dict-style access for callers that prefer it


def test_generated_registry_is_valid_and_reproducible() -> None:
    """Every number is unique and consistent with birth date and sex; residences exist; a seed repeats it."""
    citizens = registry.generate(40, seed=3)
    assert len(citizens) == 43
    assert [c.id_number for c in citizens[:3]] == [d.id_number for d in registry.demo_citizens()]
    assert len({c.id_number for c in citizens}) == 43
    assert len({c.uid for c in citizens}) == 43
    areas = provinces()
    for c in citizens:
        assert idnumber.is_valid(c.id_number, c.birthdate, c.gender), c
        assert c.level in (1, 2)
        commune_codes = {m.code for m in areas[c.residence.province_code].communes}
        assert c.residence.commune_code in commune_codes
        assert c.uid not in c.id_number and c.id_number not in c.uid
    assert {c.level for c in citizens} == {1, 2}
    again = registry.generate(40, seed=3)
    assert [(c.id_number, c.name, c.uid) for c in again] == [(c.id_number, c.name, c.uid) for c in citizens]
    assert [c.id_number for c in registry.generate(40, seed=4)] != [c.id_number for c in citizens]


@pytest.fixture(scope="module")
def small() -> Registry:
    cheap = generate_password_hash("123456", method="pbkdf2:sha256:1000")
    return Registry(dataclasses.replace(c, passcode_hash=cheap) for c in registry.generate(0, seed=1))


@pytest.mark.parametrize("number, passcode, outcome", [
    ("001190012345", "123456", "Nguyễn Thị Lan"),
    ("001190012345", "654321", "credentials"),
    ("001190099999", "123456", "credentials"),  # well-formed, not in the registry
    ("048085011111", "123456", "locked"),
    ("048085011111", "000000", "credentials"),  # a locked account is not revealed without its passcode
])
def test_authenticate(small: Registry, number: str, passcode: str, outcome: str) -> None:
    """The right passcode gives the citizen; anything else gives a reason and no identity."""
    if outcome in ("credentials", "locked"):
        with pytest.raises(LoginRefused) as refused:
            small.authenticate(number, passcode)
        assert refused.value.reason == outcome
    else:
        assert small.authenticate(number, passcode).name == outcome


def test_registry_file_is_created_on_first_use_and_reloaded(tmp_path: Path) -> None:
    """A missing registry is created with the demo citizens and 50 random ones; a rewrite is picked up."""
    path = tmp_path / "vneid" / "registry.json"
    file = RegistryFile(path)
    first = file.get()
    assert len(first.citizens) == 53
    assert path.stat().st_mode & 0o077 == 0  # raw ID numbers: readable by the owner only
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["version"] == 1 and "passcode" not in raw["citizens"][0]
    assert raw["citizens"][0]["passcode_hash"].startswith("scrypt:")
    registry.write(path, registry.generate(2, seed=9))
    assert len(file.get().citizens) == 5
    assert file.get() is file.get()  # unchanged file: no reload
