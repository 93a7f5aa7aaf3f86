"""The `lms` command: content checks and import, database, search index and users (Flask's CLI)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, migrate
from . import search as search_index
from .db import write_intent
from .domain import content, sources
from .extensions import db
from .models import ROLES, utcnow


def _print_problems(result: content.CheckResult) -> None:
    for problem in result.problems:
        click.echo(str(problem), err=True)


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def check_command(paths: tuple[Path, ...]) -> None:
    """Check courses and quizzes (all, or each PATH as what it is); print every problem as path:line: message;
    exit 1 if any, 2 if a PATH is not content or there is nothing to check."""
    try:
        result = sources.check(list(paths) or [Path(current_app.config["CONTENT_DIR"])])
    except sources.NothingToCheck as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    _print_problems(result)
    if result.problems:
        click.echo(f"{len(result.problems)} lỗi / problem(s) found.", err=True)
        sys.exit(1)
    lessons = sum(len(c.lessons) for c in result.courses)
    click.echo(f"OK: {len(result.courses)} khóa học / courses, {lessons} bài học / lessons, "
               f"{result.quizzes} bài kiểm tra / quizzes — không có lỗi (no problems).")


@click.command("import")
@click.option("--skip-invalid", is_flag=True, help="Publish the valid courses even if others have errors.")
@with_appcontext
def import_command(skip_invalid: bool) -> None:
    """Publish all content atomically: with any error nothing changes (unless --skip-invalid)."""
    from .services import catalog, publishing

    root = Path(current_app.config["CONTENT_DIR"])
    result = content.load(root)
    _print_problems(result)
    if result.problems and not skip_invalid:
        click.echo(f"{len(result.problems)} lỗi: không có gì được xuất bản; phiên bản cũ vẫn giữ nguyên. "
                   "(problems found: nothing was published; the live versions are unchanged)", err=True)
        sys.exit(1)
    token = write_intent.set(True)
    try:
        outcomes = publishing.publish(db.session, result.courses, utcnow())
        db.session.commit()
    finally:
        write_intent.reset(token)
    for o in outcomes:
        click.echo(f"{o.slug}: {o.status} (v{o.version})")
    for slug in sorted(result.failed_slugs):
        click.echo(f"{slug}: skipped, the live version is unchanged", err=True)
    count = search_index.rebuild(current_app.config["INDEX_DIR"], catalog.search_documents(db.session))
    click.echo(f"search index: {count} documents")
    if result.problems:
        sys.exit(1)


@click.command("index")
@with_appcontext
def index_command() -> None:
    """Rebuild this server's search index from the published content in the database."""
    from .services import catalog

    count = search_index.rebuild(current_app.config["INDEX_DIR"], catalog.search_documents(db.session))
    click.echo(f"search index: {count} documents")


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(db.engine, revision)
    click.echo(f"database at {revision}")


@click.group("users")
def users_group() -> None:
    """User accounts."""


def _account(login: str) -> Any:
    from .models import User
    from .services.accounts import normalize_login

    user = db.session.scalars(User.by_login(normalize_login(login))).first()
    if user is None:
        raise click.ClickException(f"no account with e-mail or phone {login!r}")
    return user


@users_group.command("set-role")
@click.argument("login")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role(login: str, role: str) -> None:
    """Give the account with this e-mail or phone a role (its logins end: it logs in again with the role)."""
    from .services import sessions

    user = _account(login)
    user.role = role
    sessions.end_all(db.session, user)
    db.session.commit()
    click.echo(f"{login}: {role}")


@users_group.command("lock")
@click.argument("login")
@with_appcontext
def lock_user(login: str) -> None:
    """Lock the account: every login of it ends at once, and it cannot log in until unlocked."""
    from .services import sessions

    user = _account(login)
    user.active = False
    sessions.end_all(db.session, user)
    db.session.commit()
    click.echo(f"{login}: locked")


@users_group.command("unlock")
@click.argument("login")
@with_appcontext
def unlock_user(login: str) -> None:
    """Let a locked account log in again."""
    _account(login).active = True
    db.session.commit()
    click.echo(f"{login}: unlocked")


@click.group("vneid")
def vneid_group() -> None:
    """The VNeID stub (a simulated national e-ID provider for development and tests)."""


@vneid_group.command("registry")
@click.option("--count", default=50, show_default=True, help="Random citizens besides the fixed demo ones.")
@click.option("--seed", type=int, default=None, help="Seed for a reproducible registry.")
@with_appcontext
def vneid_registry(count: int, seed: int | None) -> None:
    """Write a new fictional citizen registry (<instance>/vneid/registry.json)."""
    from .vneid import registry

    path = Path(current_app.instance_path) / "vneid" / "registry.json"
    citizens = registry.generate(count, seed)
    registry.write(path, citizens)
    click.echo(f"{path}: {len(citizens)} công dân giả lập / fictional citizens "
               f"({len(registry.demo_citizens())} demo; see `lms vneid citizens`)")


@vneid_group.command("citizens")
def vneid_citizens() -> None:
    """Print the fixed demo citizens: ID number, passcode, level, locked."""
    from .vneid.registry import demo_citizens

    for c in demo_citizens():
        state = "LOCKED" if c.locked else "active"
        click.echo(f"{c.label}  {c.id_number}  passcode {c.passcode}  level {c.level}  {state:6}  "
                   f"{c.name}, {c.gender}, {c.birthdate.isoformat()}, "
                   f"residence {c.residence['province_code']}/{c.residence['commune_code']}")


@vneid_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@with_appcontext
def vneid_serve(host: str, port: int) -> None:
    """Run the stub as its own process (issuer http://HOST:PORT/vneid), same instance folder."""
    from werkzeug.serving import run_simple

    from .vneid import create_stub_app

    click.echo(f"VNeID stub (simulation): http://{host}:{port}/vneid/.well-known/openid-configuration")
    run_simple(host, port, create_stub_app(current_app.instance_path), threaded=True)


def register_commands(app: Flask) -> None:
    from .cli_certificates import certificates_group

    for command in (check_command, import_command, index_command, db_group, users_group, vneid_group,
                    certificates_group):
        app.cli.add_command(command)


main = FlaskGroup(create_app=create_app, add_default_commands=True, help="Học Vụ Số platform commands.")
