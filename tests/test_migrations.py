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


def _insert(conn: Any, table: str, **values: Any) -> int:
    """Insert a row into `table` as the schema is at this revision: columns not given get a plain value of
    their type when they are NOT NULL without a default. Returns the new id (or 0)."""
    import datetime as dt

    from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, MetaData, String, Text, insert

    meta = MetaData()
    meta.reflect(conn, only=[table])
    tab = meta.tables[table]
    row = dict(values)
    for column in tab.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.primary_key:
            continue
        kind = column.type
        row[column.name] = (
            0 if isinstance(kind, Boolean) else 1 if isinstance(kind, Integer) else
            dt.datetime(2026, 11, 25, 3) if isinstance(kind, DateTime) or "DATETIME" in str(kind).upper() else
            dt.date(2026, 1, 1) if isinstance(kind, Date) else
            [] if isinstance(kind, JSON) else
            f"{column.name}-x"[:getattr(kind, "length", None) or None] if isinstance(kind, (String, Text)) else "x")
    result = conn.execute(insert(tab).values(**row))
    return int(result.inserted_primary_key[0]) if result.inserted_primary_key else 0


def test_certificate_migration_keeps_old_rows_and_drops_the_id_hash(empty_engine: Engine) -> None:
    """Issue 6, point 1: a certificate issued before 7d41c0b9e2a6 is kept and marked as the first credential
    form (to be re-issued by `lms certificates reissue`, which has the key: the migration needs none), and the
    accounts lose their salted ID hash."""
    migrate.upgrade(empty_engine, "5c2e9a7b41f3")
    with empty_engine.begin() as conn:
        user = _insert(conn, "user_account", email="an@example.vn", recipient_salt="ab" * 16,
                       recipient_hash="sha256$" + "0" * 64, person_hash="p" * 64)
        course = _insert(conn, "course", slug="khoa-hoc")
        version = _insert(conn, "course_version", course_id=course)
        _insert(conn, "certificate", number="HVS-2026-7K3M-9QXD", user_id=user, course_id=course,
                version_id=version, person_hash="p" * 64, credential='{"credentialSubject":{}}')
    migrate.upgrade(empty_engine)
    columns = {c["name"] for c in inspect(empty_engine).get_columns("user_account")}
    assert not {"recipient_salt", "recipient_hash"} & columns
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT number, credential_form, status_list, status_index FROM certificate"))
        assert [tuple(r) for r in rows] == [("HVS-2026-7K3M-9QXD", 1, None, None)]
    migrate.downgrade(empty_engine, "5c2e9a7b41f3")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT number FROM certificate")).scalar_one() == "HVS-2026-7K3M-9QXD"
        assert conn.execute(text("SELECT recipient_hash FROM user_account")).scalar_one() is None
