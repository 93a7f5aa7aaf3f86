"""Engine and per-request session. SQLite gets WAL, foreign keys and a busy timeout; requests that write
open their transaction with BEGIN IMMEDIATE so concurrent writers queue instead of failing with
"database is locked" (a deferred transaction that reads first cannot wait for the lock when it upgrades).
"""
from __future__ import annotations

import contextvars
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Set by the web layer for POST requests (and by CLI commands that write).
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def make_engine(url: str, always_immediate: bool = False, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections are tuned for many readers and queued writers.
    `always_immediate`: every SQLite transaction takes the write lock up front (for stores that mostly write)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if always_immediate or write_intent.get() else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
