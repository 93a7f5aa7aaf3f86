"""`lms certificates …`: verify an Open Badges file offline, revoke, rotate the signing key, list."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ..db import write_intent
from ..extensions import db
from ..models import utcnow


@click.group("certificates")
def certificates_group() -> None:
    """Completion certificates: verify, revoke, reissue, rotate-key, list."""


def _unusable(message: str) -> None:
    """Input the command cannot work with (not the credential's fault): exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _jwks_file(path: Path) -> dict[str, dict[str, Any]]:
    from ..domain import strict_json

    try:
        data = strict_json.loads(path.read_bytes())
        return {str(k["kid"]): k for k in data["keys"]}
    except (OSError, ValueError, KeyError, TypeError) as err:
        _unusable(f"{path}: not a JWKS file ({err})")
        raise  # unreachable


_LIST_PROOF = {"no_proof": "proof is missing", "unsupported_proof": "proof is not an eddsa-jcs-2022 "
               "DataIntegrityProof", "context_mismatch": "proof's @context differs from the list's",
               "unknown_key": "key is not among the given keys", "bad_signature": "signature does not match"}
_MAX_LIST_BYTES = 20 * 1024 * 1024


def _fetch(url: str) -> bytes:
    """GET a status list (http or https only, 10 s, at most 20 MB); OSError/ValueError with the reason."""
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise ValueError("not an http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    # bandit B310: only http(s) reaches here (checked above), never file: or a custom scheme
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310
        data = response.read(_MAX_LIST_BYTES + 1)
    if len(data) > _MAX_LIST_BYTES:
        raise ValueError("larger than 20 MB")
    return data


def _list_status(document: dict[str, Any], keys: dict[str, dict[str, Any]], list_file: Path | None,
                 fetch: bool) -> Any:
    """The credential's revocation status read from the status list file or the fetched list."""
    from ..domain import openbadges, statuslist, strict_json

    entry = statuslist.status_entry(document)
    if entry is None:
        return statuslist.Status("unchecked", "the credential has no BitstringStatusListEntry; a credential "
                                              "of the first form may have been re-issued: get the current one")
    if list_file is not None:
        source, reader = str(list_file), list_file.read_bytes
    elif fetch:
        url = str(entry.get("statusListCredential", ""))
        source, reader = url, (lambda: _fetch(url))
    else:
        return statuslist.Status("unchecked", "no list given: use --status-list FILE or --fetch-status")
    try:
        raw = reader()
    except (OSError, ValueError) as err:
        return statuslist.Status("unchecked", f"could not {'read' if list_file else 'fetch'} {source}: {err}")
    try:
        listing = strict_json.loads(raw)
    except strict_json.Refused as err:
        return statuslist.Status("unchecked", f"the list {source} is not usable: {err}")
    proof = openbadges.check(listing, keys)
    return statuslist.check(document, listing, "" if proof.ok else _LIST_PROOF[proof.reason], utcnow())


@certificates_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The published keys (JWKS, /.well-known/hvs-certificate-keys.json); default: the "
                   "database.")
@click.option("--status-list", "list_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The revocation status list the credential names (a BitstringStatusListCredential file).")
@click.option("--fetch-status", is_flag=True,
              help="Download the status list from the URL in the credential (statusListCredential).")
@click.option("--offline", is_flag=True, help="Do not read this instance's database (needs --keys).")
@with_appcontext
def verify_command(file: Path, keys_file: Path | None, list_file: Path | None, fetch_status: bool,
                   offline: bool) -> None:
    """Check an Open Badges credential file; print VALID, REVOKED, SUPERSEDED or INVALID and what was
    checked. Exit 0 only if VALID, 1 for any other verdict, 2 when the input cannot be used (unreadable file,
    keys that are not a JWKS, bad options), 3 when VALID but the status list asked for (--status-list,
    --fetch-status) could not be used (expired, forged, not the credential's, unreachable) and no database
    said the revocation: the revocation is unknown."""
    from ..domain import openbadges, strict_json
    from ..services import certificates

    try:
        raw = file.read_bytes()
    except OSError as err:
        _unusable(f"{file}: {err}")
    try:
        document = strict_json.loads(raw)
    except strict_json.Refused as err:
        click.echo(f"INVALID: the file is not acceptable JSON: {err}")
        sys.exit(1)
    if keys_file is not None:
        keys = _jwks_file(keys_file)
    elif offline:
        _unusable("--offline needs the published keys: give --keys FILE")
    else:
        try:
            keys = certificates.public_keys(db.session)
        except SQLAlchemyError:
            _unusable("no database to read the keys from: give --keys FILE")
    check = openbadges.check(document, keys)
    if not check.ok:
        detail = f" ({check.kid or 'none'})" if check.reason == "unknown_key" else ""
        click.echo(f"INVALID: {openbadges.REASONS[check.reason]}{detail}")
        sys.exit(1)
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    name, course = subject.get("name", ""), achievement.get("name", "")
    line = f"{check.number} — {name} — {course}"
    cert, old = None, None
    if not offline:  # revocations and re-issues are also known to the issuing platform's database
        try:
            cert = certificates.find(db.session, check.number)
            old = certificates.superseded(db.session, str(document["proof"][0].get("proofValue", "")))
        except SQLAlchemyError:
            db.session.rollback()
    if old is not None:
        click.echo(f"SUPERSEDED: {line} — thay bằng bản mới / replaced on {old.superseded_at:%Y-%m-%d} by a new "
                   f"credential under the same number: {document.get('id', '')}.json")
        sys.exit(1)
    status = _list_status(document, keys, list_file, fetch_status)
    dated = f" (list of {status.list_date})" if status.list_date else ""
    listed = {"revoked": f"status list: revoked{dated}", "not_revoked": f"status list: not revoked{dated}"}.get(
        status.state, f"status list could not be checked ({status.reason})")
    if status.state == "revoked" or (cert is not None and cert.revoked_at is not None):
        reason = f" — thu hồi / revoked: {cert.revoked_reason}" if cert is not None and cert.revoked_at else ""
        click.echo(f"REVOKED: {line}{reason}\n  {listed}")
        sys.exit(1)
    database = ("database: not revoked" if cert is not None else
                "database: not consulted (--offline)" if offline else
                "database: not in this database (chưa kiểm tra thu hồi / revocation not checked there)")
    click.echo(f"VALID: {line} — khóa / key {check.kid}\n  {listed}\n  {database}")
    if (list_file is not None or fetch_status) and status.state == "unchecked" and cert is None:
        # a status check was asked for and nothing answered it: the revocation is unknown
        click.echo("  chưa biết có bị thu hồi không / revocation unknown: get a current status list")
        sys.exit(3)


@certificates_group.command("reissue")
@with_appcontext
def reissue_command() -> None:
    """Re-sign, under the same number, every credential made in an older form (the first form carried a
    guessable hash of the ID number); the old ones are recorded as superseded. Safe to run again."""
    from ..services import certificates

    settings = certificates.Settings.from_config(current_app.config, "http://localhost")
    token = write_intent.set(True)
    try:
        done = certificates.reissue_outdated(db.session, settings, utcnow())
        db.session.commit()
    except certificates.CertificateError as err:
        raise click.ClickException(str(err)) from err
    finally:
        write_intent.reset(token)
    for cert in done:
        click.echo(f"re-issued {cert.number}")
    click.echo(f"re-issued {len(done)} credential(s)")


@certificates_group.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why it is revoked (shown on the verification page).")
@with_appcontext
def revoke_command(number: str, reason: str) -> None:
    """Revoke the certificate NUMBER with a reason."""
    from ..services import certificates

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
    from ..services import certificates

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
    from ..services import certificates

    for cert in certificates.latest(db.session, limit):
        status = "revoked" if cert.revoked_at else "valid"
        click.echo(f"{cert.number}\t{status}\t{cert.issued_at:%Y-%m-%d}\t{cert.holder_name}\t"
                   f"{cert.course_title}")
