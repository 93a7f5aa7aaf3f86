"""The administrative tree in the database: loading the official list (`sync`), what a learner may choose,
the questions reports ask ("the unit X stands for on day D", "every unit under X"), and the changes an
operator makes (import of thôn/tổ dân phố, merge, rename), each kept in the audit log. docs/reporting.md
has the model and the reasons."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Sequence

from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from ..domain import areas
from ..domain.areas import COMMUNE, NATION, NATION_CODE, PROVINCE, VILLAGE, VillageRow
from ..domain.problems import Problem
from ..domain.textnorm import UnsafeText, clean_text
from ..models import Unit, UnitChange


class UnitRefused(Exception):
    """A change the rules do not allow, with the message to show (Vietnamese, then English in brackets)."""


class ImportRefused(Exception):
    """Every problem of an import at once; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


# ---------------------------------------------------------------------------------------------- loading


def sync(session: Session) -> int:
    """Add every official unit (lms.domain.areas.official_units) the database does not hold yet; never
    changes a unit that is there (an operator's merge or rename stays). Idempotent; returns how many were
    added. One INSERT per level: the whole list (3,356 units) takes a fraction of a second."""
    known = {code: (uid, path) for code, uid, path in session.execute(select(Unit.code, Unit.id, Unit.path))}
    added = 0
    for level in (NATION, PROVINCE, COMMUNE):
        rows = [
            {"code": u.code, "level": u.level, "kind": u.kind, "name": u.name, "official": True,
             "valid_from": areas.REORGANISED,
             "parent_id": known[u.parent_code][0] if u.parent_code else None,
             "path": (known[u.parent_code][1] if u.parent_code else "/") + u.code + "/"}
            for u in areas.official_units() if u.level == level and u.code not in known
        ]
        if rows:
            session.execute(insert(Unit), rows)
            added += len(rows)
            known.update({code: (uid, path) for code, uid, path in session.execute(
                select(Unit.code, Unit.id, Unit.path).where(Unit.level == level))})
    session.flush()
    return added


# ------------------------------------------------------------------------------------------ looking up


def in_force(on: date) -> list[object]:
    """SQL conditions: the unit is in force on `on` (valid_from <= on < valid_until)."""
    return [Unit.valid_from <= on, or_(Unit.valid_until.is_(None), Unit.valid_until > on)]


def by_code(session: Session, code: str) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.code == areas.normal_code(code))).one_or_none()
    if unit is None:
        raise UnitRefused(f"không có đơn vị mã '{code}' (no unit with code {code})")
    return unit


def resolve(unit: Unit, on: date) -> Unit:
    """The unit that stands for `unit` on day `on`: itself, or (once merged) its successor's, following the
    chain of merges in force by then. A merge is refused into a merged unit, so the chain has no cycle."""
    while unit.valid_until is not None and unit.valid_until <= on and unit.successor is not None:
        unit = unit.successor
    return unit


def current_unit(session: Session, code: str, on: date) -> Unit:
    """The current successor of the unit with `code` on day `on` (the unit itself while it is in force)."""
    return resolve(by_code(session, code), on)


def successor_map(session: Session, on: date) -> dict[int, int]:
    """{id of every unit merged on or before `on`: id of the unit that stands for it on `on`}, in one query
    (merges are few): what a report applies to facts recorded under a merged unit before grouping."""
    merged = dict(session.execute(select(Unit.id, Unit.successor_id).where(Unit.valid_until <= on)).all())
    result: dict[int, int] = {}
    for uid in merged:
        target = merged[uid]
        while target in merged:
            target = merged[target]
        result[uid] = target
    return result


def subtree_ids(unit: Unit) -> Select[tuple[int]]:
    """A SELECT of the ids of `unit` and everything below it (its materialised path as a prefix), to join
    facts or summary rows to: `... WHERE fact.unit_id IN (subtree_ids(unit))`."""
    return select(Unit.id).where(Unit.path.startswith(unit.path))


def subtree(session: Session, unit: Unit, on: date | None = None) -> list[Unit]:
    """`unit` and every unit below it, by path (parents before children); only those in force on `on` if
    given. Units merged into a unit of the subtree from elsewhere are found with successor_map."""
    query = select(Unit).where(Unit.path.startswith(unit.path)).order_by(Unit.path)
    if on is not None:
        query = query.where(*in_force(on))
    return list(session.scalars(query))


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The units above `unit`, from the nation down (read from its path: one query)."""
    codes = unit.path.strip("/").split("/")[:-1]
    found = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


def children(session: Session, unit: Unit) -> list[Unit]:
    """The units directly under `unit` (merged ones too), in alphabetical order."""
    return sorted(session.scalars(select(Unit).where(Unit.parent_id == unit.id)), key=lambda u: areas.sort_key(u.name))


def name_on(session: Session, unit: Unit, on: date) -> str:
    """The name `unit` had on day `on` (its renames are in the audit log)."""
    later = session.scalars(select(UnitChange).where(
        UnitChange.unit_id == unit.id, UnitChange.action == "rename", UnitChange.effective > on)
        .order_by(UnitChange.effective, UnitChange.id)).first()
    return later.old_value or unit.name if later is not None else unit.name


# --------------------------------------------------------------------------------- a learner's place


def provinces(session: Session, on: date) -> list[tuple[str, str]]:
    """(code, name) of the provinces in force on `on`, in alphabetical order."""
    rows = session.execute(select(Unit.code, Unit.name).where(Unit.level == PROVINCE, *in_force(on))).all()
    return sorted(((c, n) for c, n in rows), key=lambda r: areas.sort_key(r[1]))


def communes(session: Session, province_code: str, on: date) -> list[tuple[str, str]]:
    """(code, name) of the communes of a province in force on `on`, in alphabetical order ([] for an unknown
    province): at most a few hundred (TP. Hồ Chí Minh has 168)."""
    parent = aliased(Unit)
    rows = session.execute(select(Unit.code, Unit.name).join(parent, Unit.parent_id == parent.id).where(
        parent.code == province_code, Unit.level == COMMUNE, *in_force(on))).all()
    return sorted(((c, n) for c, n in rows), key=lambda r: areas.sort_key(r[1]))


@dataclass(frozen=True)
class Places:
    """What a learner may choose as their place on day `on`: the provinces; and, once a province in force is
    chosen, its communes in force (retired: its communes merged away, for a precise message)."""

    provinces: list[tuple[str, str]]
    province: str | None
    province_name: str | None
    communes: list[tuple[str, str]]
    retired: frozenset[str]


def places(session: Session, province_code: str | None, on: date) -> Places:
    """The choices for a province (None or unknown: the provinces only). Two queries, a few hundred rows."""
    found = provinces(session, on)
    names = dict(found)
    if not province_code or province_code not in names:
        return Places(found, None, None, [], frozenset())
    parent = aliased(Unit)
    rows = session.execute(select(Unit.code, Unit.name, Unit.valid_from, Unit.valid_until)
                           .join(parent, Unit.parent_id == parent.id)
                           .where(parent.code == province_code, Unit.level == COMMUNE)).all()
    current = [(c, n) for c, n, start, end in rows if start <= on and (end is None or on < end)]
    retired = frozenset(c for c, *_ in rows) - {c for c, _ in current}
    return Places(found, province_code, names[province_code], sorted(current, key=lambda r: areas.sort_key(r[1])),
                  retired)


def place_name(session: Session, province_code: str | None, commune_code: str | None) -> str:
    """'Commune, Province' for an account's codes, as far as the tree knows them (a merged commune keeps
    its own name: it is where the person registered); the codes themselves for unknown ones."""
    codes = [c for c in (province_code, commune_code) if c]
    names = dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all()) if codes else {}
    province = names.get(province_code or "", province_code or "")
    commune = names.get(commune_code or "") if commune_code else None
    return f"{commune}, {province}" if commune else province


# ------------------------------------------------------------------------------------------ changing


def _log(session: Session, actor: str, action: str, unit: Unit, effective: date, now: datetime, *,
         target: Unit | None = None, old: str | None = None, new: str | None = None) -> UnitChange:
    change = UnitChange(at=now, actor=actor[:120], action=action, unit=unit, target=target, effective=effective,
                        old_value=old, new_value=new)
    session.add(change)
    return change


def village_problems(session: Session, rows: Sequence[VillageRow], path: str, today: date) -> list[Problem]:
    """A `path:line` problem for each row (already checked by lms.domain.areas.read_village_csv) whose
    commune is unknown, not a commune or not in force `today`, or whose code is already taken."""
    commune_codes = {r.commune_code for r in rows}
    found = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(commune_codes)))}
    taken = set(session.scalars(select(Unit.code).where(Unit.code.in_({r.code for r in rows}))))
    problems: list[Problem] = []
    for row in rows:
        commune = found.get(row.commune_code)
        if commune is None or commune.level != COMMUNE:
            problems.append(Problem(path, row.line, f"không có xã/phường mã '{row.commune_code}' "
                                                    f"(no commune with code {row.commune_code})"))
        elif not commune.in_force(today):
            problems.append(Problem(path, row.line, f"xã/phường '{row.commune_code}' không còn hiệu lực "
                                                    f"(commune {row.commune_code} is no longer in force)"))
        if row.code in taken:
            problems.append(Problem(path, row.line, f"mã '{row.code}' đã có (the code {row.code} is already taken)"))
    return sorted(problems)


def import_villages(session: Session, rows: Sequence[VillageRow], path: str, actor: str,
                    now: datetime) -> dict[str, int]:
    """Add the third-level units of the rows under their communes: all or nothing (ImportRefused with every
    village_problems). Returns {commune code: units added}; one audit row per commune."""
    today = now.date()
    problems = village_problems(session, rows, path, today)
    if problems:
        raise ImportRefused(problems)
    found = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_({r.commune_code for r in rows})))}
    added: dict[str, int] = {}
    for row in rows:
        commune = found[row.commune_code]
        session.add(Unit(code=row.code, level=VILLAGE, kind=row.kind, name=row.name, parent=commune,
                         path=f"{commune.path}{row.code}/", official=False, valid_from=today))
        added[row.commune_code] = added.get(row.commune_code, 0) + 1
    for code, count in added.items():
        _log(session, actor, "import", found[code], today, now, new=f"{count} units from {path}")
    session.flush()
    return added


def _describe(unit: Unit) -> str:
    return f"{areas.LEVELS[unit.level]} {unit.code}"


def merge(session: Session, from_codes: Iterable[str], into_code: str, effective: date, actor: str,
          now: datetime) -> list[UnitChange]:
    """Merge the units `from_codes` into `into_code` from `effective` on: each gets valid_until = effective
    and its successor; the units under it move under the successor (their paths follow). Refused (nothing
    changes) for an unknown code, a unit given twice, a merge into itself, of another level, of the nation,
    of or into a unit already merged, and a date before a unit existed."""
    into = by_code(session, into_code)
    sources = [by_code(session, code) for code in from_codes]
    if not sources:
        raise UnitRefused("cần ít nhất một đơn vị để sáp nhập (name at least one unit to merge)")
    seen: set[int] = set()
    for unit in sources:
        if unit.id in seen:
            raise UnitRefused(f"đơn vị '{unit.code}' được nêu hai lần (unit {unit.code} is given twice)")
        seen.add(unit.id)
        if unit.id == into.id:
            raise UnitRefused(f"không thể sáp nhập '{unit.code}' vào chính nó (cannot merge {unit.code} into itself)")
        if unit.level == NATION:
            raise UnitRefused("không thể sáp nhập cấp quốc gia (the nation cannot be merged)")
        if unit.level != into.level:
            raise UnitRefused(f"không thể sáp nhập {_describe(unit)} vào {_describe(into)}: phải cùng cấp "
                              f"(cannot merge {_describe(unit)} into {_describe(into)}: units must be of the "
                              "same level)")
        if unit.valid_until is not None:
            raise UnitRefused(f"'{unit.code}' đã được sáp nhập vào '{unit.successor.code if unit.successor else '?'}' "
                              f"từ {unit.valid_until.isoformat()} (unit {unit.code} is already merged)")
        if effective <= unit.valid_from:
            raise UnitRefused(f"ngày hiệu lực {effective.isoformat()} phải sau ngày '{unit.code}' bắt đầu "
                              f"({unit.valid_from.isoformat()}) (the effective date must be after the unit began)")
    if into.valid_until is not None:
        raise UnitRefused(f"'{into.code}' đã được sáp nhập vào '{into.successor.code if into.successor else '?'}': "
                          f"hãy sáp nhập vào đơn vị đó (unit {into.code} is itself merged: merge into its "
                          "successor)")
    if effective < into.valid_from:
        raise UnitRefused(f"ngày hiệu lực {effective.isoformat()} trước ngày '{into.code}' bắt đầu "
                          f"({into.valid_from.isoformat()}) (the effective date is before {into.code} began)")
    changes = []
    for unit in sources:
        moved = [u for u in subtree(session, unit) if u.id != unit.id]
        for child in moved:
            if child.parent_id == unit.id:
                child.parent = into
            child.path = into.path + child.path[len(unit.path):]
        unit.valid_until = effective
        unit.successor = into
        changes.append(_log(session, actor, "merge", unit, effective, now, target=into,
                            new=f"{len(moved)} units moved under {into.code}" if moved else None))
    session.flush()
    return changes


def rename(session: Session, code: str, new_name: str, effective: date, actor: str, now: datetime) -> UnitChange:
    """Rename a unit from `effective` on (the old name stays in the audit log: name_on)."""
    unit = by_code(session, code)
    try:
        name = " ".join(clean_text(new_name).split())
    except UnsafeText:
        raise UnitRefused(areas.UNSAFE_NAME) from None
    if not name:
        raise UnitRefused(areas.EMPTY_NAME)
    if len(name) > areas.MAX_NAME:
        raise UnitRefused(areas.LONG_NAME)
    if unit.valid_until is not None:
        raise UnitRefused(f"'{unit.code}' đã được sáp nhập: hãy đổi tên đơn vị kế thừa "
                          f"(unit {unit.code} is merged: rename its successor)")
    if name == unit.name:
        raise UnitRefused(f"'{unit.code}' đã có tên này (unit {unit.code} already has this name)")
    if effective < unit.valid_from:
        raise UnitRefused(f"ngày hiệu lực {effective.isoformat()} trước ngày '{unit.code}' bắt đầu "
                          f"({unit.valid_from.isoformat()}) (the effective date is before the unit began)")
    last = session.scalar(select(func.max(UnitChange.effective)).where(
        UnitChange.unit_id == unit.id, UnitChange.action == "rename"))
    if last is not None and effective <= last:
        raise UnitRefused(f"ngày hiệu lực phải sau lần đổi tên trước ({last.isoformat()}) "
                          f"(the effective date must be after the previous rename)")
    change = _log(session, actor, "rename", unit, effective, now, old=unit.name, new=name)
    unit.name = name
    session.flush()
    return change


@dataclass(frozen=True)
class Listing:
    unit: Unit
    children: list[Unit]
    counts: dict[int, int]  # child id: number of units directly under it


def listing(session: Session, code: str | None) -> Listing:
    """A unit (the nation by default) and its children, each with how many units are under it."""
    unit = by_code(session, code or NATION_CODE)
    kids = children(session, unit)
    counts = dict(session.execute(select(Unit.parent_id, func.count()).where(
        Unit.parent_id.in_([k.id for k in kids])).group_by(Unit.parent_id)).all()) if kids else {}
    return Listing(unit, kids, {k: int(v) for k, v in counts.items()})


def changes(session: Session, unit: Unit) -> list[UnitChange]:
    """The audit log of one unit (as the changed unit or as the successor of a merge), oldest first."""
    return list(session.scalars(select(UnitChange).where(
        or_(UnitChange.unit_id == unit.id, UnitChange.target_id == unit.id)).order_by(UnitChange.id)))
