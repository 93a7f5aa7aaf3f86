"""The OpenID Connect client of the platform's identity login: the platform as a relying party of VNeID
(authorization code + PKCE S256, state, nonce).

HTTP goes through Authlib's httpx integration. With no VNEID_DISCOVERY_URL the provider is the stub embedded
in this same app, reached in-process through a WSGI transport: real HTTP semantics and the real stub, but no
network, so the test client and a single-process server work. An external provider's discovery document and
keys are cached for an hour; its keys are fetched again once when a token names a key id they lack (rotation).
"""
from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from flask import current_app

from ..helpers import external_url

from ...domain.verified_identity import TokenRejected, verify_id_token

SCOPE = "openid profile vneid"
TIMEOUT = 10.0  # seconds for any call to the provider
CACHE_SECONDS = 3600
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


class ProviderError(Exception):
    """The provider could not be used: `reason` is discovery (its metadata is unreachable or inconsistent) or
    token (the code exchange failed: an expired, reused or foreign code, or a network error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Flow:
    """What the session remembers between sending the person to VNeID and the callback."""

    state: str
    nonce: str
    verifier: str


def available() -> bool:
    """Whether a provider is configured: an external one, or the embedded stub."""
    return bool(current_app.config.get("VNEID_DISCOVERY_URL") or current_app.config.get("VNEID_STUB_ENABLED"))


def _embedded() -> bool:
    return not current_app.config.get("VNEID_DISCOVERY_URL")


def discovery_url() -> str:
    configured = current_app.config.get("VNEID_DISCOVERY_URL")
    if configured:
        return str(configured)
    issuer = current_app.config.get("VNEID_STUB_ISSUER") or external_url("vneid.index")
    return str(issuer).rstrip("/") + "/.well-known/openid-configuration"


def redirect_uri() -> str:
    return external_url("auth.vneid_callback")


def _isolated(app: Any) -> Any:
    """The WSGI app run in a fresh context. Flask reuses an active app context of the same app for a nested
    request, and with it `g` (the logged-in user, the database session, the locale): the stub's request must
    get its own."""
    def call(environ: dict[str, Any], start_response: Any) -> Any:
        return contextvars.Context().run(app, environ, start_response)
    return call


def _client() -> OAuth2Client:
    """An OAuth 2 client for this app's registration; in-process transport for the embedded stub."""
    config = current_app.config
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    transport = httpx2.WSGITransport(app=_isolated(app)) if _embedded() else None
    return OAuth2Client(client_id=config["VNEID_CLIENT_ID"], client_secret=config["VNEID_CLIENT_SECRET"],
                        token_endpoint_auth_method="client_secret_basic", code_challenge_method="S256",
                        scope=SCOPE, redirect_uri=redirect_uri(), transport=transport, timeout=TIMEOUT)


def _get_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    """A JSON document of the provider (cached for an external provider unless `fresh`)."""
    cacheable = not _embedded()
    if cacheable and not fresh:
        with _cache_lock:
            hit = _cache.get(url)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    with _client() as client:
        response = client.request("GET", url, withhold_token=True)  # public documents: no bearer token
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    if cacheable:
        with _cache_lock:
            _cache[url] = (time.monotonic(), document)
    return document


def provider() -> Provider:
    """The provider's metadata; its issuer must be the one the discovery URL belongs to (OIDC Discovery
    §4.3), so a document served elsewhere cannot name itself the issuer."""
    url = discovery_url()
    try:
        doc = _get_json(url)
        meta = Provider(*(str(doc[name]) for name in (
            "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")))
    except (httpx2.HTTPError, ValueError, KeyError):
        raise ProviderError("discovery") from None
    if meta.issuer.rstrip("/") + "/.well-known/openid-configuration" != url:
        raise ProviderError("discovery")
    return meta


def begin() -> tuple[str, Flow]:
    """The authorization request URL to send the browser to, and the flow to keep in the session."""
    meta = provider()
    flow = Flow(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64))
    with _client() as client:
        url, _state = client.create_authorization_url(meta.authorization_endpoint, state=flow.state,
                                                      code_verifier=flow.verifier, nonce=flow.nonce)
    return str(url), flow


def finish(code: str, flow: Flow) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the claims of the verified ID token; raises
    ProviderError or TokenRejected."""
    meta = provider()
    try:
        with _client() as client:
            token = client.fetch_token(meta.token_endpoint, grant_type="authorization_code", code=code,
                                       code_verifier=flow.verifier)
    except (OAuthError, httpx2.HTTPError, ValueError):
        raise ProviderError("token") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise TokenRejected("claims")

    def check(jwks: dict[str, Any]) -> dict[str, Any]:
        return verify_id_token(id_token, jwks, issuer=meta.issuer, nonce=flow.nonce, now=int(time.time()),
                               client_id=current_app.config["VNEID_CLIENT_ID"])

    try:
        try:
            return check(_get_json(meta.jwks_uri))
        except TokenRejected as rejected:
            if rejected.reason != "signature" or _embedded():
                raise
            return check(_get_json(meta.jwks_uri, fresh=True))  # the provider may have rotated its key
    except (httpx2.HTTPError, ValueError):
        raise ProviderError("discovery") from None
