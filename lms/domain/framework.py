"""The TT 02/2025 digital-competence framework and the target groups, as data (the administrative units are
lms.domain.areas)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Named:
    code: str
    vi: str
    en: str

    def name(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.vi


@dataclass(frozen=True)
class Domain(Named):
    competencies: tuple[Named, ...]


@dataclass(frozen=True)
class Tier(Named):
    levels: tuple[int, ...]


@dataclass(frozen=True)
class Framework:
    domains: tuple[Domain, ...]
    tiers: tuple[Tier, ...]
    target_groups: tuple[Named, ...]

    @cached_property
    def competencies(self) -> dict[str, Named]:
        return {c.code: c for d in self.domains for c in d.competencies}

    @cached_property
    def levels(self) -> tuple[int, ...]:
        return tuple(level for t in self.tiers for level in t.levels)

    def tier_of(self, level: int) -> Tier:
        return next(t for t in self.tiers if level in t.levels)

    def domain_of(self, competency_code: str) -> Domain:
        return next(d for d in self.domains if d.code == competency_code.split(".")[0])

    def target_group(self, code: int) -> Named:
        return next(g for g in self.target_groups if g.code == str(code))


@cache
def framework() -> Framework:
    """The framework loaded once from `lms/data/framework.yaml`."""
    raw = yaml.safe_load((DATA_DIR / "framework.yaml").read_text(encoding="utf-8"))
    domains = tuple(
        Domain(d["code"], d["vi"], d["en"], tuple(Named(c["code"], c["vi"], c["en"]) for c in d["competencies"]))
        for d in raw["domains"]
    )
    tiers = tuple(Tier(t["code"], t["vi"], t["en"], tuple(t["levels"])) for t in raw["tiers"])
    groups = tuple(Named(str(g["code"]), g["vi"], g["en"]) for g in raw["target_groups"])
    return Framework(domains, tiers, groups)
