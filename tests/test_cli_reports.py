"""`lms reports`: rebuild, check (exit 1 on a difference), targets and population import (path:line, all or
nothing), the demo data."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms.models import ReportPopulation, ReportSummary, ReportTarget
from lms.services import facts
from tests.services.report_helpers import at, register


def test_rebuild_and_check(runner: Any, clean_db: Engine) -> None:
    with Session(clean_db) as s:
        register(s, "an", "01", "00004", 3, at(2025, 8, 1))
        s.commit()
    result = runner.invoke(args=["reports", "check"])
    assert result.exit_code == 0, result.output
    with Session(clean_db) as s:
        s.execute(update(ReportSummary).where(ReportSummary.unit_code == "01").values(registered=5))
        s.commit()
    result = runner.invoke(args=["reports", "check"])
    assert result.exit_code == 1 and "01 2025Q3 group 3" in result.output and "registered 5 ≠ 1" in result.output
    result = runner.invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0 and "3 summary rows" in result.output, result.output
    assert runner.invoke(args=["reports", "check"]).exit_code == 0


def test_targets_import_is_all_or_nothing(runner: Any, clean_db: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("unit_code,year,group,percent\n01,2025,3,90\n99999,2025,3,80\n01,2025,9,80\n01,2025,3,95\n"
                   "01,2025,2,120\n", encoding="utf-8")
    result = runner.invoke(args=["reports", "targets", "import", str(bad)])
    assert result.exit_code == 1
    for line in (3, 4, 5, 6):
        assert f"{bad}:{line}:" in result.output
    with Session(clean_db) as s:
        assert s.scalar(select(func.count()).select_from(ReportTarget)) == 0
    good = tmp_path / "g.csv"
    good.write_bytes("\ufeffunit_code,year,group,percent\r\n01,2025,3,90\r\n".encode())
    assert runner.invoke(args=["reports", "targets", "import", str(good)]).exit_code == 0
    with Session(clean_db) as s:
        assert s.get(ReportTarget, ("01", 2025, 3)).percent == 90  # type: ignore[union-attr]


def test_population_import_and_demo(runner: Any, clean_db: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("unit_code,year,group,population,source,as_of\n00004,2025,3,100,,2025-01-01\n"
                   "00004,2025,3,100,x,2025-13-01\n", encoding="utf-8")
    result = runner.invoke(args=["reports", "population", "import", str(bad)])
    assert result.exit_code == 1 and f"{bad}:2:" in result.output and f"{bad}:3:" in result.output
    result = runner.invoke(args=["reports", "demo"])
    assert result.exit_code == 0, result.output
    with Session(clean_db) as s:
        assert s.get(ReportTarget, ("79", 2025, 3)).percent == 80  # type: ignore[union-attr]
        assert s.get(ReportTarget, ("00004", 2025, 3)).percent == 90  # type: ignore[union-attr]
        pop = s.get(ReportPopulation, ("00004", 2025, 3))
        assert pop is not None and "DEMO ESTIMATE" in pop.source


def test_rebuild_runs_once_per_cluster(runner: Any, clean_db: Engine) -> None:
    """Issue 9: scheduled work runs once per cluster. While another server holds the job (here: the same lock
    taken through a connection or file of its own, as another process would), `lms reports rebuild` says so,
    exits 3 and writes nothing; once the job is free it runs. Two holders never both get the lock."""
    from lms.db import cluster_job

    with Session(clean_db) as s:
        register(s, "an", "01", "00004", 3, at(2025, 8, 1))
        s.execute(update(ReportSummary).where(ReportSummary.unit_code == "01").values(registered=5))
        s.commit()
    with cluster_job(clean_db, "reports-rebuild") as mine:
        assert mine
        with cluster_job(clean_db, "reports-rebuild") as second:
            assert not second
        with cluster_job(clean_db, "something-else") as other:
            assert other  # another job is not held
        result = runner.invoke(args=["reports", "rebuild"])
        assert result.exit_code == 3, result.output
        assert "already running on another server" in result.output
        assert runner.invoke(args=["reports", "check"]).exit_code == 1  # nothing was rebuilt
    result = runner.invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["reports", "check"]).exit_code == 0
