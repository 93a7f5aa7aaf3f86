"""The platform's identity login (routes of the `auth` blueprint; the OpenID Connect client itself is
oidc_client.py). Verify with VNeID (from the profile), log in with VNeID (from the login page) and reset a
forgotten password by verifying again: start the flow, take the callback, and make the account a person's
first time through.

The raw personal ID number exists only in memory inside `_verified_record`: it is turned into an
IdentityRecord (keyed hash and masked form) at once, and is never stored, logged, flashed or put in the
session. Between the callback and the next form the verified record stays on the server
(lms.services.sessions.put_pending), the session holding only a random token: the session cookie is signed,
not encrypted. Every refusal changes nothing and says why in plain words.
"""
from __future__ import annotations

import hmac
import logging
import time
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ...db import write_intent
from ...domain.verified_identity import TokenRejected, identity_from_claims
from ...extensions import db

from ...services import identity as identities
from ...services import certificates, sessions, units
from ...services.identity import IdentityRecord, IdentityRefused
from ...services.learning import Refused
from ..certificates import certificate_settings
from ..helpers import now
from . import oidc_client
from .forms import SetPasswordForm, VneidAccountForm
from .views import _next_url, bp, fresh_login, place_step, step_errors

log = logging.getLogger(__name__)
FLOW = "vneid_flow"  # session: state, nonce, PKCE verifier, purpose, user, start time, next URL
NEW_ACCOUNT = "vneid_new_account"  # session: the token of the server-side record awaiting the account form
RESET = "vneid_reset"  # session: the token of the server-side permission to set a new password
MAX_AGE = 600  # seconds a started flow, or a verified identity awaiting the account form, stays usable

REFUSALS: dict[str, tuple[int, Any]] = {
    "state": (400, _l("This answer from VNeID does not belong to a verification you started here, or it was "
                      "already used. Nothing was changed. Please start again.")),
    "provider": (400, _l("VNeID did not confirm your identity, or the request expired. Nothing was changed. "
                         "Please try again.")),
    "token": (400, _l("VNeID did not confirm your identity, or the request expired. Nothing was changed. "
                      "Please try again.")),
    "discovery": (503, _l("The VNeID service cannot be reached right now. Nothing was changed. Please try "
                          "again later.")),
    "signature": (400, _l("The identity data could not be verified: its signature is not valid. Nothing was "
                          "changed.")),
    "issuer": (400, _l("The identity data could not be verified: it was not issued by VNeID. Nothing was "
                       "changed.")),
    "audience": (400, _l("The identity data could not be verified: it was issued for another application. "
                         "Nothing was changed.")),
    "expired": (400, _l("The identity data has expired. Nothing was changed. Please start again.")),
    "nonce": (400, _l("The identity data does not belong to this verification (it may be a replay). Nothing "
                      "was changed. Please start again.")),
    "claims": (400, _l("The identity data from VNeID is incomplete. Nothing was changed.")),
    "id_number": (400, _l("The personal ID number from VNeID does not match the birth date and sex it came "
                          "with, so it cannot be accepted. Nothing was changed.")),
    "session_ended": (400, _l("You are no longer logged in to the account that started the verification. "
                              "Nothing was changed. Please log in and start again.")),
    "other_person": (409, _l("This account is already verified as another person. Nothing was changed.")),
    "inactive": (403, _l("The account of this person is disabled. Please contact the administrators.")),
    "no_account": (404, _l("No account is verified as this person, so there is no password to reset. You can "
                           "log in with VNeID to create one.")),
}


def _refused(reason: str, **context: Any) -> tuple[str, int]:
    """The refusal page (nothing was changed); logged with its reason code only."""
    log.warning("VNeID verification refused: %s", reason)
    status, message = REFUSALS.get(reason, REFUSALS["provider"])
    return render_template("auth/vneid_refused.html", message=message, **context), status


def _person_taken(owner: Any) -> tuple[str, int]:
    log.warning("VNeID verification refused: person_taken")
    return render_template("auth/vneid_refused.html", message=None, taken=True,
                           contact=identities.masked_contact(owner) if owner is not None else None), 409


def _start(purpose: str, back: str) -> Response:
    """Send the browser to VNeID with a fresh state, nonce and PKCE verifier remembered in the session."""
    try:
        url, flow = oidc_client.begin()
    except oidc_client.ProviderError:
        log.warning("VNeID unavailable: discovery")
        flash(str(REFUSALS["discovery"][1]), "error")
        return redirect(back)
    session[FLOW] = {"state": flow.state, "nonce": flow.nonce, "verifier": flow.verifier, "purpose": purpose,
                     "user": current_user.id if current_user.is_authenticated else None,
                     "started": int(time.time()), "next": _next_url() if purpose == "login" else None}
    return redirect(url)


# The start links are GETs, not forms: browsers apply a page's CSP form-action to the redirect after a form
# submission, which would block an external provider's origin. Starting a flow only changes this browser's
# session, and the flow completes only with the person's own login and consent at VNeID.
@bp.get("/auth/vneid/verify")
@login_required
def vneid_verify() -> Response:
    """Start verifying the logged-in account with VNeID."""
    if not oidc_client.available():
        abort(404)
    return _start("verify", url_for("auth.profile"))


@bp.get("/auth/vneid/login")
def vneid_login() -> Response:
    """Start logging in with VNeID."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.my_learning"))
    if not oidc_client.available():
        abort(404)
    return _start("login", url_for("auth.login"))


@bp.get("/auth/forgot-password")
def forgot_password() -> str | Response:
    """Forgot the password: a verified account sets a new one after verifying again with VNeID."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.profile"))
    return render_template("auth/forgot_password.html", vneid=oidc_client.available())


@bp.get("/auth/vneid/reset")
def vneid_reset() -> Response:
    """Start verifying with VNeID to set a new password."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.profile"))
    if not oidc_client.available():
        abort(404)
    return _start("reset", url_for("auth.forgot_password"))


def _no_store(body: str, status: int = 200) -> Response:
    """Pages showing a verified identity, or a password form after verification: never cached."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _verified_record(code: str, saved: dict[str, Any]) -> IdentityRecord:
    """Exchange the code, verify the ID token and the ID number, and keep only the storable record."""
    flow = oidc_client.Flow(state=saved["state"], nonce=saved["nonce"], verifier=saved["verifier"])
    identity = identity_from_claims(oidc_client.finish(code, flow))
    return IdentityRecord.of(identity, str(current_app.config["IDENTITY_KEY"]).encode("utf-8"))


@bp.get("/auth/vneid/callback")
def vneid_callback() -> Response | tuple[str, int]:
    """Where VNeID sends the browser back: check state, then the code and ID token, then act."""
    saved = session.pop(FLOW, None)  # one use only: a replayed callback finds no flow
    state = request.args.get("state", "")
    if not isinstance(saved, dict) or not state or time.time() - int(saved.get("started", 0)) > MAX_AGE \
            or not hmac.compare_digest(state.encode(), str(saved.get("state", "")).encode()):
        return _refused("state")
    back = {"verify": url_for("auth.profile"), "reset": url_for("auth.forgot_password")}.get(
        saved["purpose"], url_for("auth.login"))
    if request.args.get("error") == "access_denied":
        log.info("VNeID consent denied")
        flash(_("You declined to share your information from VNeID. Nothing was changed."), "info")
        return redirect(back)
    code = request.args.get("code")
    if request.args.get("error") or not code:
        return _refused("provider", back=back)
    try:
        record = _verified_record(code, saved)
    except oidc_client.ProviderError as error:
        return _refused(error.reason, back=back)
    except TokenRejected as rejected:
        return _refused(rejected.reason, back=back)
    write_intent.set(True)  # from here on this GET writes: take the write lock when the transaction begins
    if saved["purpose"] == "verify":
        return _verify(record, saved)
    if saved["purpose"] == "reset":
        return _reset(record)
    return _log_in(record, str(saved.get("next") or url_for("learner.my_learning")))


def _verify(record: IdentityRecord, saved: dict[str, Any]) -> Response | tuple[str, int]:
    if not current_user.is_authenticated or current_user.id != saved.get("user"):
        return _refused("session_ended", back=url_for("auth.login"))
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    had = {c.id for c in certificates.for_user(db.session, user.id).values()}
    try:
        identities.link(db.session, user, record, now())
    except IdentityRefused as refused:
        if refused.reason == "person_taken":
            return _person_taken(refused.owner)
        return _refused(refused.reason, back=url_for("auth.profile"))
    issued = [c for c in certificates.issue_pending(db.session, user, now(), certificate_settings())
              if c.id not in had]
    db.session.commit()
    log.info("VNeID verification of user %s at level %s", user.id, record.level)
    flash(_("Your identity is verified with VNeID (level %(level)s).", level=record.level), "success")
    if issued:
        flash(ngettext("%(num)d certificate was issued for a course you completed.",
                       "%(num)d certificates were issued for courses you completed.", len(issued)), "success")
    return redirect(url_for("auth.profile"))


def _log_in(record: IdentityRecord, next_url: str) -> Response | tuple[str, int]:
    user = identities.owner(db.session, record.person_hash)
    if user is None:
        session[NEW_ACCOUNT] = sessions.put_pending(db.session, "new_account", now(), timedelta(seconds=MAX_AGE),
                                                    record=record.to_json(), next_url=next_url)
        db.session.commit()
        return redirect(url_for("auth.vneid_new_account"))
    if not user.active:
        return _refused("inactive", back=url_for("auth.login"))
    identities.link(db.session, user, record, now())  # the same person: refresh level, name and residence
    certificates.issue_pending(db.session, user, now(), certificate_settings())
    db.session.commit()
    fresh_login(user)
    log.info("VNeID login of user %s", user.id)
    flash(_("Welcome back, %(name)s.", name=user.full_name), "success")
    return redirect(next_url)


@bp.route("/auth/vneid/new-account", methods=["GET", "POST"])
def vneid_new_account() -> str | Response | tuple[str, int]:
    """First "Log in with VNeID" of a person with no account: a few questions, then the account."""
    if current_user.is_authenticated:
        return redirect(url_for("learner.my_learning"))
    pending = sessions.pending(db.session, session.get(NEW_ACCOUNT), "new_account", now())
    if pending is None:
        session.pop(NEW_ACCOUNT, None)
        return _refused("state", back=url_for("auth.login"))
    record = IdentityRecord.from_json(sessions.pending_record(pending))
    province, commune = record.place()
    form = VneidAccountForm()
    step = None
    if province is not None:
        del form.province, form.commune
    else:
        step = place_step(form)
    if form.validate_on_submit():
        try:
            user = identities.create_account(
                db.session, record, target_group=form.target_group.data or 0,
                province_code=province or form.province.data, commune_code=commune if province else
                (form.commune.data or None), email=form.email.data or None, phone=form.phone.data or None,
                locale=str(get_locale()), now=now())
        except IdentityRefused as refused:
            session.pop(NEW_ACCOUNT, None)
            sessions.drop_pending(db.session, pending)
            db.session.commit()
            return _person_taken(refused.owner)
        except Refused as refused:
            field = form.email if refused.reason == "email_taken" else form.phone
            taken = _("An account with this contact already exists. Log in instead.")
            field.errors = [*field.errors, taken]  # type: ignore[list-item]
        else:
            next_url = str(pending.next_url or url_for("learner.my_learning"))
            sessions.drop_pending(db.session, pending)
            session.pop(NEW_ACCOUNT, None)
            db.session.commit()
            fresh_login(user)
            log.info("VNeID account %s created", user.id)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(next_url)
    return _no_store(render_template(
        "auth/vneid_new_account.html", form=form, record=record, province=province, commune=commune,
        residence=units.place_name(db.session, province, commune) if province else None,
        step=step_errors(step, form) if step else None, places=getattr(form, "places", None), keep={}))


def _reset(record: IdentityRecord) -> Response | tuple[str, int]:
    """Verified again for a forgotten password: the account of this person may set a new one (for a while,
    once)."""
    user = identities.owner(db.session, record.person_hash)
    if user is None:
        return _refused("no_account", back=url_for("auth.login"))
    if not user.active:
        return _refused("inactive", back=url_for("auth.login"))
    session[RESET] = sessions.put_pending(db.session, "reset", now(), timedelta(seconds=MAX_AGE), user_id=user.id)
    db.session.commit()
    log.info("VNeID password reset verified for user %s", user.id)
    return redirect(url_for("auth.reset_password"))


@bp.route("/auth/reset-password", methods=["GET", "POST"])
def reset_password() -> str | Response | tuple[str, int]:
    """Set a new password after verifying again with VNeID; every login of the account ends."""
    pending = sessions.pending(db.session, session.get(RESET), "reset", now())
    user = sessions.pending_user(db.session, pending)
    if pending is None or user is None or not user.active:
        session.pop(RESET, None)
        return _refused("state", back=url_for("auth.forgot_password"))
    form = SetPasswordForm(personal=(user.full_name, user.email, user.phone))
    if form.validate_on_submit():
        identities.set_password(user, form.password.data or "")
        sessions.end_all(db.session, user)
        sessions.drop_pending(db.session, pending)
        db.session.commit()
        session.pop(RESET, None)
        log.info("password reset through VNeID for user %s", user.id)
        flash(_("Your new password is set, and you were signed out everywhere. Please log in with it."),
              "success")
        return redirect(url_for("auth.login"))
    return _no_store(render_template("auth/reset_password.html", form=form, user=user))
