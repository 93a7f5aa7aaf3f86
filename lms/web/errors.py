"""Friendly error pages (403, 404, 405, 413, 429, 500, 503 when the database is unreachable, and a refused CSRF
token), in the visitor's language."""
from __future__ import annotations

import time

from flask import Flask, Response, render_template, request
from flask_babel import get_locale
from flask_limiter import RateLimitExceeded
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError


def register(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def _untrusted_host(_err: SecurityError) -> tuple[str, int]:
        # A Host header not in TRUSTED_HOSTS: no URL can be built for that host, so the page links nowhere.
        title, message = _("This address is not served here"), _("Please check the address and try again.")
        return (f'<!doctype html><html lang="{escape(str(get_locale()))}"><head><meta charset="utf-8">'
                f'<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1><p>{escape(message)}</p>'
                '</body></html>'), 400

    @app.errorhandler(CSRFError)
    def _csrf(_err: CSRFError) -> tuple[str, int]:
        return render_template("errors/error.html", code=400, title=_("The form has expired"),
                               message=_("Please go back, reload the page and try again. Nothing was saved.")), 400

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_err: RateLimitExceeded) -> Response:
        from ..extensions import limiter

        from . import metrics

        metrics.refused()
        breached = limiter.current_limit
        wait = max(1, int(breached.reset_at - time.time())) if breached is not None else 60
        if request.blueprint == "certificates":
            title = _("Too many checks in a short time")
            message = _("To protect the certificates, each visitor may check a limited number per minute. "
                        "Please wait a minute and try again.")
        else:
            title = _("Too many login attempts")
            message = _("To protect the accounts, only a few wrong passwords are allowed in a short time. "
                        "Please wait a little and try again.")
        page = render_template("errors/error.html", code=429, title=title, message=message)
        return Response(page, status=429, headers={"Retry-After": str(wait)}, mimetype="text/html")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> tuple[str, int]:
        titles = {
            403: _("You do not have access to this page"),
            404: _("Page not found"),
            405: _("This action is not allowed here"),
            413: _("What you sent is too large"),
        }
        messages = {
            403: _("If you think this is a mistake, log in with the right account or ask your teacher."),
            404: _("The address may be wrong, or the page was moved. Try the course catalog or search."),
        }
        code = err.code or 500
        title = titles.get(code, _("Something went wrong"))
        return render_template("errors/error.html", code=code, title=title,
                               message=messages.get(code, _("Please go back and try again."))), code

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(err: Exception) -> Response:
        # The database cannot be reached (restarting, network, disk): a clear 503 the visitor can retry, not a
        # crash page; the pool reconnects on a later request (pool_pre_ping), so no restart of the app is needed.
        app.logger.error("database unavailable: %s", str(err).splitlines()[0] if str(err) else type(err).__name__)
        # Render as an anonymous visitor: the page's language and menu would otherwise load a logged-in
        # visitor's login from the database again, and that second failure became a 500 (bench/cluster.py).
        from flask import current_app, g

        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        page = render_template("errors/error.html", code=503, title=_("The service is briefly unavailable"),
                               message=_("We cannot reach the database right now. Please try again in a minute; "
                                         "if you had just sent a form, send it again: it was not saved."))
        return Response(page, status=503, headers={"Retry-After": "30"}, mimetype="text/html")

    @app.errorhandler(Exception)
    def _crash(err: Exception) -> tuple[str, int]:
        if app.testing and not app.config.get("FRIENDLY_ERRORS_IN_TESTS"):
            raise err  # let tests see the real traceback
        app.logger.exception("unhandled error", exc_info=err)
        return render_template("errors/error.html", code=500, title=_("Something went wrong on our side"),
                               message=_("Your work saved before this page is safe. Please try again in a moment.")), 500
