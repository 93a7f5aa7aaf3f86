"""The quarterly reporting calendar (lms/domain/quarters.py): parsing, bounds in Vietnam time, the deadline
before the 15th of the last month, on time / late / overdue."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.domain.quarters import VIETNAM, Quarter, can_close, quarters, reporting_quarter, status

UTC = timezone.utc


@pytest.mark.parametrize("text, expected", [("2025Q3", Quarter(2025, 3)), ("2025-Q1", Quarter(2025, 1)),
                                            (" 2026q4 ", Quarter(2026, 4))])
def test_parse(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected
    assert str(expected) == f"{expected.year}Q{expected.number}"


@pytest.mark.parametrize("text", ["2025Q5", "2025Q0", "Q3", "2025", "", "2025Q3x", "25Q3", "２０２５Q3"])
def test_malformed_quarters_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Quarter.parse(text)


def test_labels() -> None:
    assert Quarter(2025, 3).label("vi") == "Quý III/2025"
    assert Quarter(2025, 4).label("en") == "Q4 2025"


def test_bounds_and_deadline_in_vietnam_time() -> None:
    q = Quarter(2025, 3)
    assert (q.first_day, q.last_day) == (date(2025, 7, 1), date(2025, 9, 30))
    assert q.start == datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
    assert q.end == datetime(2025, 9, 30, 17, 0, tzinfo=UTC)
    assert q.opens == datetime(2025, 8, 31, 17, 0, tzinfo=UTC)
    assert q.deadline == datetime(2025, 9, 14, 17, 0, tzinfo=UTC)  # 15 Sept 00:00 in Hà Nội
    assert Quarter(2025, 4).next == Quarter(2026, 1) and Quarter(2026, 1).previous == Quarter(2025, 4)
    assert Quarter(2024, 1).last_day == date(2024, 3, 31)


def test_a_moment_belongs_to_its_quarter_in_vietnam_time() -> None:
    assert Quarter.of(datetime(2025, 6, 30, 17, 30, tzinfo=UTC)) == Quarter(2025, 3)  # 1 July 00:30 ICT
    assert Quarter.of(datetime(2025, 6, 30, 16, 59, tzinfo=UTC)) == Quarter(2025, 2)
    assert Quarter.of(date(2025, 12, 31)) == Quarter(2025, 4)


def test_status_on_time_late_open_overdue() -> None:
    q = Quarter(2025, 3)
    before_open = datetime(2025, 8, 15, tzinfo=VIETNAM)
    in_window = datetime(2025, 9, 14, 23, 59, tzinfo=VIETNAM)
    after = datetime(2025, 9, 15, 0, 0, tzinfo=VIETNAM)
    assert status(q, before_open, None) == "not_open" and not can_close(q, before_open)
    assert status(q, in_window, None) == "open" and can_close(q, in_window)
    assert status(q, after, None) == "overdue" and can_close(q, after)
    assert status(q, after, in_window) == "on_time"
    assert status(q, after + timedelta(days=30), after) == "late"


def test_the_reporting_quarter() -> None:
    assert reporting_quarter(datetime(2025, 9, 3, tzinfo=VIETNAM)) == Quarter(2025, 3)
    assert reporting_quarter(datetime(2025, 8, 31, 23, 0, tzinfo=VIETNAM)) == Quarter(2025, 2)
    assert list(quarters(Quarter(2025, 3), Quarter(2026, 2))) == [
        Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1), Quarter(2026, 2)]


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_every_moment_is_in_exactly_its_quarter(moment: datetime) -> None:
    q = Quarter.of(moment)
    assert q.start <= moment < q.end
    assert q.opens <= q.deadline < q.end and q.start < q.opens
    assert Quarter.parse(str(q)) == q


# --- the frozen, signed report ------------------------------------------------------------------------------

from lms.domain import certificates as certs  # noqa: E402
from lms.domain import quarterly_report as qr  # noqa: E402

CUTOFF = datetime(2025, 9, 10, 3, 0, tzinfo=UTC)
ROWS = [{"group": 3, "registered": 120, "verified": 90, "started": 80, "completed": 60, "achieved": 41,
         "population": 200, "population_source": "Thống kê xã 2025", "target_percent": 90},
        {"group": 1, "registered": 12, "verified": 10, "started": 10, "completed": 9, "achieved": 9,
         "population": None, "population_source": None, "target_percent": 100}]


def _doc(**changes: object) -> dict[str, object]:
    args: dict[str, object] = dict(unit_code="00070", unit_name="Phường Hoàn Kiếm", quarter=Quarter(2025, 3),
                                   cutoff=CUTOFF, figures=ROWS, submitted_by="Nguyễn Thị Lan", version=1,
                                   supersedes=None, program="pho-cap-ky-nang-so-co-ban", key_id="k1",
                                   issuer="Học Vụ Số")
    args.update(changes)
    return qr.build(**args)  # type: ignore[arg-type]


def test_a_report_is_signed_and_verifies_and_any_change_breaks_it() -> None:
    key = certs.new_private_key()
    jwk = certs.public_jwk(key)
    doc = _doc(key_id=jwk["kid"])
    assert doc["id"] == "HVS-R-00070-2025Q3-v1" and doc["cutoff"] == "2025-09-10T03:00:00Z"
    assert [r["group"] for r in doc["figures"]] == [1, 3]  # sorted, one row per group
    signature = qr.sign(key, doc)
    keys = {jwk["kid"]: jwk}
    assert qr.verify(doc, signature, keys)
    tampered = {**doc, "figures": [dict(doc["figures"][0], achieved=10), doc["figures"][1]]}
    assert not qr.verify(tampered, signature, keys)
    assert not qr.verify(doc, signature, {})  # unknown key
    other = certs.new_private_key()
    assert not qr.verify(doc, qr.sign(other, doc), keys)
    assert not qr.verify({**doc, "type": "Other"}, signature, keys)


@pytest.mark.parametrize("changes", [
    {"figures": [dict(ROWS[0], achieved=1.5)]},  # no floats in a signed document
    {"figures": [dict(ROWS[0], achieved=-1)]},
    {"figures": [dict(ROWS[0], achieved=True)]},
    {"figures": [dict(ROWS[0], rate="20%")]},
    {"figures": [ROWS[0], ROWS[0]]},
    {"figures": [dict(ROWS[0], group=None)]},
    {"version": 2},  # a correction names what it corrects
    {"supersedes": "HVS-R-00070-2025Q3-v1"},  # and the first version corrects nothing
])
def test_malformed_reports_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(qr.ReportError):
        _doc(**changes)


def test_a_correction_names_the_report_it_supersedes() -> None:
    doc = _doc(version=2, supersedes="HVS-R-00070-2025Q3-v1")
    assert doc["id"] == "HVS-R-00070-2025Q3-v2" and doc["supersedes"] == "HVS-R-00070-2025Q3-v1"
