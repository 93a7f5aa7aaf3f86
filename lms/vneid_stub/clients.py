"""The stub's relying parties: the scopes and the identity claims each releases, the client registry
(`Client`, `load_clients`, the default development client and its secret), redirect URI matching, and
`Principal`, the citizen as one client sees it."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.util import scope_to_list

from . import keys
from .registry import Citizen

SCOPES = ("openid", "profile", "vneid")
# The identity claims each scope releases (and the consent page lists).
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "birthdate", "gender"),
    "vneid": ("vn_personal_id", "vn_account_level", "vn_residence"),
}
IDENTITY_CLAIMS = tuple(claim for claims in SCOPE_CLAIMS.values() for claim in claims)
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
