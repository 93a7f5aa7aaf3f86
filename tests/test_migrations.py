"""The Alembic migrations are the only source of the schema: on an empty database `upgrade head` builds
exactly what the models declare, and the history can be walked down to base and up again."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, make_url, text

from lms import migrate
from lms.db import make_engine
from lms.models import Base


@pytest.fixture
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new empty database of the test backend (never the shared test database)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    name = f"lms_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when they agree)."""
    with engine.connect() as conn:
        opts = {"compare_type": True, "compare_server_default": True}
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, Base.metadata))


def app_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_head_matches_the_models(empty_engine: Engine) -> None:
    """`upgrade head` on an empty database gives the models' schema: tables, columns, types, keys, indexes."""
    assert app_tables(empty_engine) == set()
    migrate.upgrade(empty_engine)
    assert app_tables(empty_engine) == set(Base.metadata.tables)
    assert schema_diff(empty_engine) == []


def test_downgrade_to_base_and_upgrade_again(empty_engine: Engine) -> None:
    """The whole history reverses cleanly and can be applied again with the same result."""
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert app_tables(empty_engine) == set()
    with empty_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is None
    migrate.upgrade(empty_engine)
    assert app_tables(empty_engine) == set(Base.metadata.tables)
    assert schema_diff(empty_engine) == []


def test_migrated_schema_enforces_foreign_keys(empty_engine: Engine) -> None:
    """The migrated database refuses a row that points at nothing (SQLite gets foreign keys turned on)."""
    from sqlalchemy.exc import IntegrityError

    migrate.upgrade(empty_engine)
    with pytest.raises(IntegrityError):
        with empty_engine.begin() as conn:
            conn.execute(text("INSERT INTO lesson_progress (user_id, course_id, lesson_slug, done_at) "
                              "VALUES (424242, 424242, 'x', CURRENT_TIMESTAMP)"))
