"""The stub's own tables (authorization codes and access tokens) on its own MetaData and SQLite file,
`<instance>/vneid/stub.db`. The stub stands in for an external system, so these tables are created with
`create_all` and are not part of the platform's migrations. Codes and tokens are stored as SHA-256 digests."""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Optional

from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import Engine, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from ..db import make_engine


class StubBase(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"})


def digest(secret: str) -> str:
    """What the database keeps of a code or token: enough to find it, useless to a reader of the file."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class AuthorizationCode(StubBase, AuthorizationCodeMixin):
    """A code issued after consent; single use (`used_at`) and valid for VNEID_STUB_CODE_TTL seconds."""

    __tablename__ = "vneid_authorization_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(200))
    nonce: Mapped[str] = mapped_column(String(200), index=True)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    citizen_uid: Mapped[str] = mapped_column(String(40))
    auth_time: Mapped[int]
    issued_at: Mapped[float]
    used_at: Mapped[Optional[float]]

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


class AccessToken(StubBase):
    """A bearer token for the userinfo endpoint."""

    __tablename__ = "vneid_access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(200))
    citizen_uid: Mapped[str] = mapped_column(String(40))
    code_id: Mapped[int] = mapped_column(ForeignKey("vneid_authorization_code.id"), index=True)
    issued_at: Mapped[float]
    expires_in: Mapped[int]
    revoked: Mapped[bool] = mapped_column(default=False)


class Store:
    """The engine and session factory of one instance's stub database, created on first use. Every
    transaction starts with BEGIN IMMEDIATE: stub transactions are short and nearly all write, and a reader
    that later writes must wait for the lock instead of failing with "database is locked"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._factory: sessionmaker[Session] | None = None
        self._engine: Engine | None = None

    def session(self) -> Session:
        with self._lock:
            if self._factory is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                engine = make_engine(f"sqlite:///{self.path}", always_immediate=True)
                StubBase.metadata.create_all(engine)
                self._engine = engine
                self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        return self._factory()

    def dispose(self) -> None:
        """Close the pooled connections (tests; shutting down)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
