"""Server-side logins and short-lived VNeID state, keyed by random tokens of which only a hash is stored.

A login is a `LoginSession` row; the browser holds "<user id>:<token>" in its signed session cookie and, with
"keep me logged in", in Flask-Login's remember cookie. Every request looks the row up, so deleting it ends
that login everywhere at once, copied cookies included (docs/security.md). Nothing here commits.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ..models import LoginSession, PendingIdentity, User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, now: datetime, lifetime: timedelta, remember: bool = False) -> str:
    """A new login of `user` valid for `lifetime`; returns its token and sets `user.login_token`."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, token_hash=_hash(token), remember=remember, created_at=now,
                             expires_at=now + lifetime))
    session.flush()
    user.login_token = token  # type: ignore[assignment]
    return token


# Built once (the request's first query, on every page): building the joined, filtered select per request
# cost more than running it. One indexed lookup of the login row joined with its user, never a cache, so an
# ended login (logout, sign out everywhere) loads nobody on the very next request of any worker.
_RESOLVE = (select(User).join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.token_hash == bindparam("token_hash"),
                   LoginSession.expires_at > bindparam("now")))


def resolve(session: Session, login_id: str, now: datetime) -> User | None:
    """The active user of the unexpired login named by "<user id>:<token>", else None."""
    user_id, _, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.scalars(_RESOLVE, {"token_hash": _hash(token), "now": now}).first()
    if user is None or user.id != int(user_id) or not user.active:
        return None
    user.login_token = token  # type: ignore[assignment]
    return user


def end(session: Session, token: str | None) -> None:
    """End one login (logout)."""
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))


def end_all(session: Session, user: User, keep: str | None = None) -> None:
    """End every login of `user` (sign out on every device, password change or reset, role change, lock),
    except the one whose token is `keep`."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        query = query.where(LoginSession.token_hash != _hash(keep))
    session.execute(query)


def put_pending(session: Session, purpose: str, now: datetime, ttl: timedelta, *, user_id: int | None = None,
                record: dict[str, Any] | None = None, next_url: str | None = None) -> str:
    """Keep a verified identity between two requests; returns the random token the browser's session holds."""
    session.execute(delete(PendingIdentity).where(PendingIdentity.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(PendingIdentity(token_hash=_hash(token), purpose=purpose, user_id=user_id,
                                record=json.dumps(record) if record is not None else None, next_url=next_url,
                                expires_at=now + ttl))
    session.flush()
    return token


def pending(session: Session, token: Any, purpose: str, now: datetime) -> PendingIdentity | None:
    """The unexpired pending identity for this token and purpose, else None."""
    if not isinstance(token, str) or not token:
        return None
    row = session.get(PendingIdentity, _hash(token))
    if row is None or row.expires_at <= now or not hmac.compare_digest(row.purpose, purpose):
        return None
    return row


def pending_user(session: Session, row: PendingIdentity | None) -> User | None:
    """The account a pending identity was made for (a password reset), else None."""
    return session.get(User, row.user_id) if row is not None and row.user_id else None


def pending_record(row: PendingIdentity) -> dict[str, Any]:
    return json.loads(row.record or "{}")  # type: ignore[no-any-return]


def drop_pending(session: Session, row: PendingIdentity) -> None:
    """Use a pending identity up (single use)."""
    session.delete(row)
