"""The fictional citizen registry the stub authenticates against: `<instance>/vneid/registry.json`.

Raw personal ID numbers live only in this file (the stub stands in for the national database); nothing here
logs them. Every number has a valid structure (lms.domain.idnumber.generate) consistent with the citizen's
birth date and sex; residence uses the official 2-digit province and 5-digit commune codes (lms.domain.areas).
"""
from __future__ import annotations

import json
import os
import random
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain import idnumber
from ..domain.areas import provinces
from ..domain.idnumber import Sex
from ..files import create_once

FORMAT_VERSION = 1
DEFAULT_RANDOM_COUNT = 50
DEMO_PASSCODE = "123456"


@dataclass(frozen=True)
class Residence:
    province_code: str  # 2-digit code (since 1 July 2025)
    commune_code: str  # 5-digit code

    def as_claim(self) -> dict[str, str]:
        return {"province_code": self.province_code, "commune_code": self.commune_code}


@dataclass(frozen=True)
class Citizen:
    """One registry entry. `uid` is an opaque key for sessions and the stub's database (never the number)."""

    uid: str
    id_number: str
    name: str
    birthdate: date
    gender: Sex
    level: int  # VNeID account level: 1 basic, 2 full electronic identity
    locked: bool
    residence: Residence
    passcode_hash: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["birthdate"] = self.birthdate.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Citizen:
        return cls(
            uid=str(data["uid"]), id_number=str(data["id_number"]), name=str(data["name"]),
            birthdate=date.fromisoformat(data["birthdate"]), gender=data["gender"], level=int(data["level"]),
            locked=bool(data["locked"]), residence=Residence(**data["residence"]),
            passcode_hash=str(data["passcode_hash"]))


@dataclass(frozen=True)
class DemoCitizen:
    """A fixed demo citizen's public data for docs and tests (also readable as `citizen["name"]`)."""

    label: str
    id_number: str
    passcode: str
    name: str
    birthdate: date
    gender: Sex
    level: int
    locked: bool
    residence: dict[str, str]

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


def demo_citizens() -> list[DemoCitizen]:
    """Citizens A (level 2), B (level 1) and C (level 2, locked); every registry contains them."""
    specs: list[tuple[str, str, Sex, date, str, int, int, bool, str, str]] = [
        ("A", "Nguyễn Thị Lan", "female", date(1990, 5, 2), "001", 12345, 2, False, "01", "00070"),
        ("B", "Trần Văn Bình", "male", date(1958, 11, 20), "079", 54321, 1, False, "79", "26740"),
        ("C", "Lê Văn Khóa", "male", date(1985, 3, 15), "048", 11111, 2, True, "48", "20242"),
    ]
    return [
        DemoCitizen(label=label, id_number=idnumber.generate(province, born, sex, serial),
                    passcode=DEMO_PASSCODE, name=name, birthdate=born, gender=sex, level=level, locked=locked,
                    residence={"province_code": pcode, "commune_code": ccode})
        for label, name, sex, born, province, serial, level, locked, pcode, ccode in specs
    ]


_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
           "Ngô", "Dương", "Lý")
_MIDDLE = {"male": ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành"),
           "female": ("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Diệu")}
_GIVEN = {"male": ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân",
                   "Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt"),
          "female": ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai",
                     "Nga", "Oanh", "Phương", "Thảo", "Trang", "Vân", "Yến")}


def generate(count: int = DEFAULT_RANDOM_COUNT, seed: int | None = None) -> list[Citizen]:
    """The demo citizens plus `count` random ones (about 70% level 2, 5% locked), all with passcode 123456.

    Each distinct passcode is hashed once and the hash shared: a stand-in registry does not need a salt per
    citizen, and generating one on first use must stay fast (a werkzeug scrypt hash takes ~0.3 s)."""
    rng = random.Random(seed)
    hashes: dict[str, str] = {}

    def hashed(passcode: str) -> str:
        if passcode not in hashes:
            hashes[passcode] = generate_password_hash(passcode)
        return hashes[passcode]

    def uid() -> str:
        return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=16)) if seed is not None \
            else secrets.token_hex(8)

    citizens = [
        Citizen(uid=uid(), id_number=d.id_number, name=d.name, birthdate=d.birthdate, gender=d.gender,
                level=d.level, locked=d.locked, residence=Residence(**d.residence),
                passcode_hash=hashed(d.passcode))
        for d in demo_citizens()
    ]
    taken = {c.id_number for c in citizens}
    birth_provinces = sorted(idnumber.province_codes())
    communes = sorted((p.code, c.code) for p in provinces().values() for c in p.communes)
    while len(citizens) < count + len(demo_citizens()):
        sex: Sex = rng.choice(("male", "female"))
        born = date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28))
        number = idnumber.generate(rng.choice(birth_provinces), born, sex, rng.randint(0, 999_999))
        if number in taken:
            continue
        taken.add(number)
        province_code, commune_code = rng.choice(communes)
        name = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE[sex])} {rng.choice(_GIVEN[sex])}"
        citizens.append(Citizen(
            uid=uid(), id_number=number, name=name, birthdate=born, gender=sex,
            level=2 if rng.random() < 0.7 else 1, locked=rng.random() < 0.05,
            residence=Residence(province_code, commune_code), passcode_hash=hashed(DEMO_PASSCODE)))
    return citizens


def _serialise(citizens: Iterable[Citizen]) -> str:
    return json.dumps({"version": FORMAT_VERSION, "citizens": [c.to_json() for c in citizens]},
                      ensure_ascii=False, indent=1)


def write(path: Path, citizens: Iterable[Citizen]) -> None:
    """Replace the registry file atomically (readers see the old or the new file, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(_serialise(citizens), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure(path: Path) -> None:
    """Create the default registry (demo citizens + 50 random) if the file is missing; first writer wins."""
    if not path.exists():
        create_once(path, lambda: _serialise(generate()).encode("utf-8"))


@cache
def _dummy_hash() -> str:
    """Matches no passcode: a login with an unknown number costs as much as one with a known number."""
    return generate_password_hash(secrets.token_hex(8))


class LoginRefused(Exception):
    """A login that gives no identity. `reason`: "credentials" (unknown number or wrong passcode) or
    "locked"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Registry:
    """The loaded registry: look-ups by number (login) and by uid (sessions, codes, tokens)."""

    def __init__(self, citizens: Iterable[Citizen]) -> None:
        self.citizens = tuple(citizens)
        self._by_number = {c.id_number: c for c in self.citizens}
        self._by_uid = {c.uid: c for c in self.citizens}

    @classmethod
    def load(cls, path: Path) -> Registry:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != FORMAT_VERSION:
            raise RuntimeError(f"{path}: unsupported registry format {raw.get('version')!r}")
        return cls(Citizen.from_json(item) for item in raw["citizens"])

    def by_uid(self, uid: str) -> Citizen | None:
        return self._by_uid.get(uid)

    def authenticate(self, id_number: str, passcode: str) -> Citizen:
        """The citizen with this number and passcode; a locked account is refused only after a right passcode,
        so the answer never tells a stranger whether a number exists."""
        citizen = self._by_number.get(id_number)
        stored = citizen.passcode_hash if citizen else _dummy_hash()
        if not check_password_hash(stored, passcode) or citizen is None:
            raise LoginRefused("credentials")
        if citizen.locked:
            raise LoginRefused("locked")
        return citizen


class RegistryFile:
    """The registry of one instance, created on first use and reloaded when the file changes (e.g. after
    `lms vneid registry`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._loaded: tuple[int, Registry] | None = None

    def get(self) -> Registry:
        with self._lock:
            ensure(self.path)
            mtime = self.path.stat().st_mtime_ns
            if self._loaded is None or self._loaded[0] != mtime:
                self._loaded = (mtime, Registry.load(self.path))
            return self._loaded[1]
