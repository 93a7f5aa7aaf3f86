"""Certificates in three forms (page, PDF, Open Badges JSON), the public verification pages, the published
keys, and revocation by an administrator. Rate limits are in `limits`, forms in `forms`, display helpers in
`formatting`, the issuing settings in `settings`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import segno
from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ...domain import certificate_pdf
from ...domain import certificates as certs
from ...domain import idnumber, openbadges
from ...extensions import db
from ...models import Certificate
from ...services import certificates
from ..helpers import external_url, now
from .formatting import competency_names, level_label, local_date, status_json, verify_url
from .forms import HolderCheckForm, RevokeForm
from .limits import (client_digest, count_against_certificate, first_refusal_this_hour, holder_check_limited,
                     verify_limit)
from .settings import certificate_settings

bp = Blueprint("certificates", __name__)


def _certificate_or_404(number: str) -> Certificate:
    canonical = certs.parse_number(number)
    cert = certificates.find(db.session, canonical) if canonical else None
    if cert is None:
        abort(404)
    return cert


def _is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "admin")


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
    url = verify_url(cert.number)
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    keys_url = external_url("certificates.keys")
    return render_template("certificates/show.html", cert=cert, result=result, qr=qr, verify_url=url,
                           keys_url=keys_url, issued_on=local_date(cert),
                           credential_ready=(cert.credential_form >= openbadges.CREDENTIAL_FORM
                                             and result.status != "synthetic"),
                           form=RevokeForm() if _is_admin() else None)


@bp.get("/certificates/<number>.pdf")
@verify_limit
def pdf(number: str) -> Response:
    """The printable A4 certificate with an embedded Unicode font and a QR code to the verification page."""
    cert = _certificate_or_404(number)
    view = certificate_pdf.PdfView(
        number=cert.number, holder_name=cert.holder_name, course_title=cert.course_title,
        competencies=tuple(competency_names(cert.competencies)), level_label=level_label(cert.level),
        issued_on=local_date(cert), issuer_name=cert.issuer_name, verify_url=verify_url(cert.number),
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
        parsed = certs.parse_number(form.number.data or "")
        number = parsed or (form.number.data or "").strip()[:64]
        person_hash = idnumber.keyed_hash(form.id_number.data or "",
                                          str(current_app.config["IDENTITY_KEY"]).encode("utf-8"))
        form.id_number.data = ""  # never echoed back
        client = client_digest()
        if (blocked := holder_check_limited(parsed)) is not None:
            if first_refusal_this_hour(client):
                certificates.record_holder_check(db.session, number, client, "limited", now())
                db.session.commit()
            return blocked
        result = certificates.confirm_holder(db.session, number, person_hash, client, now())
        db.session.commit()
        count_against_certificate(parsed, result)
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
    # well within the list's ttl (statuslist.VALIDITY): a revocation reaches HTTP caches within 5 minutes
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/verify/<number>.json")
@verify_limit
def verify_json(number: str) -> Response | tuple[Response, int]:
    """The certificate's status as JSON (the `credentialStatus` of the Open Badges credential points here)."""
    result = certificates.verify_number(db.session, number)
    return jsonify(status_json(result)), 404 if result.status == "unknown" else 200


@bp.get("/verify/<number>")
@verify_limit
def verify(number: str) -> str | Response | tuple[str, int]:
    """Public check of a number: valid, revoked (with the reason) or unknown — never any ID number."""
    result = certificates.verify_number(db.session, number)
    if result.certificate is not None and number != result.number:
        return redirect(url_for("certificates.verify", number=result.number))  # type: ignore[return-value]
    page = render_template("certificates/verify.html", result=result, cert=result.certificate,
                           issued_on=local_date(result.certificate) if result.certificate else "")
    return page, 404 if result.status == "unknown" else 200


@bp.get("/.well-known/hvs-certificate-keys.json")
def keys() -> Response:
    """The public signing keys as a JWKS, retired ones included, so that any certificate verifies offline."""
    response = jsonify(certificates.jwks(db.session))
    # well within the list's ttl (statuslist.VALIDITY): a revocation reaches HTTP caches within 5 minutes
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
