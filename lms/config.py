"""Configuration: defaults, then an optional `instance/config.py`, then `LMS_*` environment variables."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from .files import create_once

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # default: SQLite in the instance folder
    "CONTENT_DIR": str(PROJECT_ROOT),  # holds courses/ and quizzes/
    "INDEX_DIR": None,  # default: <instance>/search-index
    "SECRET_KEY": None,  # default: generated once into <instance>/secret_key
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ["vi", "en"],
    "WTF_CSRF_TIME_LIMIT": None,  # a slow learner's form must not expire under them
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # The VNeID stub (lms/vneid, docs/vneid-stub.md): an OpenID provider mounted at /vneid for development.
    "VNEID_STUB_ENABLED": True,
    "VNEID_STUB_ISSUER": None,  # default: <scheme://host of the request>/vneid
    "VNEID_STUB_CLIENTS": None,  # default: client "hocvuso-lms", secret derived from SECRET_KEY
    "VNEID_STUB_CODE_TTL": 60,  # seconds an authorization code stays valid
    # The platform as an OpenID Connect client of VNeID (lms/web/auth/vneid.py, docs/identity.md).
    "VNEID_DISCOVERY_URL": None,  # None: the embedded stub of this app at /vneid, called in-process
    "VNEID_CLIENT_ID": "hocvuso-lms",
    "VNEID_CLIENT_SECRET": None,  # default: derived from SECRET_KEY, like the stub's default client
    # HMAC key of `person_hash` (recognises a person without storing the ID number); default: generated once
    # into <instance>/identity_key. Every app server must share it, and it must never change.
    "IDENTITY_KEY": None,
    # Certificates (lms/services/certificates.py, docs/certificates.md).
    "PUBLIC_URL": None,  # e.g. "https://hocvuso.example.vn"; default: the URL of the request
    "CERTIFICATE_ISSUER_NAME": "Học Vụ Số",
    "CERTIFICATE_MIN_LEVEL": 2,  # VNeID account level a learner needs for a certificate
    "CERTIFICATE_KEYS_DIR": None,  # default: <instance>/keys (private signing keys, mode 0600)
    "VERIFY_RATE_LIMIT": 30,  # public verification lookups per client IP per minute
    # "Does certificate N belong to ID X?" checks (/verify/holder), per hour; 0 = no limit
    "HOLDER_CHECK_LIMIT_PER_IP": 10,
    "HOLDER_CHECK_LIMIT_PER_CERTIFICATE": 5,
}
# Environment variables that may override a setting (LMS_<NAME>).
ENV_KEYS = ("DATABASE_URL", "CONTENT_DIR", "INDEX_DIR", "SECRET_KEY", "SESSION_COOKIE_SECURE", "PUBLIC_URL",
            "VNEID_DISCOVERY_URL", "VNEID_CLIENT_ID", "VNEID_CLIENT_SECRET", "IDENTITY_KEY")


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The effective configuration; unknown keys in `instance/config.py` are refused at start."""
    config = dict(DEFAULTS)
    file = instance_path / "config.py"
    if file.is_file():
        namespace: dict[str, Any] = {}
        exec(compile(file.read_text(encoding="utf-8"), str(file), "exec"), namespace)
        values = {k: v for k, v in namespace.items() if k.isupper()}
        unknown = set(values) - set(DEFAULTS) - {"SESSION_COOKIE_SECURE"}
        if unknown:
            raise RuntimeError(f"{file}: unknown setting(s): {', '.join(sorted(unknown))}")
        config.update(values)
    for key in ENV_KEYS:
        if f"LMS_{key}" in os.environ:
            value: Any = os.environ[f"LMS_{key}"]
            config[key] = value.lower() in ("1", "true", "yes") if key == "SESSION_COOKIE_SECURE" else value
    config.update(overrides or {})
    instance_path.mkdir(parents=True, exist_ok=True)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'lms.db'}"
    if not config["INDEX_DIR"]:
        config["INDEX_DIR"] = str(instance_path / "search-index")
    if not config["CERTIFICATE_KEYS_DIR"]:
        config["CERTIFICATE_KEYS_DIR"] = str(instance_path / "keys")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(instance_path / "secret_key")
    if not config["IDENTITY_KEY"]:
        config["IDENTITY_KEY"] = _instance_secret(instance_path / "identity_key")
    if not config["VNEID_CLIENT_SECRET"]:
        # The same derivation as the stub's default client (lms.vneid.clients.default_client_secret).
        secret = str(config["SECRET_KEY"]).encode("utf-8")
        config["VNEID_CLIENT_SECRET"] = hmac.new(secret, b"vneid-client-secret", hashlib.sha256).hexdigest()
    return config


def _instance_secret(path: Path) -> str:
    """A random key made once per instance, so sessions survive restarts and are shared by workers."""
    return create_once(path, lambda: secrets.token_urlsafe(48).encode("ascii")).decode("ascii").strip()
