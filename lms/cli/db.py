"""`lms db`: the database schema, only through the Alembic migrations; backups and their restore
(lms/backup.py, docs/operations.md#backups). Errors go to stderr as one line `lỗi (error): …`, exit 1."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import backup as backups
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


def _refused(message: str) -> None:
    click.echo(f"lỗi (error): {message}", err=True)
    sys.exit(1)


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB ({size:,} bytes)" if size >= 100_000 else f"{size:,} bytes"


def _counts(summary: backups.Summary) -> str:
    return ", ".join(f"{table} {count}" for table, count in summary.counts.items())


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@with_appcontext
def db_backup(file: Path, force: bool) -> None:
    """Copy the whole database into FILE while the server keeps serving: SQLite through its online backup
    API (then PRAGMA integrity_check on the copy), PostgreSQL with pg_dump --format=custom."""
    try:
        summary = backups.backup(db.engine, file, force=force)
    except backups.BackupError as exc:
        _refused(str(exc))
        return
    click.echo(f"sao lưu (backup): {summary.path}  {_size(summary.size)}  revision {summary.revision}")
    click.echo(f"  {_counts(summary)}")


@db_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: every row of the database is replaced by FILE's.")
@with_appcontext
def db_restore(file: Path, yes: bool) -> None:
    """Replace the whole database with the backup FILE (made by `lms db backup`), after checking it: a backup
    of this platform at a schema revision this code knows, intact. Needs --yes."""
    try:
        found = backups.inspect(db.engine, file)
        if not yes:
            _refused(f"{file}: khôi phục sẽ thay toàn bộ dữ liệu của {backups.database_name(db.engine)}; "
                     "thêm --yes để xác nhận (a restore replaces all data of the database: add --yes to confirm)")
            return
        db.engine.dispose()  # this process's own pooled connections hold nothing while the data changes
        summary = backups.restore(db.engine, file)
    except backups.BackupError as exc:
        _refused(str(exc))
        return
    click.echo(f"khôi phục (restored): {backups.database_name(db.engine)} from {found.path}, "
               f"revision {summary.revision}")
    if summary.counts:
        click.echo(f"  {_counts(summary)}")
    if not summary.at_head:
        click.echo("  lược đồ cũ hơn mã nguồn: chạy `lms db upgrade` (the schema is older than the code: "
                   "run `lms db upgrade`)")
    click.echo("  chạy `lms index` trên mỗi máy chủ (run `lms index` on every app server: the search index)")
