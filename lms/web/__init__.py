"""The web layer: blueprints per audience, error pages, locale selection and the request transaction."""
from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from ..extensions import babel, csrf, db, limiter, login_manager
from ..models import User


# Browser features no page of ours uses: denied to the page and to any embedded frame (the YouTube player).
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
                      "bluetooth=(), magnetometer=(), gyroscope=(), accelerometer=(), browsing-topics=()")


def select_locale() -> str:
    """The language the visitor chose (session), else their account's, else Vietnamese."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to what a database integer holds: a larger number is a 404, not an overflow (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)  # the ids are INTEGER columns (32 bits on PostgreSQL)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    """Extensions, blueprints, error handlers, template helpers and CLI commands."""
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to continue.")

    limiter.init_app(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # the visitor's address (rate limits, audit) from the proxies' X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    @login_manager.user_loader
    def _load_user(login_id: str) -> User | None:
        """The session and the remember cookie name a server-side login ("<user id>:<token>"): one that was
        logged out, signed out everywhere or has expired loads nobody (docs/security.md)."""
        from ..services import sessions
        from .helpers import now

        return sessions.resolve(db.session, login_id, now())

    from . import auth, catalog, certificates, core, errors, learner, officials, quarterly, quiz
    from . import dashboard  # noqa: F401  (the unit page, its exports and the follow-up list, on officials.bp)
    for module in (core, auth, catalog, quiz, learner, certificates, officials, quarterly):
        app.register_blueprint(module.bp)
    errors.register(app)
    from . import metrics
    metrics.register(app)

    from .helpers import template_globals
    app.context_processor(template_globals)
    from .table_html import data_table
    app.jinja_env.globals["render_data_table"] = data_table

    hsts = str(app.config.get("PUBLIC_URL") or "").lower().startswith("https://")

    csp = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
           "frame-src https://www.youtube-nocookie.com https://www.youtube.com; form-action 'self'; "
           "base-uri 'none'; frame-ancestors 'none'")
    fixed = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
             ("X-Frame-Options", "DENY"), ("Cross-Origin-Opener-Policy", "same-origin"),
             ("Permissions-Policy", PERMISSIONS_POLICY)]
    if hsts:
        fixed.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    fixed.append(("Content-Security-Policy", csp))

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        # The security headers a view did not set itself (one pass over the response's headers).
        present = {name.lower() for name in response.headers.keys()}
        response.headers.extend([(name, value) for name, value in fixed if name.lower() not in present])
        if request.endpoint != "core.media" and "cache-control" not in present and \
                current_user and current_user.is_authenticated:
            response.headers["Cache-Control"] = "private, no-store"
        response.headers["Content-Language"] = str(get_locale())
        return response
