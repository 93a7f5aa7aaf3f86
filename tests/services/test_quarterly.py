"""Closing a quarter (lms/services/quarterly.py): the report frozen and signed, corrections as new versions
that keep the earlier ones, a double submit writing nothing twice, and the parent's view of who submitted."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from lms.domain.quarters import VIETNAM, Quarter
from lms.models import QuarterlyReport
from lms.services import certificates, quarterly, units
from tests.factories import make_user

Q3 = Quarter(2025, 3)
IN_WINDOW = datetime(2025, 9, 10, 9, 0, tzinfo=VIETNAM)
LATE = datetime(2025, 9, 20, 9, 0, tzinfo=VIETNAM)
FIGURES = [{"group": 3, "registered": 120, "verified": 90, "started": 80, "completed": 60, "achieved": 41,
            "population": 200, "population_source": "demo", "target_percent": 90}]


_serial = itertools.count(1)


def _close(session: Session, settings: certificates.Settings, code: str, when: datetime, seen: int = 0,
           note: str = "", figures: list[dict[str, object]] = FIGURES) -> QuarterlyReport:
    official = make_user(session, f"official-{next(_serial)}@example.vn", password=None)
    unit = units.by_code(session, code)
    row = quarterly.close(session, official, unit, Q3, when, figures, settings, seen_version=seen, note=note)
    session.commit()
    return row


def test_a_closed_report_is_frozen_signed_and_verifies(session: Session,
                                                       settings: certificates.Settings) -> None:
    row = _close(session, settings, "00070", IN_WINDOW)
    assert (row.report_id, row.version, row.supersedes_id) == ("HVS-R-00070-2025Q3-v1", 1, None)
    document = quarterly.verify(session, row.document, row.signature)
    assert document is not None and document["figures"][0]["achieved"] == 41
    assert document["cutoff"] == "2025-09-10T02:00:00Z" and document["unit"]["code"] == "00070"
    changed = row.document.replace('"achieved":41', '"achieved":42')
    assert changed != row.document and quarterly.verify(session, changed, row.signature) is None
    assert quarterly.verify(session, "not json", row.signature) is None
    assert json.loads(json.dumps(quarterly.as_file(row)))["document"]["id"] == row.report_id


def test_a_correction_is_a_new_version_and_the_first_is_kept(session: Session,
                                                             settings: certificates.Settings) -> None:
    first = _close(session, settings, "00070", IN_WINDOW)
    with pytest.raises(quarterly.Refused) as refused:
        _close(session, settings, "00070", LATE, seen=1)
    assert refused.value.reason == "note_required"
    session.rollback()
    fixed = [dict(FIGURES[0], achieved=44)]
    second = _close(session, settings, "00070", LATE, seen=1, note="Bổ sung 3 người đạt", figures=fixed)
    assert (second.version, second.supersedes_id) == (2, first.id)
    history = quarterly.versions(session, units.by_code(session, "00070"), Q3)
    assert [r.version for r in history] == [1, 2]
    assert json.loads(history[0].document)["figures"][0]["achieved"] == 41  # unchanged
    assert json.loads(history[1].document)["supersedes"] == "HVS-R-00070-2025Q3-v1"


def test_a_double_submit_writes_one_version(session: Session, settings: certificates.Settings) -> None:
    _close(session, settings, "00070", IN_WINDOW)
    with pytest.raises(quarterly.Refused) as refused:
        _close(session, settings, "00070", IN_WINDOW + timedelta(seconds=1))  # the same page, sent again
    assert refused.value.reason == "stale"
    session.rollback()
    assert len(quarterly.versions(session, units.by_code(session, "00070"), Q3)) == 1


@pytest.mark.parametrize("when, figures, reason", [
    (datetime(2025, 8, 20, tzinfo=VIETNAM), FIGURES, "not_open"),
    (IN_WINDOW, [dict(FIGURES[0], achieved=1.5)], "bad_figures"),
])
def test_refused_closings_write_nothing(session: Session, settings: certificates.Settings, when: datetime,
                                        figures: list[dict[str, object]], reason: str) -> None:
    with pytest.raises(quarterly.Refused) as refused:
        _close(session, settings, "00070", when, figures=figures)
    assert refused.value.reason == reason
    session.rollback()
    assert quarterly.versions(session, units.by_code(session, "00070"), Q3) == []


def test_the_parent_sees_who_submitted_on_time(session: Session, settings: certificates.Settings) -> None:
    hanoi = units.by_code(session, "01")
    kids = units.children(session, hanoi)
    on_time, late = kids[0], kids[1]
    _close(session, settings, on_time.code, IN_WINDOW)
    _close(session, settings, late.code, LATE)
    _close(session, settings, on_time.code, LATE, seen=1, note="sửa số liệu")  # a late correction
    by_code = {s.unit.code: s for s in quarterly.submissions(session, hanoi, Q3, LATE + timedelta(hours=1))}
    assert len(by_code) == len(kids)
    assert (by_code[on_time.code].status, by_code[on_time.code].latest_version) == ("on_time", 2)
    assert by_code[late.code].status == "late"
    missing = [s for s in by_code.values() if s.unit.code not in (on_time.code, late.code)]
    assert missing and {s.status for s in missing} == {"overdue"}
    assert {s.status for s in quarterly.submissions(session, hanoi, Q3, IN_WINDOW)} >= {"open"}


def test_cli_verify_and_status(session: Session, settings: certificates.Settings, runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`lms quarterly verify FILE` says valid for the downloaded file and exits 1 for a changed one;
    `lms quarterly status` lists the child units."""
    from lms.domain import certificates as certs
    row = _close(session, settings, "00070", IN_WINDOW)
    good, bad = tmp_path / "r.json", tmp_path / "bad.json"
    good.write_text(json.dumps(quarterly.as_file(row), ensure_ascii=False), encoding="utf-8")
    data = quarterly.as_file(row)
    data["document"]["figures"][0]["achieved"] = 99
    bad.write_text(json.dumps(data), encoding="utf-8")
    ok = runner.invoke(args=["quarterly", "verify", str(good)])
    assert ok.exit_code == 0 and "hợp lệ / valid — HVS-R-00070-2025Q3-v1" in ok.output
    refused = runner.invoke(args=["quarterly", "verify", str(bad)])
    assert refused.exit_code == 1 and "KHÔNG hợp lệ" in refused.output
    assert certs.canonical(data["document"]) != row.document.encode()
    listed = runner.invoke(args=["quarterly", "status", "01", "2025Q3"])
    assert listed.exit_code == 0 and "00070" in listed.output
    assert runner.invoke(args=["quarterly", "status", "01", "2025Q9"]).exit_code == 2
