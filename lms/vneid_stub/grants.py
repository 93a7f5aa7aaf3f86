"""The Authlib grant wiring of the stub: the authorization code grant (state required, single-use and
short-lived codes, replay revokes), PKCE S256 required of every client, and OpenID Connect on the code grant
(nonce required and never reused, RS256 ID tokens with a key id)."""
from __future__ import annotations

from typing import Any, Protocol

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from sqlalchemy import select, update

from . import keys
from .clients import Client, Principal
from .models import AccessToken, AuthorizationCode, digest
from .state import Stub

ID_TOKEN_TTL = 300


class BoundServer(Protocol):
    """What the grants need of the authorization server that runs them (server.StubAuthorizationServer):
    the stub's state, so that this module does not import the server that imports it."""

    stub: Stub


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant: state is required; codes are single use and short-lived."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: BoundServer

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
