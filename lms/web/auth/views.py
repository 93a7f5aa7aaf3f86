"""Register, log in and log out."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ...extensions import db
from ...models import User
from ...services import accounts
from ...services.learning import Refused
from ..helpers import ActionForm, now, safe_next
from . import vneid_client
from .forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__)


def fresh_login(user: User, remember: bool = False) -> None:
    """Log `user` in on a fresh session (no fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)


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
    return render_template("auth/login.html", form=form, vneid=vneid_client.available())


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out (a POST form with CSRF, so a link elsewhere cannot log you out)."""
    form = ActionForm()
    if form.validate_on_submit():
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
    return redirect(url_for("core.index"))
