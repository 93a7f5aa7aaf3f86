"""`lms users`: roles and locks of accounts (every change ends the account's logins)."""
from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..models import ROLES


@click.group("users")
def users_group() -> None:
    """User accounts."""


def _account(login: str) -> Any:
    from ..models import User
    from ..services.accounts import normalize_login

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
    from ..services import sessions

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
    from ..services import sessions

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
