"""The stub's state for one Flask app: `Stub` holds the clients, the citizen registry, the store, the keys,
the clock, the pairwise subjects, the claims a scope releases and the discovery document; `stub()` is the
current app's. The grants (grants.py) and the server (server.py) depend on it, never the other way round."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oidc.core import UserInfo
from flask import current_app, g, url_for
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from . import keys
from .clients import IDENTITY_CLAIMS, SCOPE_CLAIMS, SCOPES, Principal, load_clients
from .models import Store
from .registry import Citizen, RegistryFile


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


def stub() -> Stub:
    """The stub of the current app."""
    state: Stub = current_app.extensions["vneid"]
    return state
