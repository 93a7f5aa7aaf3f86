"""Shared fixtures. The database is real: SQLite by default, PostgreSQL when LMS_TEST_DATABASE_URL is set
(the test command runs the suite both ways). The schema comes from the Alembic migrations, once per run;
every test starts from empty tables. The demo content is compiled once per run here (`demo_content`,
`whole_pool_content`); users, verified people and published courses come from tests/factories.py, whose
fixtures are imported here for every test. The layout of the tests is described in docs/architecture.md.
"""
from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from lms import create_app, migrate
from lms.db import make_engine
from lms.domain import areas, content
from lms.domain.content import CompiledCourse
from lms.models import Base
from tests.factories import NOW, PASSWORD, REPO
from tests.factories import courses, person, settings  # noqa: F401 (the factories' fixtures, for every test)
# The suite runs the platform in demo mode (the VNeID stub on, demo secrets allowed), on the test client's
# host: every app it creates, and every process it starts, inherits these (tests/test_modes.py checks
# production mode explicitly).
os.environ["LMS_MODE"] = "demo"
os.environ["LMS_PUBLIC_URL"] = "http://localhost"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """One engine for the run; the schema is built by the real migrations."""
    eng = make_engine(database_url)
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(eng)
    _load_units(eng)
    yield eng
    eng.dispose()


# The administrative tree is reference data that every test may read: loaded once per run (as `lms db upgrade`
# does), kept when the other tables are emptied, and reloaded only after a test changed it (a merge, rename or
# import always writes the audit log; an import or a test's own unit adds rows).
UNIT_TABLES = ("admin_unit_change", "admin_unit")


def _load_units(engine: Engine) -> None:
    from lms.services import units

    with Session(engine) as s:
        units.sync(s)
        s.commit()


def _units_changed(engine: Engine) -> bool:
    with engine.connect() as conn:
        changes, count = conn.execute(text(
            "SELECT (SELECT count(*) FROM admin_unit_change), (SELECT count(*) FROM admin_unit)")).one()
    return bool(changes) or count != len(areas.official_units())


def _empty_tables(engine: Engine) -> None:
    reload_units = _units_changed(engine)
    names = [t.name for t in Base.metadata.sorted_tables if reload_units or t.name not in UNIT_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("UPDATE course SET published_version_id = NULL"))
            conn.execute(text("UPDATE program SET published_version_id = NULL"))
            for name in reversed(names):
                conn.execute(text(f'DELETE FROM "{name}"'))
    if reload_units:
        _load_units(engine)


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    _empty_tables(engine)
    yield engine


@pytest.fixture
def session(clean_db: Engine) -> Iterator[Session]:
    """A session for service tests; the test decides when to commit."""
    with Session(clean_db, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def content_root(tmp_path: Path) -> Path:
    """A private copy of the demo courses, quizzes and programs that a test may change."""
    root = tmp_path / "content"
    shutil.copytree(REPO / "courses", root / "courses")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    shutil.copytree(REPO / "programs", root / "programs")
    return root


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder outside the configured content, where relative paths on the command line start."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def load_demo(root: Path, draw_all: bool = False) -> content.CheckResult:
    """Compile a private copy of the demo content, courses, quizzes and programs (edits elsewhere in the tree
    cannot race with a run); `draw_all`: every quiz draws its whole pool."""
    shutil.copytree(REPO / "courses", root / "courses")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    shutil.copytree(REPO / "programs", root / "programs")
    if draw_all:
        for quiz in (root / "quizzes").glob("*.md"):
            text = quiz.read_text(encoding="utf-8")
            quiz.write_text(re.sub(r"(?m)^draw:.*\n", "", text, count=1), encoding="utf-8")
    result = content.load(root)
    assert not result.problems, result.problems
    return result


@pytest.fixture(scope="session")
def demo_load(tmp_path_factory: pytest.TempPathFactory) -> content.CheckResult:
    """The demo content (courses and programs) compiled once per run: the one place tests compile it
    (rendering takes a noticeable fraction of a second). Session-scoped: the compiled courses and programs
    are immutable values that publishing only reads."""
    return load_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_content(demo_load: content.CheckResult) -> list[CompiledCourse]:
    """The demo courses of `demo_load`."""
    return demo_load.courses


@pytest.fixture(scope="session")
def whole_pool_content(tmp_path_factory: pytest.TempPathFactory) -> list[CompiledCourse]:
    """The demo courses with quizzes that draw their whole pool: every question, of every kind, in each
    attempt, so tests that need a given kind of question do not depend on the random draw."""
    return load_demo(tmp_path_factory.mktemp("whole-pool"), draw_all=True).courses


@pytest.fixture
def now() -> datetime:
    """The fixed clock of service tests (tests/services overrides it with its own date)."""
    return NOW


@pytest.fixture
def app(clean_db: Engine, database_url: str, tmp_path: Path, content_root: Path) -> Iterator[Flask]:
    application = create_app({
        "TESTING": True,
        "LMS_MODE": "demo",
        "PUBLIC_URL": "http://localhost",  # the Flask test client's host
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "CONTENT_DIR": str(content_root),
        "INDEX_DIR": str(tmp_path / "index"),
    }, instance_path=str(tmp_path / "instance"))
    yield application
    application.extensions["lms_db"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def published(app: Flask, runner: Any) -> Flask:
    """The demo content imported (and indexed) through the real `lms import` command."""
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    return app


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on `url`, read from the real page."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


class Auth:
    """Registers and logs in through the real forms: `auth.register()`, `auth.login()`."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def register(self, email: str = "an@example.vn", password: str = PASSWORD, **fields: Any) -> Any:
        data = {"full_name": "Nguyễn Văn An", "email": email, "phone": "", "password": password,
                "confirm": password, "target_group": "3", "province": "01", "commune": "00070"}
        data.update(fields)
        data["csrf_token"] = csrf_token(self.client, "/register")
        return self.client.post("/register", data=data)

    def login(self, login: str = "an@example.vn", password: str = PASSWORD) -> Any:
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"login": login, "password": password, "csrf_token": token})

    def logout(self) -> Any:
        token = csrf_token(self.client, "/courses")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., Any]:
    """POST to `url` with the CSRF token taken from the page `page` (default: the same URL)."""
    def post(url: str, data: dict[str, Any] | None = None, page: str | None = None, **kwargs: Any) -> Any:
        payload = dict(data or {})
        payload["csrf_token"] = csrf_token(client, page or url)
        return client.post(url, data=payload, **kwargs)
    return post


class QueryLog(list[str]):
    """The SQL statements one block ran (`with count_queries() as queries: ...`); `len(queries)` is the count."""


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """`with count_queries() as queries: client.get(url)`: every statement the app's engine sends to the
    database inside the block (a SQLAlchemy `before_cursor_execute` listener), for query budgets."""
    from contextlib import contextmanager

    from sqlalchemy import event

    engine = app.extensions["lms_db"].engine

    @contextmanager
    def counting() -> Iterator[QueryLog]:
        log = QueryLog()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            log.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return counting
