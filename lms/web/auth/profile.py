"""The learner's profile: account details, the VNeID verification status (masked ID number, level, verified
name, birth date, sex and residence) with the button that starts a verification, and a first password for
accounts made through VNeID."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ...domain.framework import provinces
from ...extensions import db
from ...services import identity as identities
from . import vneid_client
from .forms import SetPasswordForm
from .views import bp


def _place(province_code: str | None, commune_code: str | None) -> str:
    """'Commune, Province' as far as lms/data/areas.yaml knows them."""
    province = provinces().get(province_code or "")
    if province is None:
        return province_code or ""
    commune = next((c.name for c in province.communes if c.code == commune_code), None)
    return f"{commune}, {province.name}" if commune else province.name


def _page(form: SetPasswordForm) -> str:
    user = current_user
    return render_template(
        "auth/profile.html", user=user, place=_place(user.province_code, user.commune_code), form=form,
        has_password=identities.has_password(user), vneid=vneid_client.available(),
        min_level=int(current_app.config.get("CERTIFICATE_MIN_LEVEL", 2)))


@bp.get("/profile")
@login_required
def profile() -> str:
    """The account and its verified identity."""
    return _page(SetPasswordForm())


@bp.post("/profile/password")
@login_required
def set_password() -> str | Response:
    """Set a first password on an account made through VNeID (changing a password is not done here)."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if identities.has_password(user) or not (user.email or user.phone):
        return redirect(url_for("auth.profile"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        identities.set_password(user, form.password.data or "")
        db.session.commit()
        flash(_("Your password is set."), "success")
        return redirect(url_for("auth.profile"))
    return _page(form)
