"""The learner's profile: account details, the VNeID verification status (masked ID number, level, verified
name, birth date, sex and residence) with the button that starts a verification, a first password for
accounts made through VNeID, changing the password, and signing out on every device."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ...extensions import db, limiter
from ...services import accounts, units
from ...services import identity as identities
from ...services import sessions
from ...services.accounts import password_matches
from ..helpers import ActionForm, now
from . import oidc_client
from .forms import ChangePasswordForm, PlaceForm, SetPasswordForm
from .views import _failed, bp, end_login, place_step, step_errors


def personal(user: object) -> tuple[str | None, ...]:
    """What a password of this account must not be made of."""
    return (getattr(user, "full_name", None), getattr(user, "email", None), getattr(user, "phone", None))


def _page(form: SetPasswordForm | None = None, change: ChangePasswordForm | None = None,
          place: PlaceForm | None = None) -> str:
    """The profile; the place section lists a province's communes once one is chosen (`?province=`)."""
    user = current_user
    place = place or PlaceForm()
    step = step_errors(place_step(place), place)
    if not step.province.data:
        step.province.data = user.province_code
    return render_template(
        "auth/profile.html", user=user, place=units.place_name(db.session, user.province_code, user.commune_code),
        place_form=place, step=step, places=place.places, step_action=url_for("auth.profile") + "#place-heading",
        form=form or SetPasswordForm(personal=personal(user)),
        change=change or ChangePasswordForm(personal=personal(user)), end_form=ActionForm(),
        has_password=identities.has_password(user), vneid=oidc_client.available(),
        min_level=int(current_app.config.get("CERTIFICATE_MIN_LEVEL", 2)))


@bp.get("/profile")
@login_required
def profile() -> str:
    """The account and its verified identity."""
    return _page()


@bp.post("/profile/place")
@login_required
def change_place() -> str | Response:
    """Change the account's province and commune (a commune in force, of that province)."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    form = PlaceForm()
    place_step(form)
    if form.validate_on_submit():
        accounts.move(db.session, user, form.province.data or "", form.commune.data or "", now())
        db.session.commit()
        flash(_("Your place is saved."), "success")
        return redirect(url_for("auth.profile"))
    return _page(place=form)


@bp.post("/profile/password")
@login_required
def set_password() -> str | Response:
    """Set a first password on an account made through VNeID (changing a password is not done here)."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if identities.has_password(user) or not (user.email or user.phone):
        return redirect(url_for("auth.profile"))
    form = SetPasswordForm(personal=personal(user))
    if form.validate_on_submit():
        identities.set_password(user, form.password.data or "")
        db.session.commit()
        flash(_("Your password is set."), "success")
        return redirect(url_for("auth.profile"))
    return _page(form=form)


@bp.post("/profile/password/change")
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], key_func=lambda: f"change:{current_user.id}",
               deduct_when=_failed)
def change_password() -> str | Response:
    """Change the password (the current one is needed); every other login of the account ends."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if not identities.has_password(user):
        return redirect(url_for("auth.profile"))
    form = ChangePasswordForm(personal=personal(user))
    if form.validate_on_submit():
        if not password_matches(user, form.current.data or ""):
            form.current.errors = [_("This is not your current password.")]  # type: ignore[assignment]
        else:
            identities.set_password(user, form.password.data or "")
            sessions.end_all(db.session, user, keep=user.login_token)
            db.session.commit()
            flash(_("Your password is changed. You were signed out on your other devices."), "success")
            return redirect(url_for("auth.profile"))
    return _page(change=form)


@bp.post("/profile/sessions/end")
@login_required
def end_all_sessions() -> Response:
    """Sign out on every device, this one included (e.g. after using a shared computer)."""
    if ActionForm().validate_on_submit():
        sessions.end_all(db.session, current_user._get_current_object())  # type: ignore[attr-defined]
        end_login(_("You have been signed out on every device."))
    return redirect(url_for("core.index"))
