"""Register, log in and log out."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ...extensions import db, limiter
from ...models import User
from ...services import accounts, sessions
from ...services.learning import Refused
from ..helpers import ActionForm, now, safe_next
from . import oidc_client
from .forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__)


def fresh_login(user: User, remember: bool = False) -> None:
    """Log `user` in on a fresh session (no fixation), keeping only the chosen language. The login is a new
    server-side row (lms.services.sessions) that expires with the remember cookie, or after
    LOGIN_SESSION_LIFETIME; this commits it."""
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION" if remember else "LOGIN_SESSION_LIFETIME"]
    sessions.start(db.session, user, now(), lifetime, remember=remember)
    db.session.commit()
    _keep_only_language()
    login_user(user, remember=remember)


def _keep_only_language() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def end_login(message: str) -> None:
    """Log this browser out: its session and its remember cookie (the server-side login is already gone or
    is deleted here)."""
    sessions.end(db.session, getattr(current_user, "login_token", None))
    db.session.commit()
    _keep_only_language()
    logout_user()  # after the clear: it marks the remember cookie for deletion in the session
    flash(message, "info")


def _login_key() -> str:
    """The account a login attempt is for: the login name as typed, normalised (known or not)."""
    return "login:" + accounts.normalize_login(str(request.form.get("login", "")))[:254]


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _next_url() -> str:
    return safe_next(request.args.get("next"), url_for("learner.my_learning"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    """Create a learner account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.my_learning"))
    form = RegisterForm()
    if form.validate_on_submit():
        data = accounts.Registration(
            full_name=form.full_name.data or "", email=form.email.data or None, phone=form.phone.data or None,
            password=form.password.data or "", target_group=form.target_group.data or 0,
            province_code=form.province.data or "", commune_code=form.commune.data or None,
            locale=str(get_locale()))
        try:
            user = accounts.register(db.session, data, now())
        except Refused as refused:
            field = form.email if refused.reason == "email_taken" else form.phone
            field.errors = [*field.errors, _("An account with this contact already exists. Log in instead.")]  # type: ignore[list-item]
        else:
            db.session.commit()
            fresh_login(user)  # a new session: nothing planted before registering survives
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(_next_url())
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_CLIENT"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], key_func=_login_key, methods=["POST"],
               deduct_when=_failed)
def login() -> str | Response:
    """Log in with e-mail or phone and password."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.my_learning"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.login.data or "", form.password.data or "")
        if user is None:
            form.password.errors = [_("The e-mail/phone or the password is not right.")]  # type: ignore[assignment]
        else:
            fresh_login(user, remember=bool(form.remember.data))
            return redirect(_next_url())
    return render_template("auth/login.html", form=form, vneid=oidc_client.available())


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out (a POST form with CSRF, so a link elsewhere cannot log you out)."""
    form = ActionForm()
    if form.validate_on_submit():
        end_login(_("You have logged out."))
    return redirect(url_for("core.index"))
