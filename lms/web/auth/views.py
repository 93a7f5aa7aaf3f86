"""Register, log in and log out."""
from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ...extensions import db, limiter
from ...models import User
from ...services import accounts, sessions, units
from ...services.learning import Refused
from ..helpers import ActionForm, now, safe_next
from . import oidc_client
from .forms import LoginForm, PlaceMixin, ProvinceStepForm, RegisterForm

bp = Blueprint("auth", __name__)


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt="login-device")


def _known_device(login: str) -> str | None:
    """The id of this browser's device cookie when it was given at a login to `login` (normalised), else None."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw or not login:
        return None
    try:
        # Signed with its issue time: a copied cookie stops counting once its lifetime is over.
        data = _device_serializer().loads(
            raw, max_age=int(current_app.config["DEVICE_COOKIE_DURATION"].total_seconds()))
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("login") != login or not isinstance(data.get("id"), str):
        return None
    return data["id"]


def _remember_device(response: Response, login: str) -> Response:
    """Give this browser a device cookie for `login` (signed, random id; a year), after a right password."""
    value = _device_serializer().dumps({"login": login, "id": secrets.token_urlsafe(16)})
    response.set_cookie(current_app.config["DEVICE_COOKIE_NAME"], value,
                        max_age=int(current_app.config["DEVICE_COOKIE_DURATION"].total_seconds()),
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), httponly=True,
                        samesite="Lax")
    return response


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


def _typed_login() -> str:
    return accounts.normalize_login(str(request.form.get("login", "")))[:254]


def _login_key() -> str:
    """Whose wrong passwords a login attempt counts against: the login name as typed, normalised (known or
    not); from a browser that logged in to that account before, that device alone, so a stranger's guesses
    elsewhere cannot lock the owner out (docs/security.md)."""
    login = _typed_login()
    device = _known_device(login)
    return f"device:{device}" if device else f"login:{login}"


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _next_url() -> str:
    return safe_next(request.args.get("next"), url_for("learner.my_learning"))


def place_step(form: PlaceMixin, default: str | None = None) -> ProvinceStepForm:
    """Give `form` the place choices: the province posted with it, or the one chosen in the GET step before
    (`?province=`), or `default`; and return the step's own form (the province select) for the page. The
    province's error shows on that select, where the learner fixes it."""
    chosen = form.province.data if request.method == "POST" else request.args.get("province", default)
    places = units.places(db.session, chosen, now().date())
    form.set_places(places)
    if request.method != "POST":
        form.province.data = places.province or ""
    step = ProvinceStepForm(formdata=None)
    step.set_places(places)
    if request.method == "POST":
        step.province.data = chosen or ""
    return step


def step_errors(step: ProvinceStepForm, form: PlaceMixin) -> ProvinceStepForm:
    step.province.errors = list(getattr(form, "province").errors)  # type: ignore[assignment]
    return step


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register() -> str | Response:
    """Create a learner account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.my_learning"))
    form = RegisterForm()
    step = place_step(form)
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
            return _remember_device(redirect(_next_url()), accounts.normalize_login(user.email or user.phone or ""))
    return render_template("auth/register.html", form=form, step=step_errors(step, form), places=form.places,
                           keep={"next": request.args["next"]} if request.args.get("next") else {})


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_CLIENT_ALL"], methods=["POST"])
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
            return _remember_device(redirect(_next_url()), _typed_login())
    return render_template("auth/login.html", form=form, vneid=oidc_client.available())


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out (a POST form with CSRF, so a link elsewhere cannot log you out)."""
    form = ActionForm()
    if form.validate_on_submit():
        end_login(_("You have logged out."))
    return redirect(url_for("core.index"))
