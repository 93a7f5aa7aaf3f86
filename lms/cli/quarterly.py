"""`lms quarterly`: check a downloaded quarterly report, and see which units have submitted a quarter."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..domain.quarters import Quarter
from ..extensions import db
from ..services import quarterly, units

STATUS = {"on_time": "đúng hạn / on time", "late": "trễ hạn / late", "open": "chưa nộp, còn hạn / open",
          "overdue": "quá hạn / overdue", "not_open": "chưa đến kỳ / not open yet"}


@click.group("quarterly")
def quarterly_group() -> None:
    """Quarterly reports (docs/reporting.md)."""


@quarterly_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_command(file: Path) -> None:
    """Check that FILE (a report downloaded as JSON) is exactly what the platform signed. Exit 1 if not."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        document, signature = data["document"], data["signature"]
        if not isinstance(document, dict) or not isinstance(signature, str):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        click.echo(f"{file}: không phải tệp báo cáo quý / not a quarterly report file", err=True)
        raise SystemExit(1)
    from ..domain import certificates as certs

    if quarterly.verify(db.session, certs.canonical(document), signature) is None:
        click.echo(f"{file}: chữ ký KHÔNG hợp lệ / signature NOT valid", err=True)
        raise SystemExit(1)
    click.echo(f"{file}: hợp lệ / valid — {document['id']}, {document['unit']['name']}, {document['quarter']}, "
               f"số liệu đến / figures as of {document['cutoff']}")


@quarterly_group.command("status")
@click.argument("unit_code")
@click.argument("quarter")
@with_appcontext
def status_command(unit_code: str, quarter: str) -> None:
    """Which units directly under UNIT_CODE have submitted QUARTER (e.g. 2025Q3)."""
    try:
        q = Quarter.parse(quarter)
        parent = units.by_code(db.session, unit_code)
    except (ValueError, units.UnitRefused) as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2)
    for row in quarterly.submissions(db.session, parent, q, datetime.now(timezone.utc)):
        when = row.first_submitted_at.isoformat() if row.first_submitted_at else "-"
        click.echo(f"{row.unit.code}\t{row.unit.name}\t{STATUS[row.status]}\tv{row.latest_version}\t{when}")
