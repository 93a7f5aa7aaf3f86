"""`lms officials`: roles per administrative unit (docs/reporting.md#officials-and-scope): grant, revoke, list,
the audit log, and the demo officials. The first national administrator is made here
(`lms officials grant LOGIN VN --role unit_admin`); unit admins then manage their subtree on the web.
Errors go to stderr: exit 1 for a refused change (nothing written), 2 for a bad command line."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterator

import click
from contextlib import contextmanager
from flask import current_app
from flask.cli import with_appcontext

from ..db import write_intent
from ..extensions import db
from ..models import GRANT_ROLES, utcnow
from .units import _actor

REASONS = {
    "unknown_unit": "no unit has this code",
    "unknown_login": "no account has this e-mail or phone",
    "not_verified": "the account is not verified through VNeID at level 2 (an official must be a verified person)",
    "account_locked": "the account is locked",
    "already_granted": "the account already has this role on this unit",
    "unit_retired": "the unit is no longer in force (merged): grant on its successor",
    "no_such_grant": "the account has no such active role on this unit",
    "unknown_role": "unknown role",
}


@contextmanager
def _writing() -> Iterator[None]:
    token = write_intent.set(True)
    try:
        yield
    finally:
        write_intent.reset(token)


def _refused(reason: str) -> None:
    db.session.rollback()
    click.echo(f"lỗi (error): {REASONS.get(reason, reason)}", err=True)
    sys.exit(1)


@click.group("officials")
def officials_group() -> None:
    """Officials: roles per administrative unit (official, unit_admin) and the audit log."""


@officials_group.command("grant")
@click.argument("login")
@click.argument("unit_code")
@click.option("--role", type=click.Choice(GRANT_ROLES), default="official", show_default=True)
@click.option("--by", help="Who grants (for the audit log; default: cli:<login name>).")
@with_appcontext
def grant_command(login: str, unit_code: str, role: str, by: str | None) -> None:
    """Give the account LOGIN (e-mail or phone) ROLE on UNIT_CODE and every unit below it (its logins end)."""
    from ..services import officials

    with _writing():
        try:
            user = officials.find_account(db.session, login)
            row = officials.grant(db.session, user, unit_code, role, now=utcnow(), cli=_actor(by))
        except officials.OfficialRefused as error:
            _refused(error.reason)
            return
        db.session.commit()
    click.echo(f"{login}: {role} {row.unit.code} {row.unit.name}")


@officials_group.command("revoke")
@click.argument("login")
@click.argument("unit_code")
@click.option("--role", type=click.Choice(GRANT_ROLES), help="Only this role (default: every role there).")
@click.option("--by", help="Who revokes (for the audit log; default: cli:<login name>).")
@with_appcontext
def revoke_command(login: str, unit_code: str, role: str | None, by: str | None) -> None:
    """End the roles of LOGIN on UNIT_CODE (its logins end at once)."""
    from ..services import officials

    with _writing():
        try:
            user = officials.find_account(db.session, login)
            rows = officials.active_grants(db.session, user, unit_code, role)
            if not rows:
                raise officials.OfficialRefused("no_such_grant")
            now = utcnow()
            for row in rows:
                officials.revoke(db.session, row, now=now, cli=_actor(by))
        except officials.OfficialRefused as error:
            _refused(error.reason)
            return
        db.session.commit()
    for row in rows:
        click.echo(f"{login}: revoked {row.role} {row.unit.code} {row.unit.name}")


@officials_group.command("list")
@click.argument("unit_code", required=False)
@with_appcontext
def list_command(unit_code: str | None) -> None:
    """The active roles (on UNIT_CODE and the units below it, if given), in tree order."""
    from ..services import officials

    try:
        rows = officials.all_active(db.session, unit_code)
    except officials.OfficialRefused as error:
        _refused(error.reason)
        return
    for g in rows:
        login = g.user.email or g.user.phone or f"user {g.user.id}"
        click.echo(f"{g.unit.code:6} {g.unit.name:32} {g.role:10} {login:32} {g.user.full_name}  "
                   f"since {g.granted_at.date().isoformat()} by {g.granted_by}")
    if not rows:
        click.echo("no roles granted" + (f" under {unit_code}" if unit_code else ""))


@officials_group.command("log")
@click.argument("unit_code")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def log_command(unit_code: str, page: int) -> None:
    """The audit log of UNIT_CODE and the units below it, newest first (50 a page)."""
    from ..services import audit, units

    try:
        unit = units.by_code(db.session, unit_code)
    except units.UnitRefused as error:
        db.session.rollback()
        click.echo(f"lỗi (error): {error}", err=True)
        sys.exit(1)
    found = audit.log_of(db.session, unit, page)
    for e in found.events:
        who = f"{e.user.full_name} <{e.user.email or e.user.phone or e.user.id}>" if e.user else e.actor
        subject = f" {e.subject.full_name}" if e.subject else ""
        click.echo(f"{e.at.isoformat(timespec='seconds')}  {who}  {e.action}{subject}  "
                   f"{e.unit.code if e.unit else '-'}  {e.detail}  {e.client or ''}".rstrip())
    click.echo(f"{found.total} events" + (f"; more: --page {page + 1}" if found.has_next else ""))


# ------------------------------------------------------------------------------------------ demo officials


@dataclass(frozen=True)
class DemoOfficial:
    email: str
    name: str
    unit: str
    roles: tuple[str, ...]
    serial: int  # the fictional ID number's last digits (lms.domain.idnumber.generate)


DEMO_PASSWORD = "can-bo-thu-nghiem"
DEMO_OFFICIALS = (
    DemoOfficial("canbo.xa@example.vn", "Phạm Thu Hà", "00070", ("official",), 900001),
    DemoOfficial("canbo.tinh@example.vn", "Đỗ Minh Quân", "01", ("official", "unit_admin"), 900002),
    DemoOfficial("canbo.quocgia@example.vn", "Vũ Thị Hạnh", "VN", ("official", "unit_admin"), 900003),
)


def ensure_demo_officials(session: Any, key: bytes) -> list[str]:
    """The demo officials (a commune of Hà Nội, the province Hà Nội, the nation): accounts verified as
    fictional level-2 people, with their roles; what exists already is kept (idempotent). Returns what it did."""
    from ..domain import idnumber
    from ..domain.verified_identity import VerifiedIdentity
    from ..models import User
    from ..services import accounts, identity, officials

    done: list[str] = []
    now = utcnow()
    for spec in DEMO_OFFICIALS:
        user = session.scalars(User.by_login(spec.email)).first()
        if user is None:
            user = accounts.register(session, accounts.Registration(
                full_name=spec.name, email=spec.email, phone=None, password=DEMO_PASSWORD, target_group=1,
                province_code="01", commune_code="00070"), now)
            done.append(f"{spec.email}: account created")
        if user.person_hash is None:
            person = VerifiedIdentity(number=idnumber.generate("001", date(1982, 4, 10), "female", spec.serial),
                                      name=spec.name, birth_date=date(1982, 4, 10), sex="female", level=2,
                                      province_code="01", commune_code="00070")
            identity.link(session, user, identity.IdentityRecord.of(person, key), now)
        for role in spec.roles:
            if not officials.active_grants(session, user, spec.unit, role):
                officials.grant(session, user, spec.unit, role, now=now, cli="cli:demo")
                done.append(f"{spec.email}: {role} of {spec.unit}")
    return done


@officials_group.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo officials (demo mode only; run by .ci/serve; idempotent)."""
    if current_app.config.get("LMS_MODE") != "demo":
        click.echo("lỗi (error): demo officials are only made in demo mode (LMS_MODE=demo)", err=True)
        sys.exit(1)
    with _writing():
        done = ensure_demo_officials(db.session, str(current_app.config["IDENTITY_KEY"]).encode("utf-8"))
        db.session.commit()
    for line in done:
        click.echo(line)
    for spec in DEMO_OFFICIALS:
        click.echo(f"demo official: {spec.email} / {DEMO_PASSWORD}  {', '.join(spec.roles)} of {spec.unit}")
