"""Engine and per-request session. SQLite gets WAL, foreign keys and a busy timeout; requests that write
open their transaction with BEGIN IMMEDIATE so concurrent writers queue instead of failing with
"database is locked" (a deferred transaction that reads first cannot wait for the lock when it upgrades).

Writers wait in a queue of the kernel, not in SQLite's busy handler: before `BEGIN IMMEDIATE`, a connection
takes an exclusive `flock` on `<database>-writers` (one open file per connection, so threads and processes
exclude each other alike) and lets it go when the connection goes back to the pool, after its COMMIT or
ROLLBACK. A blocked `flock` wakes the moment the lock is released; SQLite's busy handler instead sleeps
1, 2, 5, 10, 15, 20, 25 ... ms between tries, so under contention a writer slept on after the lock was free
and the cores stood idle (docs/performance.md). Writers that do not take the file lock (another program,
`sqlite3` by hand) are still waited for by the busy timeout, as before.

`PRAGMA synchronous` is NORMAL unless the setting `SQLITE_SYNCHRONOUS` (`LMS_SQLITE_SYNCHRONOUS`) says FULL: in
WAL mode NORMAL never corrupts the database on a power loss but may lose the last transactions committed
before it; FULL syncs the WAL at every commit, so a commit that returned survives (docs/operations.md,
"SQLite durability"). OFF is refused: a power loss or a crash of the machine could corrupt the file.
"""
from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import os
import threading
from typing import Any, Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Set by the web layer for POST requests (and by CLI commands that write).
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)

# The values `PRAGMA synchronous` may take here; the first is the default.
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


def make_engine(url: str, always_immediate: bool = False, sqlite_synchronous: str = SQLITE_SYNCHRONOUS[0],
                **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections are tuned for many readers and queued writers.
    `always_immediate`: every SQLite transaction takes the write lock up front (for stores that mostly write).
    `sqlite_synchronous`: NORMAL or FULL (see the module's docstring); anything else is a ValueError."""
    if url.startswith("sqlite"):
        synchronous = str(sqlite_synchronous).strip().upper()
        if synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"SQLite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}, "
                             f"not {sqlite_synchronous!r}")
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        lock_path = writers_lock_path(engine.url.database)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            if lock_path is not None:
                record.info["writers_fd"] = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

        @event.listens_for(engine, "close")
        def _sqlite_close(_dbapi_conn: Any, record: Any) -> None:
            _release(record)
            fd = record.info.pop("writers_fd", None)
            if fd is not None:
                os.close(fd)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if always_immediate or write_intent.get():
                _acquire(conn.connection._connection_record)
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(_dbapi_conn: Any, record: Any) -> None:
            _release(record)  # after the pool's reset: the transaction is over

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_held = threading.local()  # how many writers' locks this thread holds (see _acquire)


def writers_lock_path(database: str | None) -> str | None:
    """The file whose `flock` queues this database's writers (None for a database that is not a file)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-writers"


def _acquire(record: Any) -> None:
    """Take this connection's writers' lock (blocking) unless it holds it already. A thread that already
    holds the lock through another connection does not wait for itself: it falls back to SQLite's busy
    timeout, as without the lock."""
    fd = record.info.get("writers_fd")
    if fd is None or record.info.get("writers_locked"):
        return
    if getattr(_held, "count", 0):
        return
    fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
    record.info["writers_locked"] = True
    _held.count = getattr(_held, "count", 0) + 1


def _release(record: Any) -> None:
    if record.info.pop("writers_locked", False):
        fcntl.flock(record.info["writers_fd"], fcntl.LOCK_UN)
        _held.count = max(0, getattr(_held, "count", 1) - 1)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def cluster_job(engine: Engine, name: str) -> Iterator[bool]:
    """Run a scheduled or background job once per cluster: yields True when this process holds the job's lock
    (run it), False when another process anywhere holds it (skip). PostgreSQL: a session advisory lock on a
    connection of its own, held until the job ends (and released by the server if this process dies);
    SQLite (one machine): a non-blocking `flock` on `<database>-job-<name>`. docs/operations.md, "Scheduled
    work"."""
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"lms-job:{name}".encode()).digest()[:8], "big", signed=True)
        with engine.connect() as conn:
            got = bool(conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (key,))
                    conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield True  # a private in-memory database: no one else can run it
        return
    fd = os.open(f"{database}-job-{name}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
