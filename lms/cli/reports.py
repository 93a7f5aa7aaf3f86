"""`lms reports`: the officials' figures (docs/reporting.md, "Facts and summary tables"): recompute the summary
tables from the facts, check them, import targets and target populations. Exit 1 for differences or bad
rows (nothing written)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import cluster_job, write_intent
from ..extensions import db
from ..models import utcnow


@click.group("reports")
def reports_group() -> None:
    """Officials' figures: summary tables, targets and populations."""


@reports_group.command("rebuild")
@click.option("--from-base", is_flag=True,
              help="First rebuild the facts themselves from the accounts, enrolments and certificates "
                   "(after a bulk load such as `lms demo population`; past quarters are approximated).")
@with_appcontext
def rebuild_command(from_base: bool) -> None:
    """Recompute every summary row from the facts, in one transaction. Once per cluster: while it runs on one
    server, the same command started on another (a timer on every server) says so and exits 3."""
    from ..services import facts

    with cluster_job(db.engine, "reports-rebuild") as mine:
        if not mine:
            click.echo("lms reports rebuild: đang chạy ở nơi khác, bỏ qua lần này "
                       "(already running on another server or process; skipped)", err=True)
            sys.exit(3)
        token = write_intent.set(True)
        try:
            now = utcnow()
            if from_base:
                persons, count = facts.facts_from_base(db.session, now)
                click.echo(f"reports: {count} facts of {persons} accounts rebuilt from the base tables")
            count = facts.rebuild(db.session, now)
            db.session.commit()
        finally:
            write_intent.reset(token)
    click.echo(f"reports: {count} summary rows rebuilt from the facts")


@reports_group.command("check")
@with_appcontext
def check_command() -> None:
    """Recount the facts and compare with the summary rows; print the differences (exit 1 if any)."""
    from ..services import facts

    problems = facts.check(db.session)
    for (unit, period, group, program, course), stored, recount in problems:
        diff = ", ".join(f"{m} {stored[m]} ≠ {recount[m]}" for m in stored if stored[m] != recount[m])
        click.echo(f"{unit} {facts.period_label(period)} group {group} program {program or '-'} "
                   f"course {course or '-'}: {diff}")
    if problems:
        click.echo(f"reports: {len(problems)} summary rows differ from the facts", err=True)
        sys.exit(1)
    click.echo("reports: the summary tables agree with the facts")


def _import(kind: str, file: Path) -> None:
    from ..services import reports

    token = write_intent.set(True)
    try:
        count, problems = reports.import_rows(db.session, str(file), file.read_bytes(), kind)
        if problems:
            db.session.rollback()
            for p in problems:
                click.echo(p, err=True)
            sys.exit(1)
        db.session.commit()
    finally:
        write_intent.reset(token)
    click.echo(f"{kind}: {count} rows imported from {file}")


@reports_group.group("targets")
def targets_group() -> None:
    """Targets (percent per unit × year × group), inherited by the units below."""


@targets_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def targets_import(file: Path) -> None:
    """Import targets from CSV: unit_code,year,group,percent[,source]."""
    _import("targets", file)


@reports_group.group("population")
def population_group() -> None:
    """Target populations (denominators) per unit × year × group, with source and date."""


@population_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def population_import(file: Path) -> None:
    """Import target populations from CSV: unit_code,year,group,population,source,as_of."""
    _import("population", file)


@reports_group.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo targets and populations (lms/data/demo/*.csv), for the demo set-up."""
    here = Path(__file__).resolve().parent.parent / "data" / "demo"
    _import("targets", here / "targets.csv")
    _import("population", here / "population.csv")
