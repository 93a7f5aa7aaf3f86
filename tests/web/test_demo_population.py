"""`lms demo population` through the real command: demo mode only, refuses a second run without --replace,
and its certificates' pages say what they are (simulated), never 500."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text

from lms import create_app
from lms.domain import population as pop
from lms.extensions import db
from lms.models import Certificate, User
from tests.test_modes import PRODUCTION


def _synthetic(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)
                                     .where(User.email.like(f"%@{pop.SYNTHETIC_EMAIL_DOMAIN}"))) or 0)


def test_population_command_and_replace(published: Flask, runner: Any) -> None:
    result = runner.invoke(args=["demo", "population", "--people", "300", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "synthetic population (" in result.output and "300 people" in result.output
    accounts = _synthetic(published)
    assert accounts > 300
    again = runner.invoke(args=["demo", "population", "--people", "50"])
    assert again.exit_code == 1 and "--replace" in again.output
    assert _synthetic(published) == accounts
    replaced = runner.invoke(args=["demo", "population", "--people", "50", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert f"removed {accounts:,} synthetic accounts" in replaced.output
    assert 50 <= _synthetic(published) < 60


def test_bad_command_lines(published: Flask, runner: Any) -> None:
    assert runner.invoke(args=["demo", "population", "--people", "0"]).exit_code == 2
    assert runner.invoke(args=["demo", "population", "--people", "5", "--provinces", "1,79"]).exit_code == 2
    unknown = runner.invoke(args=["demo", "population", "--people", "5", "--provinces", "02"])
    assert unknown.exit_code == 1 and "02" in unknown.output
    assert _synthetic(published) == 0


def test_refused_in_production(clean_db: Any, database_url: str, tmp_path: Path) -> None:
    app = create_app({**PRODUCTION, "DATABASE_URL": database_url, "INDEX_DIR": str(tmp_path / "index"),
                      "CONTENT_DIR": str(tmp_path)}, instance_path=str(tmp_path / "instance"))
    try:
        result = app.test_cli_runner().invoke(args=["demo", "population", "--people", "10"])
        assert result.exit_code == 1 and "LMS_MODE=demo" in result.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        app.extensions["lms_db"].engine.dispose()


def test_synthetic_certificate_pages(published: Flask, runner: Any) -> None:
    assert runner.invoke(args=["demo", "population", "--people", "200"]).exit_code == 0
    client = published.test_client()
    with published.app_context():
        rows = db.session.execute(select(Certificate.number, Certificate.revoked_at)
                                  .order_by(Certificate.revoked_at.is_(None), Certificate.id)).all()
        revoked = db.session.execute(text("SELECT count(*) FROM certificate WHERE revoked_at IS NOT NULL")).scalar()
    assert rows and revoked is not None
    for number, _ in rows[:3]:
        page = client.get(f"/certificates/{number}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "dữ liệu mô phỏng" in html and "không phải là chứng chỉ" in html
        assert f"/certificates/{number}.json" not in html  # no "digital credential" to download
        shown = client.get(f"/verify/{number}")
        assert shown.status_code == 200 and "Mô phỏng" in shown.get_data(as_text=True)
        assert client.get(f"/verify/{number}.json").get_json() == {"number": number, "status": "synthetic"}
        assert client.get(f"/certificates/{number}.pdf").status_code == 200
        credential = client.get(f"/certificates/{number}.json")
        assert credential.status_code == 200 and credential.get_json()["type"] == ["SyntheticDemoRecord"]


def _ledger(app: Flask) -> tuple[int, int, int, list[tuple[Any, ...]]]:
    from lms.models import ReportFact, ReportPerson, ReportSummary, ReportTarget

    with app.app_context():
        s = db.session
        count = lambda model: int(s.scalar(select(func.count()).select_from(model)) or 0)  # noqa: E731
        summary = sorted(tuple(r) for r in s.execute(select(
            ReportSummary.unit_code, ReportSummary.period, ReportSummary.target_group, ReportSummary.program,
            ReportSummary.course_id, ReportSummary.registered, ReportSummary.achieved, ReportSummary.certified)))
        return count(ReportFact), count(ReportPerson), count(ReportTarget), summary


def test_demo_seed_is_idempotent(published: Flask, runner: Any) -> None:
    """`lms demo seed` (what .ci/serve runs): a population of Hà Nội and TP.HCM with its facts, the demo
    targets and populations, the summary; run again, nothing is added or doubled."""
    from lms.models import utcnow
    from lms.services import facts, reports

    first = runner.invoke(args=["demo", "seed", "--people", "300"])
    assert first.exit_code == 0, first.output
    accounts = _synthetic(published)
    assert accounts > 300
    fact_rows, persons, targets, summary = _ledger(published)
    assert persons == accounts and fact_rows > 3 * accounts and targets > 0 and summary
    with published.app_context():
        s = db.session
        provinces = set(s.scalars(text(f"SELECT DISTINCT province_code FROM user_account "
                                       f"WHERE email LIKE '%@{pop.SYNTHETIC_EMAIL_DOMAIN}'")))
        assert provinces == {"01", "79"}
        assert facts.check(s) == []
        period = facts.period_of(utcnow())
        nation = reports.figures(s, "VN", period)
        assert sum(f.registered for f in nation) == accounts
        assert sum(f.verified for f in nation) > 0 and sum(f.achieved for f in nation) > 0
        hanoi = reports.figures(s, "01", period)
        assert any(f.target is not None for f in hanoi)
    again = runner.invoke(args=["demo", "seed", "--people", "300"])
    assert again.exit_code == 0, again.output
    assert "kept the synthetic population" in again.output
    assert _synthetic(published) == accounts
    assert _ledger(published) == (fact_rows, persons, targets, summary)


def test_rebuild_from_base_and_replace(published: Flask, runner: Any) -> None:
    """A bulk-loaded population has no facts until `lms reports rebuild --from-base`; `--replace` deletes the
    synthetic accounts' facts with them."""
    assert runner.invoke(args=["demo", "population", "--people", "200"]).exit_code == 0
    assert _ledger(published)[:2] == (0, 0)
    result = runner.invoke(args=["reports", "rebuild", "--from-base"])
    assert result.exit_code == 0, result.output
    accounts = _synthetic(published)
    facts_, persons, _, summary = _ledger(published)
    assert f"facts of {accounts} accounts rebuilt from the base tables" in result.output
    assert persons == accounts and facts_ > accounts and summary
    assert runner.invoke(args=["reports", "check"]).exit_code == 0
    replaced = runner.invoke(args=["demo", "population", "--people", "20", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert _ledger(published)[:2] == (0, 0)
