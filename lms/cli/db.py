"""`lms db`: the database schema, only through the Alembic migrations."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import migrate
from ..extensions import db


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head); at head, also load the official administrative units
    the database does not hold yet (`lms units sync`)."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"database at {revision}")
    if revision == "head":
        from .units import sync_units

        sync_units()


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(db.engine, revision)
    click.echo(f"database at {revision}")
