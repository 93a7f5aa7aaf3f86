"""Alembic environment: runs online against the engine `lms db upgrade` passes in."""
from __future__ import annotations

from alembic import context

from lms.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from lms import create_app
        from lms.extensions import db

        with create_app().app_context():
            engine = db.engine
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


run()
