"""The administrative tree in the database: loaded from the official list, resolution of merged units on a
date, subtrees, a learner's choices, and the operator's changes with their audit log."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.domain import areas
from lms.domain.areas import VillageRow
from lms.domain.problems import Problem
from lms.models import Unit, UnitChange
from lms.services import units
from lms.services.units import ImportRefused, UnitRefused

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
BA_DINH, NGOC_HA, GIANG_VO, HOAN_KIEM = "00004", "00008", "00025", "00070"
SAI_GON = "26740"


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Unit)) or 0


def test_every_database_holds_the_official_tree(session: Session) -> None:
    """The test database was loaded like `lms db upgrade` loads one: 1 + 34 + 3,321 units in force."""
    assert count(session) == 3356
    nation = units.by_code(session, "VN")
    assert (nation.level, nation.parent_id, nation.path) == (0, None, "/VN/")
    hoan_kiem = units.by_code(session, HOAN_KIEM)
    assert (hoan_kiem.name, hoan_kiem.kind, hoan_kiem.level, hoan_kiem.path) == \
        ("Phường Hoàn Kiếm", "ward", 2, "/VN/01/00070/")
    assert hoan_kiem.parent is not None and hoan_kiem.parent.code == "01"
    assert (hoan_kiem.valid_from, hoan_kiem.valid_until, hoan_kiem.official) == (date(2025, 7, 1), None, True)


def test_sync_is_idempotent_and_never_undoes_a_change(session: Session) -> None:
    assert units.sync(session) == 0
    units.rename(session, HOAN_KIEM, "Phường Hồ Gươm", date(2026, 2, 1), "test", WHEN)
    session.delete(units.by_code(session, "32248"))  # the last commune of Cà Mau, gone by accident
    session.flush()
    assert units.sync(session) == 1
    assert units.by_code(session, HOAN_KIEM).name == "Phường Hồ Gươm"
    assert units.by_code(session, "32248").path == "/VN/96/32248/"
    assert count(session) == 3356


def test_subtree_by_materialised_path(session: Session) -> None:
    hanoi = units.by_code(session, "01")
    tree = units.subtree(session, hanoi)
    assert len(tree) == 127 and tree[0].code == "01"
    assert {u.level for u in tree[1:]} == {2}
    ids = set(session.scalars(units.subtree_ids(hanoi)))
    assert ids == {u.id for u in tree}
    assert len(units.subtree(session, units.by_code(session, "VN"))) == 3356
    assert [u.code for u in units.ancestors(session, units.by_code(session, HOAN_KIEM))] == ["VN", "01"]


def test_merge_resolution_follows_the_successor_chain_from_the_effective_date(session: Session) -> None:
    units.merge(session, [BA_DINH, NGOC_HA], GIANG_VO, date(2026, 1, 1), "test", WHEN)
    units.merge(session, [GIANG_VO], HOAN_KIEM, date(2026, 7, 1), "test", WHEN)
    for on, expected in [(date(2025, 12, 31), BA_DINH), (date(2026, 1, 1), GIANG_VO), (date(2026, 6, 30), GIANG_VO),
                         (date(2026, 7, 1), HOAN_KIEM), (date(2030, 1, 1), HOAN_KIEM)]:
        assert units.current_unit(session, BA_DINH, on).code == expected, on
    assert units.current_unit(session, HOAN_KIEM, date(2026, 1, 1)).code == HOAN_KIEM
    ids = {u.code: u.id for u in session.scalars(select(Unit).where(
        Unit.code.in_([BA_DINH, NGOC_HA, GIANG_VO, HOAN_KIEM])))}
    assert units.successor_map(session, date(2025, 12, 31)) == {}
    assert units.successor_map(session, date(2026, 3, 1)) == {ids[BA_DINH]: ids[GIANG_VO], ids[NGOC_HA]: ids[GIANG_VO]}
    assert units.successor_map(session, date(2026, 7, 1)) == {
        ids[BA_DINH]: ids[HOAN_KIEM], ids[NGOC_HA]: ids[HOAN_KIEM], ids[GIANG_VO]: ids[HOAN_KIEM]}
    ba_dinh = units.by_code(session, BA_DINH)
    assert (ba_dinh.valid_until, ba_dinh.successor.code if ba_dinh.successor else None) == \
        (date(2026, 1, 1), GIANG_VO)
    hanoi = units.by_code(session, "01")
    assert len(units.subtree(session, hanoi, on=date(2025, 12, 1))) == 127
    assert len(units.subtree(session, hanoi, on=date(2026, 7, 1))) == 124
    log = session.scalars(select(UnitChange).order_by(UnitChange.id)).all()
    assert [(c.action, c.unit.code, c.target.code if c.target else None, c.effective, c.actor) for c in log] == [
        ("merge", BA_DINH, GIANG_VO, date(2026, 1, 1), "test"), ("merge", NGOC_HA, GIANG_VO, date(2026, 1, 1), "test"),
        ("merge", GIANG_VO, HOAN_KIEM, date(2026, 7, 1), "test")]
    assert log[0].at == WHEN


def test_units_under_a_merged_unit_move_to_its_successor(session: Session) -> None:
    units.import_villages(session, [VillageRow(2, BA_DINH, "BD-1", "Tổ dân phố 1", "residential-group")],
                          "v.csv", "test", WHEN)
    (change,) = units.merge(session, [BA_DINH], HOAN_KIEM, date(2026, 2, 1), "test", WHEN)
    village = units.by_code(session, "BD-1")
    assert village.parent is not None and village.parent.code == HOAN_KIEM
    assert village.path == "/VN/01/00070/BD-1/"
    assert change.new_value == "1 units moved under 00070"


def test_a_merged_province_takes_its_communes_along(session: Session) -> None:
    units.merge(session, ["04"], "08", date(2026, 1, 1), "test", WHEN)
    cao_bang = units.by_code(session, "04")
    assert units.subtree(session, cao_bang) == [cao_bang]
    tuyen_quang = units.by_code(session, "08")
    assert len(units.subtree(session, tuyen_quang)) == 1 + 124 + 56
    assert units.provinces(session, date(2026, 1, 1))[0][0] != "04"
    assert len(units.provinces(session, date(2026, 1, 1))) == 33


@pytest.mark.parametrize(("sources", "into", "effective", "message"), [
    (["99999"], HOAN_KIEM, date(2026, 1, 1), "không có đơn vị mã '99999' (no unit with code 99999)"),
    ([BA_DINH], "nope", date(2026, 1, 1), "không có đơn vị mã 'nope' (no unit with code nope)"),
    ([HOAN_KIEM], HOAN_KIEM, date(2026, 1, 1),
     "không thể sáp nhập '00070' vào chính nó (cannot merge 00070 into itself)"),
    (["01"], HOAN_KIEM, date(2026, 1, 1),
     "không thể sáp nhập province 01 vào commune 00070: phải cùng cấp (cannot merge province 01 into commune "
     "00070: units must be of the same level)"),
    (["VN"], "01", date(2026, 1, 1), "không thể sáp nhập cấp quốc gia (the nation cannot be merged)"),
    ([BA_DINH, BA_DINH], HOAN_KIEM, date(2026, 1, 1),
     "đơn vị '00004' được nêu hai lần (unit 00004 is given twice)"),
    ([BA_DINH], HOAN_KIEM, date(2025, 7, 1),
     "ngày hiệu lực 2025-07-01 phải sau ngày '00004' bắt đầu (2025-07-01) (the effective date must be after "
     "the unit began)"),
    ([], HOAN_KIEM, date(2026, 1, 1), "cần ít nhất một đơn vị để sáp nhập (name at least one unit to merge)"),
])
def test_refused_merges_change_nothing(session: Session, sources: list[str], into: str, effective: date,
                                       message: str) -> None:
    with pytest.raises(UnitRefused) as refused:
        units.merge(session, sources, into, effective, "test", WHEN)
    assert str(refused.value) == message
    assert session.scalar(select(func.count()).select_from(UnitChange)) == 0
    assert session.scalar(select(func.count()).where(Unit.valid_until.is_not(None))) == 0


def test_no_merge_of_or_into_a_merged_unit(session: Session) -> None:
    units.merge(session, [BA_DINH], GIANG_VO, date(2026, 1, 1), "test", WHEN)
    with pytest.raises(UnitRefused, match=r"unit 00004 is already merged"):
        units.merge(session, [BA_DINH], HOAN_KIEM, date(2026, 2, 1), "test", WHEN)
    with pytest.raises(UnitRefused, match=r"unit 00004 is itself merged: merge into its successor"):
        units.merge(session, [NGOC_HA], BA_DINH, date(2026, 2, 1), "test", WHEN)


def test_rename_keeps_the_old_name_for_earlier_days(session: Session) -> None:
    change = units.rename(session, HOAN_KIEM, "  Phường  Hồ Gươm ", date(2026, 3, 1), "cán bộ A", WHEN)
    assert (change.old_value, change.new_value, change.actor) == ("Phường Hoàn Kiếm", "Phường Hồ Gươm", "cán bộ A")
    units.rename(session, HOAN_KIEM, "Phường Hồ Gươm Mới", date(2026, 9, 1), "cán bộ A", WHEN)
    unit = units.by_code(session, HOAN_KIEM)
    assert unit.name == "Phường Hồ Gươm Mới"
    assert units.name_on(session, unit, date(2026, 2, 28)) == "Phường Hoàn Kiếm"
    assert units.name_on(session, unit, date(2026, 3, 1)) == "Phường Hồ Gươm"
    assert units.name_on(session, unit, date(2026, 9, 1)) == "Phường Hồ Gươm Mới"


@pytest.mark.parametrize(("code", "name", "effective", "message"), [
    ("nope", "X", date(2026, 1, 1), "no unit with code nope"),
    (HOAN_KIEM, "   ", date(2026, 1, 1), areas.EMPTY_NAME),
    (HOAN_KIEM, "Phường Hoàn Kiếm", date(2026, 1, 1), "unit 00070 already has this name"),
    (HOAN_KIEM, "Phường Mới", date(2025, 1, 1), "the effective date is before the unit began"),
])
def test_refused_renames(session: Session, code: str, name: str, effective: date, message: str) -> None:
    with pytest.raises(UnitRefused) as refused:
        units.rename(session, code, name, effective, "test", WHEN)
    assert message in str(refused.value)


def test_a_rename_before_the_previous_one_is_refused(session: Session) -> None:
    units.rename(session, HOAN_KIEM, "Phường Hồ Gươm", date(2026, 3, 1), "test", WHEN)
    with pytest.raises(UnitRefused, match="must be after the previous rename"):
        units.rename(session, HOAN_KIEM, "Phường Khác", date(2026, 3, 1), "test", WHEN)


def test_import_villages_all_or_nothing(session: Session) -> None:
    rows = [VillageRow(2, HOAN_KIEM, "HK-1", "Tổ dân phố 1", "residential-group"),
            VillageRow(3, SAI_GON, "SG-1", "Khu phố 1", "residential-group"),
            VillageRow(4, "99999", "X-1", "Thôn X", "village"),
            VillageRow(5, "01", "X-2", "Thôn Y", "village"),
            VillageRow(6, HOAN_KIEM, "00004", "Thôn Z", "village")]
    with pytest.raises(ImportRefused) as refused:
        units.import_villages(session, rows, "v.csv", "test", WHEN)
    assert refused.value.problems == [
        Problem("v.csv", 4, "không có xã/phường mã '99999' (no commune with code 99999)"),
        Problem("v.csv", 5, "không có xã/phường mã '01' (no commune with code 01)"),
        Problem("v.csv", 6, "mã '00004' đã có (the code 00004 is already taken)"),
    ]
    assert count(session) == 3356
    assert units.import_villages(session, rows[:2], "v.csv", "test", WHEN) == {HOAN_KIEM: 1, SAI_GON: 1}
    village = units.by_code(session, "HK-1")
    assert (village.level, village.kind, village.path, village.valid_from) == \
        (3, "residential-group", "/VN/01/00070/HK-1/", date(2026, 1, 5))
    log = session.scalars(select(UnitChange).order_by(UnitChange.id)).all()
    assert [(c.action, c.unit.code, c.new_value) for c in log] == [
        ("import", HOAN_KIEM, "1 units from v.csv"), ("import", SAI_GON, "1 units from v.csv")]


def test_no_import_under_a_merged_commune(session: Session) -> None:
    units.merge(session, [BA_DINH], HOAN_KIEM, date(2026, 1, 1), "test", WHEN)
    with pytest.raises(ImportRefused) as refused:
        units.import_villages(session, [VillageRow(2, BA_DINH, "BD-1", "Thôn", "village")], "v.csv", "t", WHEN)
    assert [str(p) for p in refused.value.problems] == [
        "v.csv:2: xã/phường '00004' không còn hiệu lực (commune 00004 is no longer in force)"]


def test_places_a_learner_may_choose(session: Session) -> None:
    today = date(2026, 2, 1)
    none = units.places(session, None, today)
    assert len(none.provinces) == 34 and none.communes == [] and none.province is None
    assert none.provinces[0] == ("91", "An Giang")
    assert units.places(session, "99", today).province is None
    hcm = units.places(session, "79", today)
    assert (hcm.province, hcm.province_name, len(hcm.communes), hcm.retired) == \
        ("79", "Thành phố Hồ Chí Minh", 168, frozenset())
    units.merge(session, [BA_DINH], HOAN_KIEM, date(2026, 1, 1), "test", WHEN)
    hanoi = units.places(session, "01", today)
    assert len(hanoi.communes) == 125 and hanoi.retired == {BA_DINH}
    assert len(units.places(session, "01", date(2025, 12, 31)).communes) == 126


def test_place_name(session: Session) -> None:
    assert units.place_name(session, "01", HOAN_KIEM) == "Phường Hoàn Kiếm, Thành phố Hà Nội"
    assert units.place_name(session, "01", None) == "Thành phố Hà Nội"
    assert units.place_name(session, "01", "99999") == "Thành phố Hà Nội"
    assert units.place_name(session, "", None) == ""
