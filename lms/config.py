"""Configuration: defaults, then an optional `instance/config.py`, then `LMS_*` environment variables."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .db import SQLITE_SYNCHRONOUS
from .files import create_once

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # "production" (the default) or "demo": development, the test suite, `.ci/serve` and the benchmarks. Only
    # demo mode may run the VNeID stub, use demo secrets or go without a public URL (docs/operations.md).
    "LMS_MODE": "production",
    "DATABASE_URL": None,  # default: SQLite in the instance folder
    # SQLite's `PRAGMA synchronous` (WAL mode): NORMAL (a power loss may lose the last commits, never corrupts
    # the file) or FULL (every commit that returned survives a power loss; a sync per commit). OFF is refused.
    # docs/operations.md, "SQLite durability".
    "SQLITE_SYNCHRONOUS": SQLITE_SYNCHRONOUS[0],
    "CONTENT_DIR": str(PROJECT_ROOT),  # holds courses/, quizzes/ and programs/
    "INDEX_DIR": None,  # default: <instance>/search-index
    # How often (per process) a search checks that the index matches the published content, and rebuilds it
    # when another server's import changed it (lms/web/catalog.fresh_index); 0 = on every search.
    "SEARCH_REFRESH_SECONDS": 10,
    # /metrics (Prometheus text format) answers only a scrape that sends "Authorization: Bearer <this>";
    # empty: off (404, no per-request work). docs/operations.md, "Metrics".
    "METRICS_TOKEN": "",
    "SECRET_KEY": None,  # default: generated once into <instance>/secret_key
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ["vi", "en"],
    # A form's token lasts a working day: long enough for a slow learner's quiz or a long lesson read on a
    # phone, short enough that a token copied from an old page stops working (docs/operations.md).
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": None,  # default: on when PUBLIC_URL is https
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Logins are kept on the server (lms/services/sessions.py, docs/security.md) and expire there, too:
    # "keep me logged in" after REMEMBER_COOKIE_DURATION, a plain login after LOGIN_SESSION_LIFETIME.
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "LOGIN_SESSION_LIFETIME": timedelta(days=1),
    # Rate limits (Flask-Limiter; "N per minute; M per hour" strings). Login: wrong attempts per login name
    # typed (known or not) and per client IP. Storage: "memory://" (each process counts alone) or "redis://…".
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT_ACCOUNT": "5 per minute; 30 per hour",
    "LOGIN_RATE_LIMIT_CLIENT": "30 per minute; 300 per hour",
    # Every login post from one client, right or wrong (each costs a password hash), and registrations.
    "LOGIN_RATE_LIMIT_CLIENT_ALL": "60 per minute; 600 per hour",
    "REGISTER_RATE_LIMIT": "20 per minute; 200 per hour",
    # A browser that logged in to an account before carries a signed device cookie: its wrong passwords for
    # that account count on their own, so a stranger's wrong guesses cannot lock the owner out (OWASP).
    "DEVICE_COOKIE_NAME": "hvs_device",
    "DEVICE_COOKIE_DURATION": timedelta(days=365),
    # Reverse proxies in front of the app that append to X-Forwarded-For / X-Forwarded-Proto (Werkzeug's
    # ProxyFix); 0 = none, the header is ignored (a visitor could forge it). docs/operations.md.
    "TRUSTED_PROXIES": 0,
    "REMEMBER_COOKIE_SECURE": None,  # default: on when PUBLIC_URL is https
    # Host names a request may name (the Host header); others get 400. Default: the host of PUBLIC_URL, and in
    # demo mode also localhost and 127.0.0.1.
    "TRUSTED_HOSTS": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Rendered lesson pages kept per process (lms/web/page_cache.py; ~10-20 KB each); 0 turns the cache off.
    "LESSON_PAGE_CACHE": 512,
    # The VNeID stub (lms/vneid_stub, docs/vneid-stub.md): an OpenID provider mounted at /vneid in demo mode.
    "VNEID_STUB_ENABLED": None,  # default: on in demo mode; production refuses to start with it on
    "VNEID_STUB_ISSUER": None,  # default: PUBLIC_URL/vneid (embedded), the request's host (standalone)
    "VNEID_STUB_CLIENTS": None,  # default: client "hocvuso-lms", secret derived from SECRET_KEY
    "VNEID_STUB_CODE_TTL": 60,  # seconds an authorization code stays valid
    # The platform's identity login, an OpenID Connect client of VNeID (lms/web/auth/identity_login.py,
    # lms/web/auth/oidc_client.py, docs/identity.md).
    "VNEID_DISCOVERY_URL": None,  # None: the embedded stub of this app at /vneid, called in-process
    "VNEID_CLIENT_ID": "hocvuso-lms",
    "VNEID_CLIENT_SECRET": None,  # default: derived from SECRET_KEY, like the stub's default client
    # HMAC key of `person_hash` (recognises a person without storing the ID number); default: generated once
    # into <instance>/identity_key. Every app server must share it, and it must never change.
    "IDENTITY_KEY": None,
    # Certificates (lms/services/certificates.py, docs/certificates.md).
    # The platform's public origin, e.g. "https://hocvuso.example.vn": every absolute URL (certificates, QR
    # codes, the VNeID redirect URI) is built from it, never from the request. Required in production.
    "PUBLIC_URL": None,  # demo mode default: DEMO_PUBLIC_URL
    "CERTIFICATE_ISSUER_NAME": "Học Vụ Số",
    "CERTIFICATE_MIN_LEVEL": 2,  # VNeID account level a learner needs for a certificate
    "CERTIFICATE_KEYS_DIR": None,  # default: <instance>/keys (private signing keys, mode 0600)
    "VERIFY_RATE_LIMIT": 30,  # public verification lookups per client IP per minute
    # "Does certificate N belong to ID X?" checks (/verify/holder), per hour; 0 = no limit
    "HOLDER_CHECK_LIMIT_PER_IP": 10,
    "HOLDER_CHECK_LIMIT_PER_CERTIFICATE": 5,
}
# Environment variables that may override a setting (LMS_<NAME>; LMS_MODE for LMS_MODE).
ENV_KEYS = ("LMS_MODE", "DATABASE_URL", "CONTENT_DIR", "INDEX_DIR", "SECRET_KEY", "SESSION_COOKIE_SECURE",
            "REMEMBER_COOKIE_SECURE", "PUBLIC_URL", "TRUSTED_HOSTS", "VNEID_STUB_ENABLED",
            "VNEID_DISCOVERY_URL", "VNEID_CLIENT_ID", "VNEID_CLIENT_SECRET", "IDENTITY_KEY",
            "RATELIMIT_STORAGE_URI", "TRUSTED_PROXIES", "SQLITE_SYNCHRONOUS", "METRICS_TOKEN")
BOOLEAN_KEYS = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "VNEID_STUB_ENABLED")
MODES = ("production", "demo")
DEMO_PUBLIC_URL = "http://127.0.0.1:5000"  # where `.ci/serve` listens
DEMO_HOSTS = ("localhost", "127.0.0.1")
# Secrets that appear in this repository (tests, examples): never acceptable in production.
DEMO_SECRETS = frozenset({"test-secret", "test-identity-key", "dev", "development", "secret", "changeme",
                          "change-me", "s"})
MIN_SECRET_LENGTH = 32


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The effective configuration; unknown keys in `instance/config.py` are refused at start."""
    config = dict(DEFAULTS)
    file = instance_path / "config.py"
    if file.is_file():
        namespace: dict[str, Any] = {}
        # bandit B102: the operator's own settings file, run like Flask's from_pyfile; no visitor input
        exec(compile(file.read_text(encoding="utf-8"), str(file), "exec"), namespace)  # nosec B102
        values = {k: v for k, v in namespace.items() if k.isupper()}
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise RuntimeError(f"{file}: unknown setting(s): {', '.join(sorted(unknown))}")
        config.update(values)
    for key in ENV_KEYS:
        name = key if key.startswith("LMS_") else f"LMS_{key}"
        if name in os.environ:
            value: Any = os.environ[name]
            if key in BOOLEAN_KEYS:
                value = value.strip().lower() in ("1", "true", "yes", "on")
            elif key == "TRUSTED_PROXIES":
                value = int(value) if value.strip().isdigit() else value
            elif key == "TRUSTED_HOSTS":
                value = [h.strip() for h in value.split(",") if h.strip()]
            config[key] = value
    config.update(overrides or {})
    explicit_secret = config["SECRET_KEY"]
    demo = _mode(config) == "demo"
    config["SQLITE_SYNCHRONOUS"] = _sqlite_synchronous(config.get("SQLITE_SYNCHRONOUS"))
    if config["VNEID_STUB_ENABLED"] is None:
        config["VNEID_STUB_ENABLED"] = demo
    if not config["PUBLIC_URL"] and demo:
        config["PUBLIC_URL"] = DEMO_PUBLIC_URL
    if config["PUBLIC_URL"]:
        config["PUBLIC_URL"] = str(config["PUBLIC_URL"]).rstrip("/")
    https = str(config["PUBLIC_URL"] or "").lower().startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config[key] is None:
            config[key] = https
    if config["TRUSTED_HOSTS"] is None:
        public_host = urlsplit(str(config["PUBLIC_URL"] or "")).hostname
        config["TRUSTED_HOSTS"] = ([public_host] if public_host else []) + (
            [h for h in DEMO_HOSTS if h != public_host] if demo else [])
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
        # The same derivation as the stub's default client (lms.vneid_stub.clients.default_client_secret).
        config["VNEID_CLIENT_SECRET"] = _derived_client_secret(str(config["SECRET_KEY"]))
    if not demo:
        problems = production_problems(config, explicit_secret)
        if problems:
            raise RuntimeError("Học Vụ Số refuses to start in production mode (LMS_MODE=production):\n"
                               + "\n".join(f"  - {p}" for p in problems)
                               + "\nFor development or a demonstration set LMS_MODE=demo "
                               "(docs/operations.md).")
    return config


def _mode(config: dict[str, Any]) -> str:
    mode = str(config.get("LMS_MODE") or "production").strip().lower()
    if mode not in MODES:
        raise RuntimeError(f"LMS_MODE must be one of {', '.join(MODES)}, not {config.get('LMS_MODE')!r}")
    config["LMS_MODE"] = mode
    return mode


def _sqlite_synchronous(value: Any) -> str:
    """NORMAL or FULL, in capitals; anything else refuses to start, in every mode (OFF could corrupt the
    database on a power loss, so it is not offered)."""
    chosen = str(value or "").strip().upper()
    if chosen not in SQLITE_SYNCHRONOUS:
        why = (": OFF lets a power loss or a crash of the machine corrupt the database" if chosen == "OFF"
               else "")
        raise RuntimeError(f"LMS_SQLITE_SYNCHRONOUS must be {' or '.join(SQLITE_SYNCHRONOUS)}, not {value!r}{why} "
                           "(docs/operations.md, SQLite durability)")
    return chosen


def production_problems(config: dict[str, Any], explicit_secret: Any) -> list[str]:
    """What makes `config` unsafe for a real platform; each names the setting to change."""
    problems: list[str] = []
    public = urlsplit(str(config.get("PUBLIC_URL") or ""))
    if public.scheme not in ("http", "https") or not public.hostname:
        problems.append("LMS_PUBLIC_URL must be set to the platform's public address, e.g. "
                        "https://hocvuso.example.vn (every certificate and link is built from it)")
    if config.get("VNEID_STUB_ENABLED"):
        problems.append("VNEID_STUB_ENABLED is on: the VNeID stub is a simulation with fictional citizens "
                        "and public passcodes; configure the real provider with LMS_VNEID_DISCOVERY_URL")
    discovery = config.get("VNEID_DISCOVERY_URL")
    if discovery:
        found = urlsplit(str(discovery))
        if found.hostname == public.hostname and found.path.startswith("/vneid/"):
            problems.append("LMS_VNEID_DISCOVERY_URL points at the embedded VNeID stub of this platform")
        if config.get("VNEID_CLIENT_SECRET") == _derived_client_secret(str(config["SECRET_KEY"])):
            problems.append("LMS_VNEID_CLIENT_SECRET must be the secret the VNeID provider gave this "
                            "platform, not the demo default derived from the secret key")
    chosen = str(explicit_secret or "")
    if chosen and (chosen in DEMO_SECRETS or len(chosen) < MIN_SECRET_LENGTH):
        problems.append(f"LMS_SECRET_KEY is a demo or short secret: use at least {MIN_SECRET_LENGTH} random "
                        "characters, or leave it unset to generate one into the instance folder")
    identity_key = str(config.get("IDENTITY_KEY") or "")
    if identity_key in DEMO_SECRETS or len(identity_key) < MIN_SECRET_LENGTH:
        problems.append(f"LMS_IDENTITY_KEY is a demo or short secret: use at least {MIN_SECRET_LENGTH} random "
                        "characters, or leave it unset to generate one into the instance folder")
    if not isinstance(config.get("TRUSTED_PROXIES"), int) or config["TRUSTED_PROXIES"] < 0:
        problems.append("LMS_TRUSTED_PROXIES must be a whole number of proxies (0 when none)")
    return problems


def _derived_client_secret(secret_key: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), b"vneid-client-secret", hashlib.sha256).hexdigest()


def _instance_secret(path: Path) -> str:
    """A random key made once per instance, so sessions survive restarts and are shared by workers."""
    return create_once(path, lambda: secrets.token_urlsafe(48).encode("ascii")).decode("ascii").strip()
