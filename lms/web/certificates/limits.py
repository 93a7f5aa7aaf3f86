"""Rate limits of the public certificate lookups and of holder checks (Flask-Limiter, lms.extensions.limiter).

Public lookups are limited per client IP: in process memory by default, so with N workers a client gets at most
N × VERIFY_RATE_LIMIT lookups a minute, which is enough to stop enumeration of numbers (35 random bits each);
RATELIMIT_STORAGE_URI="redis://…" shares one count between workers and servers (docs/certificates.md,
docs/security.md).
"""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse

from ...extensions import limiter


def _verify_limit() -> str:
    return f"{int(current_app.config.get('VERIFY_RATE_LIMIT') or 0)} per minute"


# Public lookups share one budget per client IP (VERIFY_RATE_LIMIT a minute; 0 = off); the 429 page and its
# Retry-After come from lms/web/errors.py. Decorate a new lookup view with `@verify_limit` too.
verify_limit = limiter.shared_limit(_verify_limit, scope="certificate-lookups",
                                    exempt_when=lambda: int(current_app.config.get("VERIFY_RATE_LIMIT") or 0) <= 0)


def too_many(wait: int, message: str) -> Response:
    page = render_template("errors/error.html", code=429, title=_("Too many checks in a short time"),
                           message=message)
    return Response(page, status=429, headers={"Retry-After": str(wait)}, mimetype="text/html")


def _holder_limits(setting: str) -> RateLimitItem | None:
    limit = int(current_app.config.get(setting) or 0)
    return parse(f"{limit} per hour") if limit > 0 else None


def holder_check_limited(number: str | None) -> Response | None:
    """The one place that rate-limits holder checks, before the check: every attempt counts per client IP
    (HOLDER_CHECK_LIMIT_PER_IP); a certificate number that parses is refused once its own count
    (HOLDER_CHECK_LIMIT_PER_CERTIFICATE, checks that did not match, see `count_against_certificate`) is used
    up. A client over its own limit spends nothing of the certificate's. 0 turns a limit off. Returns the 429
    page, else None. Counts live in Flask-Limiter's storage (memory:// or Redis)."""
    strategy = limiter.limiter
    wait = 0
    per_ip = _holder_limits("HOLDER_CHECK_LIMIT_PER_IP")
    ip_key = f"ip:{request.remote_addr or '?'}"
    if per_ip is not None and not strategy.hit(per_ip, "holder-check", ip_key):
        wait = int(strategy.get_window_stats(per_ip, "holder-check", ip_key).reset_time - time.time()) + 1
    per_cert = _holder_limits("HOLDER_CHECK_LIMIT_PER_CERTIFICATE")
    if not wait and number and per_cert is not None and not strategy.test(per_cert, "holder-check",
                                                                          f"certificate:{number}"):
        stats = strategy.get_window_stats(per_cert, "holder-check", f"certificate:{number}")
        wait = int(stats.reset_time - time.time()) + 1
    return too_many(max(1, wait), _("To protect the holders of certificates, ID numbers can be checked only "
                                     "a few times per hour. Please try again later.")) if wait else None


def count_against_certificate(number: str | None, result: str) -> None:
    """A check that did not match spends one of the certificate's checks; the holder's own do not."""
    per_cert = _holder_limits("HOLDER_CHECK_LIMIT_PER_CERTIFICATE")
    if number and per_cert is not None and result != "match":
        limiter.limiter.hit(per_cert, "holder-check", f"certificate:{number}")


def first_refusal_this_hour(client: str) -> bool:
    """True once per client and hour: refused checks are audit-logged once, not once per request."""
    return bool(limiter.limiter.hit(parse("1 per hour"), "holder-check-refused", client))


def client_digest() -> str:
    """The client's IP address as a keyed hash (under SECRET_KEY) for the audit log."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, f"holder-check-ip:{request.remote_addr or '?'}".encode(), hashlib.sha256).hexdigest()[:32]
