"""Authlib wiring of the VNeID stub: an OpenID Connect provider (authorization code + PKCE S256, nonce,
pairwise subjects, RS256 ID tokens, userinfo). `Stub` is the per-app state: clients, registry, store, keys,
clock and the Authlib authorization server."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, InvalidGrantError, InvalidRequestError, TokenMixin, grants
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from flask import current_app, g, url_for
from joserfc.jwk import RSAKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import keys
from .models import AccessToken, AuthorizationCode, Store, digest
from .registry import Citizen, RegistryFile

SCOPES = ("openid", "profile", "vneid")
# The identity claims each scope releases (and the consent page lists).
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "birthdate", "gender"),
    "vneid": ("vn_personal_id", "vn_account_level", "vn_residence"),
}
IDENTITY_CLAIMS = tuple(claim for claims in SCOPE_CLAIMS.values() for claim in claims)
ACCESS_TOKEN_TTL = 300
ID_TOKEN_TTL = 300
DEFAULT_CLIENT_ID = "hocvuso-lms"
DEFAULT_REDIRECT_URIS = ("http://127.0.0.1:*/auth/vneid/callback", "http://localhost:*/auth/vneid/callback")


def default_client_secret(secret_key: str) -> str:
    """The default client's secret: HMAC-SHA256 of "vneid-client-secret" under the app SECRET_KEY (hex).
    The platform derives its default VNEID_CLIENT_SECRET the same way."""
    return hmac.new(secret_key.encode("utf-8"), b"vneid-client-secret", hashlib.sha256).hexdigest()


def redirect_uri_matches(registered: str, uri: str) -> bool:
    """Exact match, or a registered `scheme://host:*/path` that accepts any port (or none) on that host and
    path; user info, a different host, path, query or a fragment never match."""
    if uri == registered:
        return True
    pattern, given = urlsplit(registered), urlsplit(uri)
    if not pattern.netloc.endswith(":*"):
        return False
    host = pattern.netloc[:-2]
    try:
        port = given.port
    except ValueError:
        return False
    netloc_ok = given.netloc == host if port is None else given.netloc == f"{host}:{port}"
    return (netloc_ok and given.scheme == pattern.scheme and given.path == pattern.path
            and given.query == pattern.query and not given.fragment)


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    """A registered relying party (confidential: authenticates with its secret at the token endpoint)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    client_name: str
    id_token_signed_response_alg = keys.ALGORITHM

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {}  # no signed userinfo: plain JSON

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the redirect_uri parameter is required

    def get_allowed_scope(self, scope: str | None) -> str | None:
        requested = scope_to_list(scope) or []
        if "openid" not in requested:
            return None  # an OpenID provider only: no openid, no grant (invalid_scope)
        return " ".join(dict.fromkeys(s for s in requested if s in SCOPES))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(redirect_uri_matches(registered, redirect_uri) for registered in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode("utf-8"), self.client_secret.encode("utf-8"))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


def load_clients(config: Mapping[str, Any]) -> dict[str, Client]:
    """VNEID_STUB_CLIENTS, or the default development client `hocvuso-lms` when that setting is None."""
    entries = config.get("VNEID_STUB_CLIENTS")
    if entries is None:
        entries = [{"client_id": DEFAULT_CLIENT_ID,
                    "client_secret": default_client_secret(config["SECRET_KEY"]),
                    "redirect_uris": list(DEFAULT_REDIRECT_URIS), "client_name": "Học Vụ Số"}]
    return {
        e["client_id"]: Client(e["client_id"], e["client_secret"], tuple(e["redirect_uris"]),
                               e.get("client_name", e["client_id"]))
        for e in entries
    }


@dataclass(frozen=True)
class Principal:
    """The authenticated citizen as seen by one client (the pairwise subject depends on the client)."""

    citizen: Citizen
    client_id: str
    auth_time: int | None = None


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
        """VNEID_STUB_ISSUER, else the stub's URL on the host of the current request."""
        return self.issuer_override or url_for("vneid.index", _external=True).rstrip("/")

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


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant: state is required; codes are single use and short-lived."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: StubAuthorizationServer

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if not self.request.payload.state:
            raise InvalidRequestError("Missing 'state' in request.", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        principal: Principal = request.user
        now = self.server.stub.clock()
        self.server.stub.db().add(AuthorizationCode(
            code_hash=digest(code), client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope, nonce=data["nonce"],
            code_challenge=data["code_challenge"], code_challenge_method=data["code_challenge_method"],
            citizen_uid=principal.citizen.uid, auth_time=principal.auth_time or int(now), issued_at=now,
            used_at=None))

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        stub = self.server.stub
        db = stub.db()
        row = db.scalar(select(AuthorizationCode).where(
            AuthorizationCode.code_hash == digest(code), AuthorizationCode.client_id == client.client_id))
        if row is None:
            return None
        if row.used_at is not None:
            # A replayed code: refuse it and revoke what it gave (RFC 6749 §4.1.2). The view commits.
            db.execute(update(AccessToken).where(AccessToken.code_id == row.id).values(revoked=True))
            return None
        if stub.clock() >= row.issued_at + stub.code_ttl:
            return None
        return row

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        db = self.server.stub.db()
        done = db.execute(update(AuthorizationCode).where(
            AuthorizationCode.id == authorization_code.id, AuthorizationCode.used_at.is_(None),
        ).values(used_at=self.server.stub.clock()))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            db.rollback()  # lost a race for the same code: the token saved above must not survive
            raise InvalidGrantError("Invalid 'code' in request.")

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Principal | None:
        citizen = self.server.stub.registry.get().by_uid(authorization_code.citizen_uid)
        if citizen is None or citizen.locked:
            return None
        return Principal(citizen, authorization_code.client_id, authorization_code.auth_time)


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, required of every client (confidential ones too) and only with S256."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("The 'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class StubOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """OpenID Connect on the code grant: nonce required and never reused, RS256 ID token with a key id."""

    DEFAULT_EXPIRES_IN = ID_TOKEN_TTL

    def __init__(self, stub: Stub) -> None:
        super().__init__(require_nonce=True)
        self.stub = stub

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        found = self.stub.db().scalar(select(AuthorizationCode.id).where(
            AuthorizationCode.client_id == request.payload.client_id, AuthorizationCode.nonce == nonce))
        return found is not None

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.stub.key

    def get_client_algorithm(self, client: Client) -> str:
        return keys.ALGORITHM

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": keys.ALGORITHM, "kid": str(self.stub.key.kid)}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self.stub.clock())
        return {"iss": self.stub.issuer(), "aud": client.client_id, "iat": now, "exp": now + ID_TOKEN_TTL}

    def generate_user_info(self, user: Principal, scope: str) -> UserInfo:
        return self.stub.user_info(user, scope)


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
