"""`lms units`: the administrative tree (docs/reporting.md#administrative-units): load the official list, list a
unit and its children, import thôn/tổ dân phố from a commune's CSV, merge and rename with an effective date.
Errors go to stderr: exit 1 for a refused change or bad rows (nothing written), 2 for a bad command line."""
from __future__ import annotations

import getpass
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from ..db import write_intent
from ..extensions import db
from ..models import utcnow


class DateType(click.ParamType):
    """A calendar date written YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            if len(str(value)) != 10:
                raise ValueError
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"'{value}' không phải ngày YYYY-MM-DD (not a date YYYY-MM-DD)", param, ctx)


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (a container): still say it came from the command line
        return "cli"


def _refused(message: str) -> None:
    db.session.rollback()
    click.echo(f"lỗi (error): {message}", err=True)
    sys.exit(1)


@click.group("units")
def units_group() -> None:
    """Administrative units: provinces, communes, thôn and tổ dân phố."""


def sync_units() -> None:
    """Load the official units the database lacks and say how many (also run by `lms db upgrade`)."""
    from ..services import units

    token = write_intent.set(True)
    try:
        added = units.sync(db.session)
        db.session.commit()
    finally:
        write_intent.reset(token)
    click.echo(f"units: {added} added")


@units_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Add the official units the database does not hold yet (never changes one it holds)."""
    sync_units()


def _line(unit: Any, below: int | None = None, indent: str = "") -> str:
    text = f"{indent}{unit.code}  {unit.name}  [{unit.kind}]"
    if below:
        text += f"  {below} below"
    if unit.valid_until is not None:
        successor = unit.successor.code if unit.successor else "?"
        text += f"  merged into {successor} from {unit.valid_until.isoformat()}"
    return text


@units_group.command("list")
@click.argument("code", required=False)
@with_appcontext
def list_command(code: str | None) -> None:
    """Show the unit CODE (default: the nation) and the units directly under it."""
    from ..services import units

    try:
        found = units.listing(db.session, code)
    except units.UnitRefused as refused:
        _refused(str(refused))
        return
    parent = found.unit.parent
    click.echo(_line(found.unit, len(found.children)))
    if parent is not None:
        click.echo(f"  in {parent.code}  {parent.name}")
    for child in found.children:
        click.echo(_line(child, found.counts.get(child.id), indent="  "))


@units_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--by", help="Who makes the change (for the audit log; default: cli:<login name>).")
@with_appcontext
def import_command(file: Path, by: str | None) -> None:
    """Import thôn / tổ dân phố from a CSV with the columns commune_code,code,name,kind: every bad row is
    printed as path:line: message, and with any of them nothing is written (exit 1)."""
    from ..domain import areas
    from ..services import units

    try:
        data = file.read_bytes()
    except OSError as exc:
        click.echo(f"{file}: không đọc được tệp (cannot read the file): {exc.strerror}", err=True)
        sys.exit(2)
    rows, problems = areas.read_village_csv(str(file), data)
    token = write_intent.set(True)
    try:
        if problems:  # the rows that passed are still checked against the tree: every problem in one run
            problems = sorted(problems + units.village_problems(db.session, rows, str(file), utcnow().date()))
        else:
            try:
                added = units.import_villages(db.session, rows, str(file), _actor(by), utcnow())
                db.session.commit()
            except units.ImportRefused as refused:
                db.session.rollback()
                problems = refused.problems
    finally:
        write_intent.reset(token)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} lỗi: không có gì được nhập (problems found: nothing was imported)", err=True)
        sys.exit(1)
    for commune, count in sorted(added.items()):
        click.echo(f"{commune}: {count} units added")


@units_group.command("merge")
@click.argument("from_codes", metavar="FROM...", nargs=-1, required=True)
@click.option("--into", "into", required=True, help="The code of the unit they become part of.")
@click.option("--effective", type=DateType(), required=True, help="The first day of the merge (YYYY-MM-DD).")
@click.option("--by", help="Who makes the change (for the audit log; default: cli:<login name>).")
@with_appcontext
def merge_command(from_codes: tuple[str, ...], into: str, effective: date, by: str | None) -> None:
    """Merge the units FROM... into --into from --effective on; units under them move with them."""
    from ..services import units

    token = write_intent.set(True)
    try:
        changes = units.merge(db.session, from_codes, into, effective, _actor(by), utcnow())
        lines = [f"{c.unit.code} {c.unit.name}: merged into {c.target.code if c.target else '?'} from "
                 f"{effective.isoformat()}" + (f" ({c.new_value})" if c.new_value else "") for c in changes]
        db.session.commit()
    except units.UnitRefused as refused:
        _refused(str(refused))
        return
    finally:
        write_intent.reset(token)
    for line in lines:
        click.echo(line)


@units_group.command("rename")
@click.argument("code")
@click.argument("name")
@click.option("--effective", type=DateType(), required=True, help="The first day of the new name (YYYY-MM-DD).")
@click.option("--by", help="Who makes the change (for the audit log; default: cli:<login name>).")
@with_appcontext
def rename_command(code: str, name: str, effective: date, by: str | None) -> None:
    """Rename the unit CODE to NAME from --effective on (the old name stays in the audit log)."""
    from ..services import units

    token = write_intent.set(True)
    try:
        change = units.rename(db.session, code, name, effective, _actor(by), utcnow())
        line = f"{change.unit.code}: {change.old_value} → {change.new_value} from {effective.isoformat()}"
        db.session.commit()
    except units.UnitRefused as refused:
        _refused(str(refused))
        return
    finally:
        write_intent.reset(token)
    click.echo(line)


@units_group.command("current")
@click.argument("code")
@click.option("--on", "on", type=DateType(), help="The day (default: today).")
@with_appcontext
def current_command(code: str, on: date | None) -> None:
    """The unit that stands for CODE on a day (itself, or the successor of its merges)."""
    from ..services import units

    day = on or utcnow().date()
    try:
        unit = units.current_unit(db.session, code, day)
    except units.UnitRefused as refused:
        _refused(str(refused))
        return
    click.echo(f"{code} on {day.isoformat()}: {unit.code}  {units.name_on(db.session, unit, day)}")


@units_group.command("log")
@click.argument("code")
@with_appcontext
def log_command(code: str) -> None:
    """The audit log of the unit CODE: who changed what, when, from which day."""
    from ..services import units

    try:
        unit = units.by_code(db.session, code)
    except units.UnitRefused as refused:
        _refused(str(refused))
        return
    for c in units.changes(db.session, unit):
        what = {"merge": f"{c.unit.code} merged into {c.target.code if c.target else '?'}",
                "rename": f"{c.unit.code} renamed {c.old_value} → {c.new_value}",
                "import": f"{c.unit.code} received {c.new_value}"}.get(c.action, c.action)
        click.echo(f"{c.at.isoformat(timespec='seconds')}  {c.actor}  {what}  effective "
                   f"{c.effective.isoformat()}")


