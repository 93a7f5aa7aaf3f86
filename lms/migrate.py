"""Schema changes go through Alembic only; this wires Alembic to the app's engine."""
from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from .config import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


@functools.cache
def head() -> str:
    """The newest revision this code knows (read once per process: the scripts do not change while it runs)."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    found = ScriptDirectory.from_config(cfg).get_current_head()
    assert found is not None
    return found


def known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision of this code's migrations, the heads among them), read from `migrations/versions`."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    return frozenset(r.revision for r in script.walk_revisions()), frozenset(script.get_heads())
