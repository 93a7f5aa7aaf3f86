"""Certificate use cases: the signing keys, issuing exactly once per person and course, revoking, and
checking a number. Free of Flask: the caller passes the settings (base URL, issuer, keys folder) and the
clock.

Keys: the private half of each Ed25519 key lives in `<keys_dir>/<kid>.pem` (mode 0600, inside the instance
folder, never in the repository); the public half is a row of `signing_key`, so every server and the public
key document see it. Rotating retires the current key (kept, so older certificates still verify) and makes a
new one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import certificates as certs
from ..domain import openbadges, population, statuslist
from ..domain.framework import framework
from . import facts
from ..models import (Certificate, Course, CourseVersion, Enrolment, HolderCheck, SigningKey,
                      SupersededCredential, User)

_NUMBER_TRIES = 20  # a taken number or status index is drawn again (lists are kept at most half full)
_loaded: dict[Path, Ed25519PrivateKey] = {}
_loaded_lock = threading.Lock()


@dataclass(frozen=True)
class Settings:
    """What issuing needs from the configuration and the request."""

    base_url: str  # the platform's public URL, no trailing slash: credential ids and the QR code use it
    keys_dir: Path
    issuer_name: str = "Học Vụ Số"
    min_level: int = 2

    @classmethod
    def from_config(cls, config: Mapping[str, Any], base_url: str) -> "Settings":
        """From the app configuration (CERTIFICATE_*, PUBLIC_URL) with `base_url` as the fallback URL."""
        return cls(base_url=str(config.get("PUBLIC_URL") or base_url).rstrip("/"),
                   keys_dir=Path(config["CERTIFICATE_KEYS_DIR"]),
                   issuer_name=str(config.get("CERTIFICATE_ISSUER_NAME") or "Học Vụ Số"),
                   min_level=int(config.get("CERTIFICATE_MIN_LEVEL", 2)))


class CertificateError(Exception):
    """A refused action; `reason` is a stable code: unknown_number, empty_reason, missing_private_key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# --- keys --------------------------------------------------------------------------------------------------

def _key_path(keys_dir: Path, kid: str) -> Path:
    return keys_dir / f"{kid}.pem"


def generate_key(session: Session, keys_dir: Path, now: datetime) -> SigningKey:
    """A new active key: the private PEM written with mode 0600, the public JWK recorded."""
    key = certs.new_private_key()
    jwk = certs.public_jwk(key)
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = _key_path(keys_dir, jwk["kid"])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(certs.private_pem(key))
    with _loaded_lock:
        _loaded[path] = key
    row = SigningKey(kid=jwk["kid"], algorithm="Ed25519", public_jwk=jwk, created_at=now)
    session.add(row)
    session.flush()
    return row


_ACTIVE_KEY = (select(SigningKey).where(SigningKey.retired_at.is_(None))
               .order_by(SigningKey.created_at.desc(), SigningKey.kid).limit(1))


def _active_row(session: Session) -> SigningKey | None:
    return session.scalars(_ACTIVE_KEY).first()


def active_key(session: Session, keys_dir: Path, now: datetime) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The current signing key and its private half; made on first use."""
    row = _active_row(session)
    if row is None:
        row = generate_key(session, keys_dir, now)
    return row, _private(keys_dir, row.kid)


def _private(keys_dir: Path, kid: str) -> Ed25519PrivateKey:
    path = _key_path(keys_dir, kid)
    with _loaded_lock:
        if path in _loaded:
            return _loaded[path]
    if not path.is_file():
        raise CertificateError("missing_private_key", f"{path} not found: copy the instance keys folder to "
                               "this server, or rotate the key (lms certificates rotate-key)")
    key = certs.load_private_pem(path.read_bytes())
    if certs.public_jwk(key)["kid"] != kid:
        raise CertificateError("missing_private_key", f"{path} does not hold key {kid}")
    with _loaded_lock:
        _loaded[path] = key
    return key


def rotate(session: Session, keys_dir: Path, now: datetime) -> SigningKey:
    """Retire every active key (they stay published) and make a new one."""
    for row in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = now
    session.flush()
    return generate_key(session, keys_dir, now)


def public_keys(session: Session) -> dict[str, dict[str, Any]]:
    """Every key ever used, active or retired: kid -> public JWK."""
    rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at))
    return {row.kid: dict(row.public_jwk) for row in rows}


def jwks(session: Session) -> dict[str, Any]:
    """The published key set (RFC 7517), retired keys included so that older certificates still verify."""
    return {"keys": list(public_keys(session).values())}


# --- issuing -----------------------------------------------------------------------------------------------

def eligible_person(user: User, settings: Settings) -> bool:
    """Verified through VNeID at the level certificates need."""
    level = user.id_level or 0
    return bool(user.person_hash and user.verified_at is not None and level >= settings.min_level)


def find(session: Session, number: str) -> Certificate | None:
    return session.scalars(select(Certificate).where(Certificate.number == number)).one_or_none()


# Built once with bind parameters: they run on every certificate-issuing submit.
_EXISTING = select(Certificate).where(Certificate.person_hash == bindparam("person_hash"),
                                      Certificate.course_id == bindparam("course_id"))


def _existing(session: Session, person_hash: str, course_id: int) -> Certificate | None:
    return session.scalars(_EXISTING, {"person_hash": person_hash, "course_id": course_id}).one_or_none()


def facts_of(cert: Certificate, course_slug: str) -> certs.CertificateFacts:
    return certs.CertificateFacts(
        number=cert.number, holder_name=cert.holder_name, course_slug=course_slug,
        course_title=cert.course_title, competencies=tuple(cert.competencies), level=cert.level,
        issued_at=cert.issued_at,
        issuer_name=cert.issuer_name, person_hash=cert.person_hash, key_id=cert.key_id)


@dataclass(frozen=True)
class Prepared:
    """A certificate drawn and signed ahead of the write (`prepare`): not yet in the session. `version_id`
    and `key_id` say what it was made from; `issue_if_eligible` inserts it only if both are still current."""
    certificate: Certificate
    version_id: int
    key_id: str


def _build(user: User, course: Course, version: CourseVersion, now: datetime, settings: Settings,
           key_row: SigningKey, key: Ed25519PrivateKey, number: str, status: tuple[int, int]) -> Certificate:
    """A new, signed certificate row (not added to the session)."""
    person_hash = str(user.person_hash)
    facts = certs.CertificateFacts(
        number=number, holder_name=user.full_name, course_slug=course.slug,
        course_title=version.title, competencies=certs.competency_codes(version.competencies),
        level=version.level, issued_at=now, issuer_name=settings.issuer_name, person_hash=person_hash,
        key_id=key_row.kid)
    body = certs.payload(facts)
    cert = Certificate(
        number=facts.number, user_id=user.id, course_id=course.id, version_id=version.id,
        person_hash=person_hash, holder_name=facts.holder_name, course_title=facts.course_title,
        competencies=list(facts.competencies), level=facts.level, issuer_name=facts.issuer_name,
        issued_at=now,
        payload=body, signature=certs.sign_payload(key, body), key_id=key_row.kid,
        status_list=status[0], status_index=status[1])
    _sign_credential(cert, facts, version, settings, key_row.kid, key, now)
    return cert


def prepare(session: Session, user: User, course: Course, now: datetime, settings: Settings, *,
            draw: Callable[[int], str] = certs.new_number) -> Prepared | None:
    """Draw and sign, reading only, the certificate that completing `course` now would issue to `user`, so
    that the write transaction only inserts it (the signing and the credential's canonical form are most of
    an issue's cost, and SQLite writes one at a time). None when there is nothing to prepare: not eligible,
    already issued, or no signing key yet (the first key is made inside the write)."""
    version = course.published
    if not eligible_person(user, settings) or version is None:
        return None
    if _existing(session, str(user.person_hash), course.id) is not None:
        return None
    key_row = _active_row(session)
    if key_row is None:
        return None
    cert = _build(user, course, version, now, settings, key_row, _private(settings.keys_dir, key_row.kid),
                  draw(now.year), draw_status_index(session))
    return Prepared(cert, version.id, key_row.kid)


def issue_if_eligible(session: Session, user: User, course: Course, now: datetime, settings: Settings, *,
                      draw: Callable[[int], str] = certs.new_number,
                      completed_at: datetime | None = None,
                      prepared: Prepared | None = None,
                      with_facts: list[facts.Fact] | None = None) -> Certificate | None:
    """The person's certificate for `course`, issued now if they completed it and are verified at the required
    level; None otherwise. Exactly once per person and course, even when requests race: the unique
    (person_hash, course_id) constraint decides, and the loser returns the winner's certificate. `draw` makes
    a fresh number for a year (a number already taken is simply drawn again). `completed_at`: the enrolment's
    completion when the caller has just read or stamped it (saves reading it again). `prepared`: the
    certificate `prepare` made for this issue (having checked then that none was issued); it is inserted as
    it is while its course version and signing key are still the current ones, and otherwise (or if its
    number or status index was taken meanwhile) a new one is drawn and signed here. `with_facts`: reporting
    facts of the same event (the completion that earned the certificate), recorded with the certificate's
    and then removed from the list; left in it when no certificate is issued now."""
    if not eligible_person(user, settings) or course.published is None:
        return None
    person_hash = str(user.person_hash)
    if prepared is None:
        found = _existing(session, person_hash, course.id)
        if found is not None:
            return found
    completed = completed_at or session.scalar(select(Enrolment.completed_at).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id))
    if completed is None:
        return None
    version = course.published
    key_row, key = active_key(session, settings.keys_dir, now)
    if prepared is not None and prepared.version_id == version.id and prepared.key_id == key_row.kid:
        inserted = _insert(session, prepared.certificate, person_hash, course.id)
        if inserted is not None:
            if inserted is prepared.certificate:
                _certified(session, user, course.id, now, with_facts)
            return inserted
    elif prepared is not None:  # prepared under another version or key: it was not inserted; look again
        found = _existing(session, person_hash, course.id)
        if found is not None:
            return found
    for _ in range(_NUMBER_TRIES):
        cert = _build(user, course, version, now, settings, key_row, key, draw(now.year),
                      draw_status_index(session))
        inserted = _insert(session, cert, person_hash, course.id)
        if inserted is not None:
            if inserted is cert:
                _certified(session, user, course.id, now, with_facts)
            return inserted
        # otherwise the random number or status index was taken: draw another
    raise RuntimeError("could not draw a free certificate number")


def _certified(session: Session, user: User, course_id: int, now: datetime,
               with_facts: list[facts.Fact] | None) -> None:
    facts.certified(session, user, course_id, now, with_facts or ())
    if with_facts:
        with_facts.clear()


def _insert(session: Session, cert: Certificate, person_hash: str, course_id: int) -> Certificate | None:
    """Insert `cert` in a savepoint: `cert`, or the certificate a concurrent request issued first; None when
    its number or status index was taken (draw again)."""
    try:
        with session.begin_nested():
            session.add(cert)
        return cert
    except IntegrityError:
        return _existing(session, person_hash, course_id)


def _sign_credential(cert: Certificate, facts: certs.CertificateFacts, version: CourseVersion,
                     settings: Settings, kid: str, key: Ed25519PrivateKey, now: datetime) -> None:
    """Put the signed Open Badges credential (current form) of `cert` on it."""
    status = (statuslist.entry(settings.base_url, cert.status_list, cert.status_index)
              if cert.status_list is not None and cert.status_index is not None else None)
    credential = openbadges.add_proof(
        openbadges.build(facts, settings.base_url, status, _competency_name, version.summary or version.title),
        key, openbadges.verification_method(settings.base_url, kid), now)
    cert.credential = certs.canonical(credential).decode("utf-8")
    cert.credential_form = openbadges.CREDENTIAL_FORM


# The newest list and how many of its indexes are used, in one statement.
_NEWEST = select(func.max(Certificate.status_list)).scalar_subquery()
_NEWEST_LIST = select(_NEWEST, func.count()).select_from(Certificate).where(Certificate.status_list == _NEWEST)


def draw_status_index(session: Session) -> tuple[int, int]:
    """A random free-looking (list, index) for a new certificate: the newest list until it is half full,
    then the next one; the unique constraint decides, and a taken index is drawn again by the caller. Random,
    so that an index reveals neither the order of issue nor how many came before."""
    newest, used = session.execute(_NEWEST_LIST).one()
    newest, used = newest or 1, used or 0
    if used >= statuslist.LIST_SIZE // 2:
        newest += 1
    return newest, secrets.randbelow(statuslist.LIST_SIZE)


def issue_pending(session: Session, user: User, now: datetime, settings: Settings) -> list[Certificate]:
    """Certificates for every course the user completed (call right after a verification); those already
    issued are returned as they are."""
    if not eligible_person(user, settings):
        return []
    courses = session.scalars(select(Course).join(Enrolment, Enrolment.course_id == Course.id).where(
        Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None)).order_by(Enrolment.completed_at))
    issued = [issue_if_eligible(session, user, course, now, settings) for course in courses]
    return [c for c in issued if c is not None]


def _competency_name(code: str) -> str:
    item = framework().competencies.get(code)
    return item.name("vi") if item else code


# --- re-issuing credentials of an older form ---------------------------------------------------------------

def reissue_outdated(session: Session, settings: Settings, now: datetime) -> list[Certificate]:
    """Sign a current-form credential for every certificate whose credential is of an older form: same
    number, same facts and issue date, a status list index if it had none, a new proof by the active key.
    The old credential is recorded as superseded (its proof value and digest, not its content)."""
    key_row, key = active_key(session, settings.keys_dir, now)
    rows = session.execute(
        select(Certificate, Course.slug, CourseVersion)
        .join(Course, Course.id == Certificate.course_id)
        .join(CourseVersion, CourseVersion.id == Certificate.version_id)
        .where(Certificate.credential_form < openbadges.CREDENTIAL_FORM)
        .order_by(Certificate.id)).all()
    done = []
    for cert, slug, version in rows:
        old = cert.credential
        try:
            proofs = json_proofs(old)
        except ValueError:
            proofs = []
        session.add(SupersededCredential(
            certificate_id=cert.id, form=cert.credential_form, superseded_at=now,
            key_id=str(proofs[0].get("verificationMethod", "")).rsplit("#", 1)[-1][:64] if proofs else "",
            proof_value=str(proofs[0].get("proofValue", ""))[:200] if proofs else f"none:{cert.number}",
            credential_sha256=hashlib.sha256(old.encode("utf-8")).hexdigest()))
        session.flush()
        for _ in range(_NUMBER_TRIES):
            if cert.status_index is None:
                cert.status_list, cert.status_index = draw_status_index(session)
            try:
                with session.begin_nested():
                    _sign_credential(cert, facts_of(cert, slug), version, _same_base(settings, old, cert.number),
                                     key_row.kid, key, now)
                break
            except IntegrityError:
                cert.status_list = cert.status_index = None
        else:
            raise RuntimeError("could not draw a free status list index")
        done.append(cert)
    session.flush()
    return done


def _same_base(settings: Settings, credential: str, number: str) -> Settings:
    """The settings with the base URL the old credential was issued under, so its id stays the same."""
    try:
        old_id = str(json.loads(credential).get("id", ""))
    except (ValueError, AttributeError):
        return settings
    suffix = f"/certificates/{number}"
    if not old_id.endswith(suffix):
        return settings
    return dataclasses.replace(settings, base_url=old_id[:-len(suffix)])


def json_proofs(credential: str) -> list[dict[str, Any]]:
    """The proofs of a stored credential (a list of objects; [] when it has none)."""
    proofs = json.loads(credential).get("proof")
    return [p for p in proofs if isinstance(p, dict)] if isinstance(proofs, list) else []


def superseded(session: Session, proof_value: str) -> SupersededCredential | None:
    """The record of a re-issued credential by its proof value."""
    return session.scalars(select(SupersededCredential)
                           .where(SupersededCredential.proof_value == proof_value)).one_or_none()


# --- the revocation status list ----------------------------------------------------------------------------

def status_list(session: Session, list_number: int, settings: Settings,
                now: datetime) -> dict[str, Any] | None:
    """The signed BitstringStatusListCredential of list `list_number` (None when no certificate uses it):
    the bits of the revoked certificates set, signed by the active key."""
    used = session.scalar(select(func.count()).select_from(Certificate)
                          .where(Certificate.status_list == list_number))
    if not used:
        return None
    revoked = session.scalars(select(Certificate.status_index).where(
        Certificate.status_list == list_number, Certificate.revoked_at.is_not(None),
        Certificate.status_index.is_not(None)))
    key_row, key = active_key(session, settings.keys_dir, now)
    document = statuslist.build(settings.base_url, list_number, [int(i) for i in revoked if i is not None], now)
    return openbadges.add_proof(document, key, openbadges.verification_method(settings.base_url, key_row.kid),
                                now)


# --- confirming the holder on the server -------------------------------------------------------------------

HolderResult = Literal["match", "no_match", "unknown", "limited"]


def confirm_holder(session: Session, typed_number: str, person_hash: str, client: str,
                   now: datetime) -> HolderResult:
    """Whether the certificate `typed_number` was issued to the person whose keyed identity hash is
    `person_hash` (the caller computes it from the typed ID number, which never reaches this module). The
    check is recorded in the audit log with the client's hashed address and the result."""
    number = certs.parse_number(typed_number)
    stored = session.scalar(select(Certificate.person_hash).where(Certificate.number == number)) \
        if number else None
    if stored is None:
        result: HolderResult = "unknown"
    else:
        result = "match" if secrets.compare_digest(stored, person_hash) else "no_match"
    record_holder_check(session, number or typed_number, client, result, now)
    return result


def record_holder_check(session: Session, number: str, client: str, result: HolderResult,
                        now: datetime) -> None:
    session.add(HolderCheck(checked_at=now, certificate_number=number.strip()[:64], client=client[:64],
                            result=result))
    session.flush()


# --- revoking and checking ---------------------------------------------------------------------------------

def revoke(session: Session, number: str, reason: str, now: datetime) -> Certificate:
    """Record the revocation (the signed payload and credential stay as issued). Revoking twice keeps the
    first date and reason."""
    canonical_number = certs.parse_number(number)
    cert = find(session, canonical_number) if canonical_number else None
    if cert is None:
        raise CertificateError("unknown_number", number)
    reason = reason.strip()
    if not reason:
        raise CertificateError("empty_reason")
    if cert.revoked_at is None:
        cert.revoked_at = now
        cert.revoked_reason = reason[:1000]
        session.flush()
        holder = session.get(User, cert.user_id)
        if holder is not None:
            facts.revoked(session, holder, cert.course_id, now)
    return cert


Status = Literal["valid", "revoked", "invalid", "unknown", "synthetic"]


@dataclass(frozen=True)
class Verification:
    """`valid`, `revoked`, `unknown` (no such number), `invalid` (the stored record no longer matches its
    signature: it was altered outside the platform), or `synthetic` (a row of the simulated demonstration
    population, `lms demo population`: never signed, certifies nothing)."""

    status: Status
    number: str
    certificate: Certificate | None = None
    course_slug: str = ""


def verify_number(session: Session, text: str) -> Verification:
    """What the public verification page shows for a typed number (one query: the certificate, its course's
    slug and its key)."""
    number = certs.parse_number(text)
    row = session.execute(
        select(Certificate, Course.slug, SigningKey.public_jwk)
        .join(Course, Course.id == Certificate.course_id)
        .outerjoin(SigningKey, SigningKey.kid == Certificate.key_id)
        .where(Certificate.number == number)).one_or_none() if number else None
    if row is None:
        return Verification("unknown", number or text.strip()[:40])
    cert, slug, jwk = row
    if cert.key_id == population.SYNTHETIC_KEY_ID and jwk is None:
        return Verification("synthetic", cert.number, cert, slug)
    body = certs.payload(facts_of(cert, slug))
    if jwk is None or body != cert.payload or not certs.verify_payload(jwk, body, cert.signature):
        return Verification("invalid", cert.number, cert, slug)
    return Verification("revoked" if cert.revoked_at is not None else "valid", cert.number, cert, slug)


def for_user(session: Session, user_id: int) -> dict[int, Certificate]:
    """The user's certificates by course id."""
    rows = session.scalars(select(Certificate).where(Certificate.user_id == user_id))
    return {c.course_id: c for c in rows}


def latest(session: Session, limit: int = 50) -> list[Certificate]:
    return list(session.scalars(select(Certificate)
                                .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(limit)))
