"""Backups of the whole database and their restore (`lms db backup` / `lms db restore`, docs/operations.md,
"Backups").

SQLite: the copy is made through SQLite's online backup API in one step, i.e. inside one read transaction
of the live database: a consistent snapshot of the last commit before it began, while the server goes on
reading and writing (WAL mode: readers never block writers). The copy is written beside the target, checked
with `PRAGMA integrity_check`, synced and only then given the target's name. A restore checks the file first
(a SQLite database, `integrity_check` ok, an `alembic_version` this code knows), then copies it into the live
database through the same API: one write transaction of the live database, queued behind the app's writers
(their `flock`, lms/db.py), so every connection already open sees the old data or the new, never a mix, and
the server need not stop.

PostgreSQL: `pg_dump --format=custom` in the snapshot of a transaction that also counts the main tables, so
the counts printed are those of the dump; `pg_restore --clean --if-exists --single-transaction` to restore.

Foundation module: stdlib, SQLAlchemy and the migrations only. Errors are `BackupError`, whose message is one
line in Vietnamese with English in parentheses, naming the file it is about first.
"""
from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from .db import writers_lock_path
from .migrate import known_revisions

# The tables whose row counts a backup and a restore print (those the file holds).
MAIN_TABLES = ("user_account", "course", "enrolment", "quiz_attempt", "certificate")
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A refused backup or restore; the message is the one line to show."""


@dataclass(frozen=True)
class Summary:
    """What a backup file holds (or what the database holds after a restore)."""

    path: Path
    size: int
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    at_head: bool = True  # the revision is the newest this code knows


def backup(engine: Engine, target: Path, force: bool = False) -> Summary:
    """Copy the database of `engine` into the file `target` (refused if it exists, unless `force`)."""
    target = Path(target)
    _check_target(target, force, _live_sqlite_path(engine) if _is_sqlite(engine) else None)
    if _is_sqlite(engine):
        return _sqlite_backup(_live_sqlite_path(engine), target, force)
    if engine.dialect.name == "postgresql":
        return _pg_backup(engine, target, force)
    raise BackupError(f"không hỗ trợ cơ sở dữ liệu {engine.dialect.name} (unsupported database)")


def inspect(engine: Engine, source: Path) -> Summary:
    """Check that `source` is a backup this code can restore into the database of `engine`; its summary."""
    source = Path(source)
    if _is_sqlite(engine):
        return _sqlite_inspect(source)
    if engine.dialect.name == "postgresql":
        return _pg_inspect(source)
    raise BackupError(f"không hỗ trợ cơ sở dữ liệu {engine.dialect.name} (unsupported database)")


def restore(engine: Engine, source: Path) -> Summary:
    """Replace every row of the database of `engine` with the backup `source` (checked first, as `inspect`);
    the summary of the database afterwards."""
    source = Path(source)
    if _is_sqlite(engine):
        return _sqlite_restore(_live_sqlite_path(engine), source)
    if engine.dialect.name == "postgresql":
        return _pg_restore(engine, source)
    raise BackupError(f"không hỗ trợ cơ sở dữ liệu {engine.dialect.name} (unsupported database)")


def database_name(engine: Engine) -> str:
    """The live database, as an operator would name it (the file, or the URL without its password)."""
    if _is_sqlite(engine):
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


# --- files ----------------------------------------------------------------------------------------------


def _check_target(target: Path, force: bool, live: Path | None) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"{target}: thư mục {target.parent} không tồn tại (no such folder)")
    if target.is_dir():
        raise BackupError(f"{target}: là một thư mục, không phải tệp (is a folder, not a file)")
    if live is not None and target.exists() and os.path.samefile(target, live):
        raise BackupError(f"{target}: đây là cơ sở dữ liệu đang chạy (this is the live database)")
    if target.exists() and not force:
        raise BackupError(f"{target}: tệp đã tồn tại, dùng --force để ghi đè "
                          "(the file exists; use --force to overwrite it)")


def _partial(target: Path) -> Path:
    """A fresh temporary name beside `target` (same file system, so the final rename is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    return Path(name)


def _publish(partial: Path, target: Path, force: bool) -> None:
    """Sync `partial` and give it the name `target`; without `force` an existing file is never replaced,
    even one that appeared meanwhile (a hard link refuses an existing name)."""
    with partial.open("rb+") as f:
        os.fsync(f.fileno())
    if force:
        os.replace(partial, target)
    else:
        try:
            os.link(partial, target)
        except FileExistsError:
            raise BackupError(f"{target}: tệp đã tồn tại, dùng --force để ghi đè "
                              "(the file exists; use --force to overwrite it)") from None
        partial.unlink()
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _readable_file(source: Path) -> bytes:
    """The first bytes of `source`, refusing what is not a readable file."""
    if not source.is_file():
        raise BackupError(f"{source}: không có tệp này (no such file)")
    try:
        with source.open("rb") as f:
            return f.read(16)
    except OSError as exc:
        raise BackupError(f"{source}: không đọc được tệp (cannot read the file): {exc.strerror}") from None


def _revision_known(source: Path, revision: str | None) -> bool:
    """Whether `revision` is the newest this code knows (True) or an older one (False); refused otherwise."""
    if revision is None:
        raise BackupError(f"{source}: không phải bản sao lưu của Học Vụ Số, thiếu phiên bản lược đồ "
                          "(not a Học Vụ Số backup: no alembic_version)")
    known, heads = known_revisions()
    if revision not in known:
        raise BackupError(f"{source}: lược đồ ở phiên bản {revision}, mới hơn mã nguồn này hoặc không rõ; "
                          "hãy cập nhật mã nguồn trước (schema revision unknown to this code, probably newer: "
                          "upgrade the code first)")
    return revision in heads


# --- SQLite ---------------------------------------------------------------------------------------------


def _is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _live_sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{database or ':memory:'}: chỉ sao lưu được cơ sở dữ liệu là một tệp "
                          "(only a database in a file can be backed up or restored)")
    live = Path(database)
    if not live.is_file():
        raise BackupError(f"{live}: không có cơ sở dữ liệu này (no such database file)")
    return live


def _sqlite_problems(conn: sqlite3.Connection) -> list[str]:
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone():
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in MAIN_TABLES if t in present}


def _sqlite_backup(live: Path, target: Path, force: bool) -> Summary:
    partial = _partial(target)
    try:
        source = sqlite3.connect(live, timeout=30, isolation_level=None)
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            # pages=-1: the whole database in one step, i.e. one read transaction of the source (a snapshot).
            # Copying in several steps would start again after every write of the server and, under steady
            # writes, might never finish.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (the live one is in WAL)
            problems = _sqlite_problems(copy)
            if problems:
                raise BackupError(f"{target}: bản sao không qua PRAGMA integrity_check (the copy fails "
                                  f"integrity_check): {problems[0]}")
            revision = _sqlite_revision(copy)
            counts = _sqlite_counts(copy)
        finally:
            copy.close()
            source.close()
        _publish(partial, target, force)
    except sqlite3.Error as exc:
        raise BackupError(f"{live}: không sao lưu được (the backup failed): {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    _, heads = known_revisions()
    return Summary(target, target.stat().st_size, revision, counts, revision in heads)


def _open_read_only(source: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(source.resolve()))}?mode=ro", uri=True, timeout=30,
                           isolation_level=None)


def _sqlite_inspect(source: Path) -> Summary:
    if _readable_file(source) != SQLITE_MAGIC:
        raise BackupError(f"{source}: không phải cơ sở dữ liệu SQLite (not a SQLite database)")
    try:
        conn = _open_read_only(source)
        try:
            problems = _sqlite_problems(conn)
            if problems:
                raise BackupError(f"{source}: tệp bị hỏng, PRAGMA integrity_check: {problems[0]} "
                                  "(the file is corrupt)")
            revision = _sqlite_revision(conn)
            counts = _sqlite_counts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: tệp bị hỏng hoặc không đọc được (the file is corrupt or unreadable): "
                          f"{exc}") from None
    at_head = _revision_known(source, revision)
    return Summary(source, source.stat().st_size, revision, counts, at_head)


class _WritersQueue:
    """The app's writers' `flock` (lms/db.py), held while the live database is replaced, so the app's
    writers wait for the restore in the kernel's queue rather than in SQLite's busy handler."""

    def __init__(self, live: Path) -> None:
        self.path = writers_lock_path(str(live))
        self.fd: int | None = None

    def __enter__(self) -> None:
        if self.path is not None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


def _sqlite_restore(live: Path, source: Path) -> Summary:
    _sqlite_inspect(source)
    try:
        backup_file = _open_read_only(source)
        database = sqlite3.connect(live, timeout=30, isolation_level=None)
        try:
            database.execute("PRAGMA busy_timeout=30000")
            with _WritersQueue(live):
                # One step: one write transaction of the live database (its WAL), so a reader sees all of the
                # old data or all of the new; the database stays in WAL mode.
                backup_file.backup(database, pages=-1)
            problems = _sqlite_problems(database)
            if problems:
                raise BackupError(f"{live}: sau khi khôi phục, PRAGMA integrity_check: {problems[0]} "
                                  "(the restored database fails integrity_check)")
            database.execute("PRAGMA wal_checkpoint(PASSIVE)")
            revision = _sqlite_revision(database)
            counts = _sqlite_counts(database)
        finally:
            database.close()
            backup_file.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{live}: không khôi phục được, dữ liệu cũ vẫn giữ nguyên (the restore failed; "
                          f"the database is unchanged): {exc}") from None
    _, heads = known_revisions()
    return Summary(live, live.stat().st_size, revision, counts, revision in heads)


# --- PostgreSQL -----------------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """`pg_dump` or `pg_restore`: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path))

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name}: không tìm thấy chương trình, hãy cài gói postgresql-client "
                      f"(not found on PATH nor in /usr/lib/postgresql/*/bin: install postgresql-client)")


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URL of a SQLAlchemy URL (no driver, no password) and the environment with the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], env: dict[str, str], what: Path) -> subprocess.CompletedProcess[str]:
    command = [pg_tool(tool), *args]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"{what}: không chạy được {tool} (cannot run {tool}): {exc.strerror}") from None
    if done.returncode != 0:
        detail = " / ".join(line.strip() for line in done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        raise BackupError(f"{what}: {tool} thất bại ({tool} failed): {detail}")
    return done


def _pg_counts(conn: Connection) -> tuple[str | None, dict[str, int]]:
    present = set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")))
    revision = (conn.scalar(text("SELECT version_num FROM alembic_version")) if "alembic_version" in present
                else None)
    counts = {t: int(conn.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0) for t in MAIN_TABLES if t in present}
    return revision, counts


def _pg_backup(engine: Engine, target: Path, force: bool) -> Summary:
    dsn, env = _libpq(engine.url)
    pg_tool("pg_dump")  # a clear error before anything else is done
    partial = _partial(target)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump works in this transaction's snapshot: the counts below are those of the dump.
                snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
                revision, counts = _pg_counts(conn)
                _run("pg_dump", ["--format=custom", f"--snapshot={snapshot}", "--no-password",
                                 f"--file={partial}", f"--dbname={dsn}"], env, target)
        _run("pg_restore", ["--list", str(partial)], env, target)  # the archive reads back
        _publish(partial, target, force)
    finally:
        partial.unlink(missing_ok=True)
    _, heads = known_revisions()
    return Summary(target, target.stat().st_size, revision, counts, revision in heads)


def _pg_archive_revision(source: Path, env: dict[str, str]) -> str | None:
    done = _run("pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(source)], env, source)
    rows = _copy_rows(done.stdout.splitlines())
    return next(iter(rows), None)


def _copy_rows(lines: list[str]) -> Iterator[str]:
    """The data lines of the `COPY … FROM stdin;` block of a plain SQL dump."""
    inside = False
    for line in lines:
        if inside:
            if line == "\\.":
                return
            yield line.split("\t")[0]
        elif line.startswith("COPY ") and "alembic_version" in line:
            inside = True


def _pg_inspect(source: Path) -> Summary:
    if not _readable_file(source).startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source}: không phải bản sao lưu pg_dump dạng custom "
                          "(not a pg_dump --format=custom archive)")
    _, env = _libpq(URL.create("postgresql"))
    _run("pg_restore", ["--list", str(source)], env, source)
    revision = _pg_archive_revision(source, env)
    at_head = _revision_known(source, revision)
    return Summary(source, source.stat().st_size, revision, {}, at_head)


def _pg_restore(engine: Engine, source: Path) -> Summary:
    summary = _pg_inspect(source)
    with engine.connect() as conn:
        live_revision, _ = _pg_counts(conn)
    if live_revision is not None and live_revision != summary.revision:
        # --clean drops only what the archive holds: tables of a later migration would stay behind.
        raise BackupError(f"{source}: bản sao lưu ở phiên bản {summary.revision}, cơ sở dữ liệu ở "
                          f"{live_revision}; hãy khôi phục vào một cơ sở dữ liệu trống, hoặc chạy "
                          f"`lms db downgrade {summary.revision}` trước (the backup and the database are at "
                          "different schema revisions: restore into an empty database, or downgrade first)")
    dsn, env = _libpq(engine.url)
    _run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
                        "--no-password", f"--dbname={dsn}", str(source)], env, source)
    with engine.connect() as conn:
        revision, counts = _pg_counts(conn)
    _, heads = known_revisions()
    return Summary(source, source.stat().st_size, revision, counts, revision in heads)
