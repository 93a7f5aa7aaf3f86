"""The assembled VNeID stub: `Stub`, the per-app state (clients, citizen registry, store, keys, clock,
pairwise subjects, the claims a scope releases, discovery); the Authlib authorization server bound to it,
with the grants of `grants.py`; and the token and userinfo side (access tokens seen at one instant, the
Bearer token validator, the userinfo endpoint)."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from flask import current_app, g, url_for
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import keys
from .clients import IDENTITY_CLAIMS, SCOPE_CLAIMS, SCOPES, Client, Principal, load_clients
from .grants import CodeGrant, S256CodeChallenge, StubOpenIDCode
from .models import AccessToken, Store, digest
from .registry import Citizen, RegistryFile

ACCESS_TOKEN_TTL = 300


class Stub:
    """The stub of one Flask app. Files live in `<instance>/vneid/`; secrets and tables are made on first use.
    `clock` (seconds since the epoch) is the one time source for codes, tokens and ID tokens."""

    def __init__(self, instance_path: str, config: Mapping[str, Any]) -> None:
        self.directory = Path(instance_path) / "vneid"
        self.clients = load_clients(config)
        self.issuer_override: str | None = config.get("VNEID_STUB_ISSUER")
        self.code_ttl = int(config.get("VNEID_STUB_CODE_TTL", 60))
        self.clock: Callable[[], float] = time.time
        self.registry = RegistryFile(self.directory / "registry.json")
        self.store = Store(self.directory / "stub.db")
        self._lock = threading.Lock()
        self._key: RSAKey | None = None
        self._subject_key: bytes | None = None
        self.server = StubAuthorizationServer(self)

    @property
    def key(self) -> RSAKey:
        with self._lock:
            if self._key is None:
                self._key = keys.load_or_create(self.directory / "keys")
            return self._key

    def issuer(self) -> str:
        """VNEID_STUB_ISSUER; else, embedded, the stub's URL on the platform's PUBLIC_URL (never the Host
        header); standalone (`lms vneid serve`, demo mode only), the stub's URL on the request's host."""
        if self.issuer_override:
            return self.issuer_override
        config = current_app.config
        if config.get("PUBLIC_URL") and not config.get("VNEID_STUB_STANDALONE"):
            return str(config["PUBLIC_URL"]).rstrip("/") + url_for("vneid.index").rstrip("/")
        return url_for("vneid.index", _external=True).rstrip("/")

    def db(self) -> Session:
        """The stub database session of this request (closed at teardown; views commit)."""
        if "_vneid_db" not in g:
            g._vneid_db = self.store.session()
        session: Session = g._vneid_db
        return session

    def subject(self, citizen: Citizen, client_id: str) -> str:
        """Pairwise subject: HMAC of the ID number and client id under the stub's secret."""
        with self._lock:
            if self._subject_key is None:
                self._subject_key = keys.subject_key(self.directory / "keys")
        message = f"{client_id}\x00{citizen.id_number}".encode("utf-8")
        return hmac.new(self._subject_key, message, hashlib.sha256).hexdigest()

    def user_info(self, principal: Principal, scope: str) -> UserInfo:
        """The claims the granted scope releases: always `sub`; `profile` and `vneid` add identity claims."""
        scopes = set(scope_to_list(scope) or [])
        c = principal.citizen
        values: dict[str, Any] = {
            "name": c.name, "birthdate": c.birthdate.isoformat(), "gender": c.gender,
            "vn_personal_id": c.id_number, "vn_account_level": c.level,
            "vn_residence": c.residence.as_claim(),
        }
        info = UserInfo(sub=self.subject(c, principal.client_id))
        for scope_name, claims in SCOPE_CLAIMS.items():
            if scope_name in scopes:
                info.update({claim: values[claim] for claim in claims})
        return info

    def discovery(self) -> dict[str, Any]:
        issuer = self.issuer()
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "scopes_supported": list(SCOPES),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                                 *IDENTITY_CLAIMS],
            "subject_types_supported": ["pairwise"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "ui_locales_supported": ["vi"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }

    def dispose(self) -> None:
        self.store.dispose()


class StubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's Flask authorization server bound to one `Stub` (not to app.config: settings come from it)."""

    def __init__(self, stub: Stub) -> None:
        super().__init__()
        self.stub = stub
        self.load_config({"OAUTH2_TOKEN_EXPIRES_IN": {"authorization_code": ACCESS_TOKEN_TTL}})
        self.scopes_supported = list(SCOPES)
        self.register_grant(CodeGrant, [S256CodeChallenge(required=True), StubOpenIDCode(stub)])
        protector = ResourceProtector()
        protector.register_token_validator(StubTokenValidator(stub))
        self.register_endpoint(StubUserInfoEndpoint(resource_protector=protector))

    def query_client(self, client_id: str) -> Client | None:
        return self.stub.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        self.stub.db().add(AccessToken(
            token_hash=digest(token["access_token"]), client_id=request.client.client_id,
            scope=token["scope"], citizen_uid=request.user.citizen.uid, code_id=request.authorization_code.id,
            issued_at=self.stub.clock(), expires_in=int(token["expires_in"]), revoked=False))


@dataclass(frozen=True)
class IssuedToken(TokenMixin):  # type: ignore[misc]
    """An access token row seen at one instant of the stub's clock."""

    row: AccessToken
    stub: Stub
    now: float

    def _citizen(self) -> Citizen | None:
        return self.stub.registry.get().by_uid(self.row.citizen_uid)

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    @property
    def scope(self) -> str:  # read directly by Authlib's UserInfoEndpoint
        return self.row.scope

    def get_expires_in(self) -> int:
        return self.row.expires_in

    def is_expired(self) -> bool:
        return self.now >= self.row.issued_at + self.row.expires_in

    def is_revoked(self) -> bool:
        citizen = self._citizen()
        return self.row.revoked or citizen is None or citizen.locked

    def get_user(self) -> Principal:
        citizen = self._citizen()
        assert citizen is not None  # is_revoked() was checked first
        return Principal(citizen, self.row.client_id)

    def get_client(self) -> Client:
        return self.stub.clients[self.row.client_id]


class StubTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, stub: Stub) -> None:
        super().__init__()
        self.stub = stub

    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        row = self.stub.db().scalar(select(AccessToken).where(AccessToken.token_hash == digest(token_string)))
        if row is None or row.client_id not in self.stub.clients:
            return None
        return IssuedToken(row, self.stub, self.stub.clock())


class StubUserInfoEndpoint(UserInfoEndpoint):  # type: ignore[misc]
    server: StubAuthorizationServer

    def generate_user_info(self, user: Principal, scope: str) -> UserInfo:
        return self.server.stub.user_info(user, scope)

    def get_issuer(self) -> str:
        return self.server.stub.issuer()


def stub() -> Stub:
    """The stub of the current app."""
    state: Stub = current_app.extensions["vneid"]
    return state
