"""`lms certificates …`: verify an Open Badges file offline, revoke, rotate the signing key, list."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from .db import write_intent
from .extensions import db
from .models import utcnow


@click.group("certificates")
def certificates_group() -> None:
    """Completion certificates: verify, revoke, rotate-key, list."""


def _jwks_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k["kid"]): k for k in data["keys"]}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise click.ClickException(f"{path}: not a JWKS file ({err})") from err


@certificates_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The published keys (JWKS, /.well-known/hvs-certificate-keys.json); default: the "
                   "database.")
@with_appcontext
def verify_command(file: Path, keys_file: Path | None) -> None:
    """Check an Open Badges credential file offline; print VALID, REVOKED or INVALID; exit 0 only if VALID."""
    from .domain import openbadges
    from .services import certificates

    try:
        document = json.loads(file.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        click.echo("INVALID: không phải tệp JSON / not a JSON file")
        sys.exit(1)
    if keys_file is not None:
        keys = _jwks_file(keys_file)
    else:
        try:
            keys = certificates.public_keys(db.session)
        except SQLAlchemyError as err:
            raise click.ClickException("no database to read the keys from: give --keys FILE") from err
    check = openbadges.check(document, keys)
    if not check.ok:
        click.echo(f"INVALID: {check.reason} — chữ ký không khớp / the signature does not match")
        sys.exit(1)
    cert = None
    try:  # revocations are known only to the issuing platform's database
        cert = certificates.find(db.session, check.number)
    except SQLAlchemyError:
        db.session.rollback()
    subject = document.get("credentialSubject", {})
    name, course = subject.get("name", ""), subject.get("achievement", {}).get("name", "")
    if cert is not None and cert.revoked_at is not None:
        click.echo(f"REVOKED: {check.number} — {name} — {course} — thu hồi / revoked: {cert.revoked_reason}")
        sys.exit(1)
    note = "" if cert is not None else " (chưa kiểm tra thu hồi: không có trong cơ sở dữ liệu này / " \
                                       "revocation not checked: not in this database)"
    click.echo(f"VALID: {check.number} — {name} — {course} — khóa / key {check.kid}{note}")


@certificates_group.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why it is revoked (shown on the verification page).")
@with_appcontext
def revoke_command(number: str, reason: str) -> None:
    """Revoke the certificate NUMBER with a reason."""
    from .services import certificates

    token = write_intent.set(True)
    try:
        cert = certificates.revoke(db.session, number, reason, utcnow())
        db.session.commit()
    except certificates.CertificateError as err:
        raise click.ClickException({"unknown_number": f"no certificate {number}",
                                    "empty_reason": "the reason may not be empty"}.get(err.reason, str(err)))
    finally:
        write_intent.reset(token)
    click.echo(f"REVOKED: {cert.number} ({cert.revoked_reason})")


@certificates_group.command("rotate-key")
@with_appcontext
def rotate_command() -> None:
    """Retire the current signing key (it stays published) and make a new one."""
    from .services import certificates

    token = write_intent.set(True)
    try:
        row = certificates.rotate(db.session, Path(current_app.config["CERTIFICATE_KEYS_DIR"]), utcnow())
        db.session.commit()
    finally:
        write_intent.reset(token)
    click.echo(f"new signing key: {row.kid} ({len(certificates.public_keys(db.session))} published)")


@certificates_group.command("list")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def list_command(limit: int) -> None:
    """The most recent certificates: number, status, date, holder, course."""
    from .services import certificates

    for cert in certificates.latest(db.session, limit):
        status = "revoked" if cert.revoked_at else "valid"
        click.echo(f"{cert.number}\t{status}\t{cert.issued_at:%Y-%m-%d}\t{cert.holder_name}\t"
                   f"{cert.course_title}")
