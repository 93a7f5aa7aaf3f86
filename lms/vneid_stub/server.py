"""The assembled VNeID stub: the Authlib authorization server bound to one `Stub` (state.py), with the
grants of grants.py; the token and userinfo side (access tokens seen at one instant, the Bearer token
validator, the userinfo endpoint); and `install`, which puts the state and the server on an app."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from flask import Flask, current_app
from sqlalchemy import select

from .clients import SCOPES, Client, Principal
from .grants import CodeGrant, S256CodeChallenge, StubOpenIDCode
from .models import AccessToken, digest
from .registry import Citizen
from .state import Stub

ACCESS_TOKEN_TTL = 300


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


def install(app: Flask) -> None:
    """Put the stub's state (`app.extensions["vneid"]`) and its authorization server on the app."""
    state = Stub(app.instance_path, app.config)
    app.extensions["vneid"] = state
    app.extensions["vneid_server"] = StubAuthorizationServer(state)


def authorization_server() -> StubAuthorizationServer:
    """The authorization server of the current app's stub."""
    server: StubAuthorizationServer = current_app.extensions["vneid_server"]
    return server
