"""Certificates in three forms (page, PDF, Open Badges JSON), the public verification pages, the published
keys, and revocation by an administrator.

Public lookups are rate limited per client IP with Flask-Limiter (lms.extensions.limiter): in process memory
by default, so with N workers a client gets at most N × VERIFY_RATE_LIMIT lookups a minute, which is enough to
stop enumeration of numbers (35 random bits each); RATELIMIT_STORAGE_URI="redis://…" shares one count between
workers and servers (docs/certificates.md, docs/security.md).
"""
from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..domain import certificate_pdf
from ..domain import certificates as certs
from ..domain import idnumber, openbadges
from ..domain.framework import framework
from ..extensions import db, limiter
from ..models import Certificate
from ..services import certificates
from .helpers import external_url, now, public_url

bp = Blueprint("certificates", __name__)


def certificate_settings() -> certificates.Settings:
    """The issuing settings: every URL from PUBLIC_URL, never from the request's Host."""
    return certificates.Settings.from_config(current_app.config, public_url())


def _verify_limit() -> str:
    return f"{int(current_app.config.get('VERIFY_RATE_LIMIT') or 0)} per minute"


# Public lookups share one budget per client IP (VERIFY_RATE_LIMIT a minute; 0 = off); the 429 page and its
# Retry-After come from lms/web/errors.py. Decorate a new lookup view with `@verify_limit` too.
verify_limit = limiter.shared_limit(_verify_limit, scope="certificate-lookups",
                                    exempt_when=lambda: int(current_app.config.get("VERIFY_RATE_LIMIT") or 0) <= 0)


def _too_many(wait: int, message: str) -> Response:
    page = render_template("errors/error.html", code=429, title=_("Too many checks in a short time"),
                           message=message)
    return Response(page, status=429, headers={"Retry-After": str(wait)}, mimetype="text/html")


def _holder_check_limited(number: str) -> Response | None:
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
    return _too_many(wait, _("To protect the holders of certificates, ID numbers can be checked only a "
                             "few times per hour. Please try again later.")) if wait else None


def _client_digest() -> str:
    """The client's IP address as a keyed hash (under SECRET_KEY) for the audit log."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, f"holder-check-ip:{request.remote_addr or '?'}".encode(), hashlib.sha256).hexdigest()[:32]


def _certificate_or_404(number: str) -> Certificate:
    canonical = certs.parse_number(number)
    cert = certificates.find(db.session, canonical) if canonical else None
    if cert is None:
        abort(404)
    return cert


def _competencies(codes: list[str], locale: str = "vi") -> list[tuple[str, str]]:
    items = framework().competencies
    return [(code, items[code].name(locale) if code in items else code) for code in codes]


def _level_label(level: int, locale: str = "vi") -> str:
    try:
        return f"{framework().tier_of(level).name(locale)} – {level}"
    except StopIteration:
        return str(level)


def _local_date(cert: Certificate) -> str:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return cert.issued_at.astimezone(zone).strftime("%d/%m/%Y")


def _verify_url(number: str) -> str:
    return external_url("certificates.verify", number=number)


def _is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "admin")


def _id_number(_form: FlaskForm, field: StringField) -> None:
    field.data = "".join(str(field.data or "").split())
    if not idnumber.is_valid(field.data):
        raise ValidationError(_("Type the 12-digit ID number printed on the citizen identity card."))


class HolderCheckForm(FlaskForm):
    number = StringField(_l("Certificate number"), validators=[
        DataRequired(_l("Please type the certificate number.")), Length(max=60)])
    id_number = StringField(_l("ID number of the holder"), validators=[
        DataRequired(_l("Type the 12-digit ID number printed on the citizen identity card.")), _id_number])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[
        DataRequired(_l("Please give the reason for revoking.")), Length(max=1000)])


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    def my_certificates() -> dict[int, Certificate]:
        """The signed-in learner's certificates by course id (for "My learning")."""
        if not current_user.is_authenticated:
            return {}
        return certificates.for_user(db.session, current_user.id)
    return {"my_certificates": my_certificates}


@bp.get("/certificates/<number>")
@verify_limit
def show(number: str) -> str | Response:
    """The certificate page: holder, course, competencies, level, date, issuer, status, QR and downloads."""
    cert = _certificate_or_404(number)
    if number != cert.number:
        return redirect(url_for("certificates.show", number=cert.number))  # type: ignore[return-value]
    result = certificates.verify_number(db.session, cert.number)
    verify_url = _verify_url(cert.number)
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2)
    keys_url = external_url("certificates.keys")
    return render_template("certificates/show.html", cert=cert, result=result, qr=qr, verify_url=verify_url,
                           keys_url=keys_url, issued_on=_local_date(cert),
                           credential_ready=cert.credential_form >= openbadges.CREDENTIAL_FORM,
                           form=RevokeForm() if _is_admin() else None)


@bp.get("/certificates/<number>.pdf")
@verify_limit
def pdf(number: str) -> Response:
    """The printable A4 certificate with an embedded Unicode font and a QR code to the verification page."""
    cert = _certificate_or_404(number)
    view = certificate_pdf.PdfView(
        number=cert.number, holder_name=cert.holder_name, course_title=cert.course_title,
        competencies=tuple(_competencies(cert.competencies)), level_label=_level_label(cert.level),
        issued_on=_local_date(cert), issuer_name=cert.issuer_name, verify_url=_verify_url(cert.number),
        key_id=cert.key_id, revoked=cert.revoked_at is not None)
    fonts = certificate_pdf.prepare_fonts(Path(current_app.instance_path) / "fonts")
    response = Response(certificate_pdf.render(view, fonts), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{cert.number}.pdf"'
    return response


@bp.get("/certificates/<number>.json")
@verify_limit
def credential(number: str) -> Response:
    """The signed Open Badges 3.0 credential exactly as issued (canonical JSON: every byte counts)."""
    cert = _certificate_or_404(number)
    if cert.credential_form < openbadges.CREDENTIAL_FORM:  # made before a change of form: wait for reissue
        page = render_template("errors/error.html", code=404, title=_("The digital credential is being renewed"),
                               message=_("This certificate's digital credential is being replaced by a new "
                                         "version. The certificate itself stays valid; please try again later."))
        return Response(page, status=404, mimetype="text/html")
    response = Response(cert.credential, mimetype="application/json")
    response.headers["Content-Disposition"] = f'inline; filename="{cert.number}.json"'
    return response


@bp.post("/certificates/<number>/revoke")
def revoke(number: str) -> Response:
    """Revoke with a reason (administrators only; the form carries the CSRF token)."""
    if not _is_admin():
        abort(403)
    cert = _certificate_or_404(number)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Please give the reason for revoking."), "error")
        return redirect(url_for("certificates.show", number=cert.number))  # type: ignore[return-value]
    already = cert.revoked_at is not None
    certificates.revoke(db.session, cert.number, form.reason.data or "", now())
    db.session.commit()
    current_app.logger.info("certificate %s revoked by user %s", cert.number, current_user.id)
    flash(_("This certificate was already revoked.") if already else _("The certificate has been revoked."),
          "info" if already else "success")
    return redirect(url_for("certificates.show", number=cert.number))  # type: ignore[return-value]


@bp.get("/verify")
def verify_form() -> str | Response:
    """A form to type a certificate number (GET, works without JavaScript)."""
    typed = request.args.get("number", "").strip()[:60]
    if typed:
        canonical = certs.parse_number(typed)
        if canonical:
            return redirect(url_for("certificates.verify", number=canonical))  # type: ignore[return-value]
        return _malformed(typed)
    return render_template("certificates/verify_form.html", typed="", malformed=False)


@verify_limit
def _malformed(typed: str) -> tuple[str, int]:
    """A lookup of a number that is not one: it counts against the visitor's lookups, too."""
    return render_template("certificates/verify_form.html", typed=typed, malformed=True), 404


def _status_json(result: certificates.Verification) -> dict[str, Any]:
    body: dict[str, Any] = {"number": result.number, "status": result.status}
    cert = result.certificate
    if cert is not None and result.status in ("valid", "revoked"):
        body.update({
            "holder": cert.holder_name, "course": cert.course_title, "issued": certs.iso_utc(cert.issued_at),
            "issuer": cert.issuer_name, "level": cert.level,
            "competencies": [{"code": c, "name": n} for c, n in _competencies(cert.competencies)],
        })
        if cert.revoked_at is not None:
            body["revoked"] = {"at": certs.iso_utc(cert.revoked_at.astimezone(timezone.utc)),
                               "reason": cert.revoked_reason}
    return body


@bp.route("/verify/holder", methods=["GET", "POST"])
def holder_check() -> str | Response | tuple[str, int]:
    """Whether a certificate belongs to the person with a given ID number, answered on the server only: a POST
    form (CSRF), rate limited per client and per certificate, audit-logged without the ID number. An unknown
    certificate and a wrong ID number get the same answer."""
    form = HolderCheckForm()
    result = None
    if request.method == "POST":
        if not form.validate():
            form.id_number.data = ""  # never echoed back, not even when malformed
            return render_template("certificates/holder_check.html", form=form, result=None), 400
        number = certs.parse_number(form.number.data or "") or (form.number.data or "").strip()[:64]
        person_hash = idnumber.keyed_hash(form.id_number.data or "",
                                          str(current_app.config["IDENTITY_KEY"]).encode("utf-8"))
        form.id_number.data = ""  # never echoed back
        client = _client_digest()
        if (blocked := _holder_check_limited(number)) is not None:
            certificates.record_holder_check(db.session, number, client, "limited", now())
            db.session.commit()
            return blocked
        result = certificates.confirm_holder(db.session, number, person_hash, client, now())
        db.session.commit()
        current_app.logger.info("holder check of a certificate: %s", result)
        form.number.data = number
    return render_template("certificates/holder_check.html", form=form, result=result,
                           number=form.number.data or "")


@bp.get("/status/revocation/<int:list_number>")
def status_list(list_number: int) -> Response:
    """The signed revocation Bitstring Status List (W3C) that new credentials point to."""
    try:
        document = certificates.status_list(db.session, list_number, certificate_settings(), now())
    except certificates.CertificateError as err:  # this server lacks the private key: it cannot sign
        current_app.logger.error("status list %s not served: %s", list_number, err)
        document = None
    if document is None:
        abort(404)
    response = Response(certs.canonical(document), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/verify/<number>.json")
@verify_limit
def verify_json(number: str) -> Response | tuple[Response, int]:
    """The certificate's status as JSON (the `credentialStatus` of the Open Badges credential points here)."""
    result = certificates.verify_number(db.session, number)
    return jsonify(_status_json(result)), 404 if result.status == "unknown" else 200


@bp.get("/verify/<number>")
@verify_limit
def verify(number: str) -> str | Response | tuple[str, int]:
    """Public check of a number: valid, revoked (with the reason) or unknown — never any ID number."""
    result = certificates.verify_number(db.session, number)
    if result.certificate is not None and number != result.number:
        return redirect(url_for("certificates.verify", number=result.number))  # type: ignore[return-value]
    page = render_template("certificates/verify.html", result=result, cert=result.certificate,
                           issued_on=_local_date(result.certificate) if result.certificate else "")
    return page, 404 if result.status == "unknown" else 200


@bp.get("/.well-known/hvs-certificate-keys.json")
def keys() -> Response:
    """The public signing keys as a JWKS, retired ones included, so that any certificate verifies offline."""
    response = jsonify(certificates.jwks(db.session))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
