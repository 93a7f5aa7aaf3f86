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


class Database:
    """The engine and one session per app context: views commit once; teardown rolls back the rest."""

    engine: Engine
    factory: sessionmaker[Session]

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.factory = make_session_factory(self.engine)
        app.extensions["lms_db"] = self

        @app.before_request
        def _write_intent() -> None:
            from flask import request

            g._write_token = write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))

        @app.teardown_appcontext
        def _close(_exc: BaseException | None) -> None:
            session = g.pop("_db_session", None)
            if session is not None:
                session.rollback()
                session.close()
            token = g.pop("_write_token", None)
            if token is not None:
                write_intent.reset(token)

    @property
    def session(self) -> Session:
        if "_db_session" not in g:
            g._db_session = self.factory()
        session: Session = g._db_session
        return session

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - helpful error before init_app
        raise RuntimeError(f"Database.{name} used before init_app")


db = Database()
