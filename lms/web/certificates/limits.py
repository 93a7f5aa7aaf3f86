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


def holder_check_limited(number: str) -> Response | None:
    """The one place that rate-limits holder checks: per client IP (HOLDER_CHECK_LIMIT_PER_IP) and per
    certificate number (HOLDER_CHECK_LIMIT_PER_CERTIFICATE), each per hour; 0 turns a limit off. Returns the
    429 page when either is exceeded (both counters count every attempt)."""
    from limits import parse

    strategy = limiter.limiter  # Flask-Limiter's storage (memory:// or Redis, RATELIMIT_STORAGE_URI)
    waits = []
    for key, setting in ((f"ip:{request.remote_addr or '?'}", "HOLDER_CHECK_LIMIT_PER_IP"),
                         (f"certificate:{number}", "HOLDER_CHECK_LIMIT_PER_CERTIFICATE")):
        limit = int(current_app.config.get(setting) or 0)
        if limit > 0:
            item = parse(f"{limit} per hour")
            if not strategy.hit(item, "holder-check", key):
                reset_at = strategy.get_window_stats(item, "holder-check", key).reset_time
                waits.append(max(1, int(reset_at - time.time()) + 1))
    wait = max(waits, default=0)
    return too_many(wait, _("To protect the holders of certificates, ID numbers can be checked only a "
                             "few times per hour. Please try again later.")) if wait else None


def client_digest() -> str:
    """The client's IP address as a keyed hash (under SECRET_KEY) for the audit log."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, f"holder-check-ip:{request.remote_addr or '?'}".encode(), hashlib.sha256).hexdigest()[:32]
