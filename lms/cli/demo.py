"""`lms demo`: demonstration data, in demo mode only (LMS_MODE=demo). `lms demo population --people N` fills
the database with a synthetic population (docs/reporting.md#synthetic-population). Errors go to stderr:
exit 1 when refused (nothing written), 2 for a bad command line."""
from __future__ import annotations

import resource
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import write_intent
from ..extensions import db
from ..models import utcnow


@click.group("demo")
def demo_group() -> None:
    """Demonstration data (demo mode only)."""


def _provinces(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    codes = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    bad = [c for c in codes if not (len(c) == 2 and c.isdigit())]
    if bad:
        raise click.BadParameter(f"mã tỉnh phải gồm 2 chữ số: {', '.join(bad)} "
                                 f"(province codes are 2 digits)", param_hint="--provinces")
    return codes


def _refused(message: str) -> None:
    db.session.rollback()
    click.echo(f"lỗi (error): {message}", err=True)
    sys.exit(1)


@demo_group.command("population")
@click.option("--people", type=click.IntRange(min=1), required=True, help="How many people (persons).")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same people.")
@click.option("--provinces", help="Only these provinces, e.g. 01,79 (default: all 34).")
@click.option("--year-from", type=click.IntRange(2025, 2100), default=2025, show_default=True)
@click.option("--year-to", type=click.IntRange(2025, 2100), default=2026, show_default=True)
@click.option("--replace", is_flag=True, help="Delete the synthetic population already there first "
                                              "(only synthetic rows).")
@with_appcontext
def population_command(people: int, seed: int, provinces: str | None, year_from: int, year_to: int,
                       replace: bool) -> None:
    """Fill the database with a synthetic population: registrations, VNeID verifications, enrolments,
    completions, certificates and revocations over the years given, in real communes."""
    from ..services import population

    if current_app.config.get("LMS_MODE") != "demo":
        _refused("chỉ dùng ở chế độ demo (LMS_MODE=demo): không tạo dữ liệu mô phỏng trên máy chủ thật "
                 "(demo mode only: synthetic people are never written to a production database)")
        return
    options = population.Options(people=people, seed=seed, provinces=_provinces(provinces),
                                 year_from=year_from, year_to=year_to)
    chunks = (people + 9_999) // 10_000
    step = max(1, chunks // 10)

    def progress(index: int, counts: object, seconds: float) -> None:
        if (index + 1) % step == 0 or index + 1 == chunks:
            click.echo(f"  {getattr(counts, 'people'):>10,} people  {seconds:7.1f} s", err=True)

    token = write_intent.set(True)
    try:
        removed = population.remove(db.session) if replace else 0
        if removed:
            click.echo(f"removed {removed:,} synthetic accounts", err=True)
        summary = population.generate(db.session, options, utcnow(), progress)
        db.session.commit()
    except population.PopulationRefused as refused:
        _refused(str(refused))
        return
    finally:
        write_intent.reset(token)
    c = summary.counts
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    click.echo(f"synthetic population ({summary.backend}, seed {seed}): {c.people:,} people, "
               f"{c.accounts:,} accounts, {c.verified:,} verified ({c.verified_level2:,} at level 2), "
               f"{c.enrolments:,} enrolments, {c.completions:,} completions, {c.certificates:,} certificates, "
               f"{c.revoked:,} revoked; {summary.seconds:.1f} s, peak RSS {rss:.0f} MB")


DEMO_PEOPLE = 30_000
DEMO_PROVINCES = ("01", "79")  # Hà Nội and TP. Hồ Chí Minh: the two plans of the demo targets


@demo_group.command("seed")
@click.option("--people", type=click.IntRange(1, 10_000_000), default=DEMO_PEOPLE, show_default=True,
              help="How many synthetic people, if there are none yet.")
@with_appcontext
def seed_command(people: int) -> None:
    """The demo's dashboards, as .ci/serve makes them: a synthetic population across the real communes of
    Hà Nội and TP. Hồ Chí Minh (only if the database holds none yet), its reporting facts, the demo targets
    and populations, and the summary tables rebuilt from the facts. Idempotent: a second run adds no one and
    rebuilds nothing (the summary is kept current by every event since)."""
    from pathlib import Path

    from ..domain import population as pop
    from ..services import facts, population, reports

    if current_app.config.get("LMS_MODE") != "demo":
        _refused("chỉ dùng ở chế độ demo (LMS_MODE=demo) (demo mode only)")
        return
    token = write_intent.set(True)
    try:
        now = utcnow()
        existing = population.synthetic_accounts(db.session)
        rows = 0
        if existing:
            click.echo(f"kept the synthetic population already there ({existing:,} accounts)", err=True)
        else:
            summary = population.generate(db.session, population.Options(
                people=people, seed=1, provinces=DEMO_PROVINCES), now)
            persons, count = facts.facts_from_base(
                db.session, now, f"u.email LIKE '%@{pop.SYNTHETIC_EMAIL_DOMAIN}'")
            rows = facts.rebuild(db.session, now)
            click.echo(f"synthetic population of Hà Nội and TP. Hồ Chí Minh: {summary.counts.people:,} people, "
                       f"{persons:,} accounts, {count:,} reporting facts, {rows:,} summary rows", err=True)
        here = Path(__file__).resolve().parent.parent / "data" / "demo"
        for kind, name in (("targets", "targets.csv"), ("population", "population.csv")):
            file = here / name
            _, problems = reports.import_rows(db.session, str(file), file.read_bytes(), kind)
            if problems:
                _refused("; ".join(str(p) for p in problems))
                return
        db.session.commit()
    except population.PopulationRefused as refused:
        _refused(str(refused))
        return
    finally:
        write_intent.reset(token)
    click.echo(f"demo reports: {population.synthetic_accounts(db.session):,} synthetic accounts, the demo "
               f"targets and populations" + (f", {rows:,} summary rows rebuilt" if rows else ""))
