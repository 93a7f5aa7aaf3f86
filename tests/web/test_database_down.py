"""Issue 9, sections 1 and 3: when the database cannot be reached, requests get a clear 503 page (not a
traceback, not a 500), the health and readiness checks say so, and the app recovers by itself once the
database is back; the readiness check also fails while the schema is not at this code's migration."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from lms import create_app, migrate
from lms.db import make_engine
from tests.conftest import REPO


def _app(url: str, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "LMS_MODE": "demo", "PUBLIC_URL": "http://localhost", "DATABASE_URL": url,
                       "SECRET_KEY": "test-secret", "CONTENT_DIR": str(REPO), "INDEX_DIR": str(tmp_path / "index")},
                      instance_path=str(tmp_path / "instance"))


UNREACHABLE = {
    "sqlite": lambda tmp: f"sqlite:///{tmp / 'no-such-folder' / 'lms.sqlite'}",
    "postgresql": lambda tmp: "postgresql+psycopg://postgres@127.0.0.1:9/lms",  # discard port: nothing listens
}


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_an_unreachable_database_gives_a_503_page(backend: str, tmp_path: Path) -> None:
    app = _app(UNREACHABLE[backend](tmp_path), tmp_path)
    client = app.test_client()
    for path in ("/courses", "/", "/courses/nhan-dien-lua-dao/"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert response.headers["Retry-After"] == "30"
        body = response.get_data(as_text=True)
        assert "<h1" in body and "Traceback" not in body and "OperationalError" not in body
        assert "Hệ thống tạm thời gián đoạn" in body  # Vietnamese by default
    assert client.get("/healthz").status_code == 503
    ready = client.get("/readyz")
    assert (ready.status_code, ready.get_json()) == (503, {"status": "unavailable"})
    app.extensions["lms_db"].engine.dispose()


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_a_logged_in_visitor_also_gets_the_503_page(backend: str, tmp_path: Path) -> None:
    """The page itself must not touch the database again: loading the visitor's login for its language and
    menu failed a second time inside the error handler, which gave a 500 (seen in bench/cluster.py while
    PostgreSQL restarted)."""
    app = _app(UNREACHABLE[backend](tmp_path), tmp_path)
    app.config["FRIENDLY_ERRORS_IN_TESTS"] = True
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:some-login-token"
    for path in ("/courses", "/courses/nhan-dien-lua-dao/"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert "Hệ thống tạm thời gián đoạn" in response.get_data(as_text=True)
    app.extensions["lms_db"].engine.dispose()


def test_a_connection_dropped_before_the_closing_rollback_does_not_fail_the_request(tmp_path: Path) -> None:
    """The session's closing ROLLBACK runs after the response is made; when the database has just dropped the
    connection it fails, and that turned a good page into a 500 (bench/cluster.py, PostgreSQL restart)."""
    from flask import g
    from sqlalchemy.exc import OperationalError

    app = _app(f"sqlite:///{tmp_path / 'lms.sqlite'}", tmp_path)
    seen: list[str] = []

    class Dropped:
        def close(self) -> None:
            seen.append("close")
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

        def invalidate(self) -> None:
            seen.append("invalidate")

    with app.test_request_context("/"):
        g._db_session = Dropped()
    assert seen == ["close", "invalidate"]


def test_the_app_recovers_when_the_database_comes_back(tmp_path: Path) -> None:
    """No restart: the request after the database is back is served (the pool checks connections first)."""
    url = UNREACHABLE["sqlite"](tmp_path)
    app = _app(url, tmp_path)
    client = app.test_client()
    assert client.get("/courses").status_code == 503
    (tmp_path / "no-such-folder").mkdir()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    assert client.get("/courses").status_code == 200
    assert client.get("/readyz").get_json() == {"status": "ready", "schema": migrate.head()}
    app.extensions["lms_db"].engine.dispose()


def test_readiness_fails_while_migrations_are_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lms.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "-1")
    engine.dispose()
    app = _app(url, tmp_path)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    found = ready.get_json()
    assert found["status"] == "schema" and found["code"] == migrate.head() and found["database"] != migrate.head()
    assert client.get("/healthz").status_code == 200  # alive (the database answers), just not ready
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    assert client.get("/readyz").status_code == 200
    app.extensions["lms_db"].engine.dispose()


def test_an_empty_database_is_not_ready(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path)
    ready = app.test_client().get("/readyz")
    assert (ready.status_code, ready.get_json()["database"]) == (503, "none")
    app.extensions["lms_db"].engine.dispose()
