"""Server-side state of logins and of VNeID flows; only SHA-256 hashes of the random tokens are stored."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class LoginSession(Base):
    """One login of an account on one browser. The browser's session (and "keep me logged in") cookie
    carries "<user id>:<token>"; deleting the row ends that login wherever the cookie was copied."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingIdentity(Base):
    """A VNeID verification between the callback and the next form: a new person's identity record awaiting
    the account form ("new_account"), or the account a verified person may set a new password on ("reset").
    The browser's session holds only the random token; the row is short-lived and used once."""

    __tablename__ = "pending_identity"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    record: Mapped[Optional[str]] = mapped_column(Text)  # IdentityRecord as JSON (no raw ID number)
    next_url: Mapped[Optional[str]] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
