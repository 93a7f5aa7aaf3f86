"""Extension objects, created unbound and initialised by the app factory."""
from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .db import make_engine, make_session_factory, write_intent

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Rate limits (docs/security.md): storage from RATELIMIT_STORAGE_URI ("memory://" per process by default,
# "redis://..." to share counts between workers and servers). Views opt in with `limiter.limit(...)`.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _unlimited_page() -> bool:
    """Reading pages marked `unlimited` (web/helpers.py) skip the limiter's per-request work: they carry no
    limit, and they are the pages read most (the lesson page: ~6 % of its cost went to finding that out)."""
    from flask import current_app, request

    view = current_app.view_functions.get(request.endpoint or "")
    return request.method in ("GET", "HEAD") and bool(getattr(view, "unlimited", False))


class Database:
    """The engine and one session per app context: views commit once; teardown rolls back the rest."""

    engine: Engine
    factory: sessionmaker[Session]

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"],
                                  sqlite_synchronous=app.config["SQLITE_SYNCHRONOUS"])
        self.factory = make_session_factory(self.engine)
        app.extensions["lms_db"] = self

        @app.before_request
        def _write_intent() -> None:
            from flask import request

            view = app.view_functions.get(request.endpoint) if request.endpoint else None
            writes = request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(view, "reads_first", False) \
                or getattr(view, "writes_on_get", False)  # an audited page (web/helpers.audited)
            g._write_token = write_intent.set(writes)

        @app.teardown_appcontext
        def _close(_exc: BaseException | None) -> None:
            from sqlalchemy.exc import InterfaceError, OperationalError

            session = g.pop("_db_session", None)
            try:
                if session is not None:
                    session.close()  # ends (rolls back) what was not committed, and returns the connection
            except (OperationalError, InterfaceError):
                # The ROLLBACK failed: the database dropped the connection (a restart, a failover). The response
                # is already made; let it go out and throw the connection away instead of failing it with a 500
                # after the fact (seen in bench/cluster.py while PostgreSQL restarted).
                session.invalidate()
            finally:
                token = g.pop("_write_token", None)
                if token is not None:
                    write_intent.reset(token)

    @property
    def session(self) -> Session:
        if "_db_session" not in g:
            g._db_session = self.factory()
        session: Session = g._db_session
        return session

    def begin_writing(self) -> None:
        """End the request's read transaction and make the next statement open a writing one (on SQLite,
        `BEGIN IMMEDIATE`: the write lock). For views marked `reads_first` (web/helpers.py): they check and
        compute in a read transaction, then call this, then write; the write must re-check what it depends on
        (a compare-and-set), since others may have written in between."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_writing() after changes: the read phase must not write")
        session.commit()
        write_intent.set(True)

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - helpful error before init_app
        raise RuntimeError(f"Database.{name} used before init_app")


db = Database()
