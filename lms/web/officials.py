"""The officials' area: an official's units and drill-down through the tree, the unit admin's page (grant and
revoke officials of the subtree) and the subtree's audit log. Every route takes the unit from the URL and goes
through `official_route`, which checks it against the user's scope on the server before the view runs; a unit
outside it is a 403 page, an unknown code a 404, and nothing is written (docs/reporting.md#officials-and-scope).
Later slices (dashboard, exports, the quarterly report) add their routes with the same decorator."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..services import officials
from ..services.officials import OFFICIAL, UNIT_ADMIN, OfficialRefused, Scope, ScopeRefused, UnknownUnit
from .forms import Form
from .helpers import ActionForm, audited, now

bp = Blueprint("officials", __name__, url_prefix="/officials")

KINDS = {"nation": _l("Nation"), "province": _l("Province"), "city": _l("Centrally run city"),
         "commune": _l("Commune"), "ward": _l("Ward"), "special-zone": _l("Special zone"),
         "village": _l("Village"), "residential-group": _l("Residential group")}
ROLE_NAMES = {OFFICIAL: _l("Official"), UNIT_ADMIN: _l("Unit administrator")}
ACTION_NAMES = {"view_officials": _l("Viewed the list of officials"), "view_audit": _l("Viewed the audit log"),
                "grant": _l("Granted a role"), "revoke": _l("Revoked a role"),
                "view_people": _l("Viewed personal data"), "export": _l("Exported data"),
                "close_quarter": _l("Closed a quarterly report")}


def refusal_message(reason: str) -> str:
    """The message for a refusal code of lms.services.officials, in the reader's language."""
    messages = {
        "outside_scope": _("This unit is outside the units you are responsible for. Your account can only see "
                           "and manage its own units and the units below them."),
        "above_scope": _("This unit is above your own unit. You can only see and manage your unit and the units "
                         "below it."),
        "unknown_unit": _("There is no administrative unit with this code."),
        "unknown_login": _("No account has this e-mail address or phone number."),
        "not_verified": _("This account has not verified its identity through VNeID (level 2). An official must "
                          "first verify on their profile page (“Verify with VNeID”)."),
        "account_locked": _("This account is locked."),
        "self": _("You cannot change your own roles. Please ask another administrator."),
        "already_granted": _("This account already has this role on this unit."),
        "unit_retired": _("This unit is no longer in force (it was merged into another). Choose the unit that "
                          "replaced it."),
        "no_such_grant": _("This role had already been revoked."),
        "unknown_role": _("Not a valid choice."),
    }
    return messages.get(reason, _("This action is not allowed here"))


@bp.errorhandler(ScopeRefused)
def _out_of_scope(error: ScopeRefused) -> tuple[str, int]:
    db.session.rollback()  # nothing the request did is kept, not even an audit row
    return render_template("officials/refused.html", title=_("This unit is outside your area"),
                           message=refusal_message(error.reason)), 403


@bp.errorhandler(UnknownUnit)
def _unknown_unit(_error: UnknownUnit) -> tuple[str, int]:
    db.session.rollback()
    return render_template("officials/refused.html", title=_("Unit not found"),
                           message=refusal_message("unknown_unit")), 404


def _client() -> str | None:
    return request.remote_addr


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 0 < int(raw) <= 1_000_000:
        abort(404)
    return int(raw)


def official_route(role: str = OFFICIAL) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The one scope check of the web layer: the view gets `unit` (from the URL's `code`, checked against the
    signed-in user's scope for `role`) and `scope` (to check any other unit a form or export names, with
    `scope.require(code)`). Anonymous visitors are sent to the login page; out of scope is the 403 page."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def run(code: str, **values: Any) -> Any:
            user_scope = officials.scope(db.session, current_user)
            unit = user_scope.require(code, role)
            return view(unit=unit, scope=user_scope, **values)
        return run
    return decorate


@bp.get("/")
@login_required
def index() -> Any:
    """The official's units: straight to the unit when there is one, else the list."""
    user_scope = officials.scope(db.session, current_user)
    if user_scope.empty:
        return render_template("officials/refused.html", title=_("You are not an official"),
                               message=_("Your account has no role for any administrative unit. An "
                                         "administrator of your unit can give you one.")), 403
    held = user_scope.all_units()
    if len(held) == 1:
        unit, roles = held[0]
        endpoint = "officials.unit" if OFFICIAL in roles else "officials.admin"
        return redirect(url_for(endpoint, code=unit.code))
    return render_template("officials/index.html", held=held, kinds=KINDS, role_names=ROLE_NAMES)


class GrantForm(Form):
    login = StringField(_l("E-mail or phone number of the account"), validators=[
        DataRequired(_l("Please type the e-mail address or phone number of the account.")), Length(max=254)])
    unit = StringField(_l("Unit code"), validators=[
        DataRequired(_l("Please type the code of the unit.")), Length(max=20)])
    role = SelectField(_l("Role"), choices=[SelectChoice(OFFICIAL, _l("Official")),
                                            SelectChoice(UNIT_ADMIN, _l("Unit administrator"))], default=OFFICIAL)


def _admin_page(unit: Any, form: GrantForm, status: int = 200, listing: Any = None) -> tuple[str, int]:
    return render_template("officials/admin.html", unit=unit, form=form, listing=listing, kinds=KINDS,
                           role_names=ROLE_NAMES, revoke_form=ActionForm()), status


@bp.get("/units/<code>/admin")
@audited
@official_route(UNIT_ADMIN)
def admin(unit: Any, scope: Scope) -> tuple[str, int]:
    """The unit admin's page: the officials of the subtree (audited: names and logins) and the grant form."""
    listing = officials.admin_page(db.session, scope, unit, _page_number(), now=now(), client=_client())
    db.session.commit()
    form = GrantForm(formdata=None, data={"unit": unit.code, "role": OFFICIAL})
    return _admin_page(unit, form, listing=listing)


@bp.post("/units/<code>/admin")
@official_route(UNIT_ADMIN)
def grant(unit: Any, scope: Scope) -> Response | tuple[str, int]:
    """Grant a role inside the subtree. Refused with the reason beside its field and nothing written: an
    unknown login (400), a unit outside the subtree or above it (403), an unverified account, oneself."""
    form = GrantForm()
    if not form.validate_on_submit():
        return _admin_page(unit, form, 400)
    try:
        target = officials.find_account(db.session, form.login.data)
        officials.grant(db.session, target, form.unit.data, form.role.data, now=now(), by=scope, within=unit,
                        client=_client())
    except ScopeRefused as error:
        db.session.rollback()
        form.unit.errors = [refusal_message(error.reason)]
        return _admin_page(unit, form, 403)
    except OfficialRefused as error:
        db.session.rollback()
        field = form.unit if error.reason in ("unknown_unit", "unit_retired") else form.login
        field.errors = [refusal_message(error.reason)]
        return _admin_page(unit, form, 404 if error.reason == "unknown_unit" else 400)
    db.session.commit()
    flash(_("%(name)s is now %(role)s of %(unit)s. Their logins ended: they log in again to use the role.",
            name=target.full_name, role=ROLE_NAMES[form.role.data], unit=form.unit.data), "success")
    return redirect(url_for("officials.admin", code=unit.code))


@bp.post("/units/<code>/admin/grants/<int:grant_id>/revoke")
@official_route(UNIT_ADMIN)
def revoke(unit: Any, scope: Scope, grant_id: int) -> Response:
    """Revoke one grant of the subtree (a grant of another unit's subtree, by its id: 403, nothing written)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    row = officials.grant_by_id(db.session, grant_id)
    try:
        officials.revoke(db.session, row, now=now(), by=scope, within=unit, client=_client())
    except ScopeRefused:
        raise
    except OfficialRefused as error:
        db.session.rollback()
        flash(refusal_message(error.reason), "error")
        return redirect(url_for("officials.admin", code=unit.code))  # type: ignore[return-value]
    db.session.commit()
    assert row is not None
    flash(_("The role of %(name)s was revoked; their logins ended.", name=row.user.full_name), "success")
    return redirect(url_for("officials.admin", code=unit.code))  # type: ignore[return-value]


@bp.get("/units/<code>/audit")
@audited
@official_route(UNIT_ADMIN)
def audit_log(unit: Any, scope: Scope) -> str:
    """The audit log of the subtree, newest first, 50 a page (reading it is audited too)."""
    found = officials.audit_page(db.session, scope, unit, _page_number(), now=now(), client=_client())
    db.session.commit()
    return render_template("officials/audit.html", unit=unit, log=found, action_names=ACTION_NAMES)
