"""The stub's endpoints (blueprint `vneid`, URL prefix /vneid): discovery, JWKS, the VNeID-style login and
consent pages of the authorization endpoint, the token endpoint and userinfo. Raw ID numbers are never
logged and never put in the session (which keeps an opaque registry uid)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from flask import (Blueprint, g, jsonify, redirect, render_template, request, send_from_directory,
                   session)
from flask.blueprints import BlueprintSetupState
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from ..domain.areas import provinces
from ..domain.idnumber import mask
from ..extensions import csrf
from . import keys
from .forms import ConsentForm, LoginForm
from .registry import Citizen, LoginRefused, demo_citizens
from .clients import SCOPE_CLAIMS, Principal
from .server import authorization_server, install
from .state import Stub, stub

bp = Blueprint("vneid", __name__, url_prefix="/vneid", template_folder="../templates")

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PENDING = "vneid_login"  # session key: who logged in, for which authorization request, when
PENDING_MAX_AGE = 600  # seconds between login and consent
CLAIM_LABELS = {
    "vn_personal_id": "Số định danh cá nhân",
    "name": "Họ, chữ đệm và tên",
    "birthdate": "Ngày, tháng, năm sinh",
    "gender": "Giới tính",
    "vn_account_level": "Mức độ tài khoản định danh điện tử",
    "vn_residence": "Nơi thường trú (tỉnh/thành phố, xã/phường)",
}
WRONG_CREDENTIALS = "Số định danh cá nhân hoặc mật mã không đúng."
LOCKED = ("Tài khoản định danh điện tử này đang bị khóa, nên không thể đăng nhập hay chia sẻ thông tin. "
          "Vui lòng liên hệ cơ quan Công an nơi cư trú để được mở khóa.")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    install(state.app)


@bp.teardown_request
def _close_db(_exc: BaseException | None) -> None:
    db = g.pop("_vneid_db", None)
    if db is not None:
        db.close()  # rolls back whatever the view did not commit


@bp.after_request
def _headers(response: Response) -> Response:
    """The stub's own security headers (the platform only sets headers that are still missing). Its forms
    end in a redirect to the client, and browsers apply form-action to that redirect: allow its origin."""
    targets = "".join(f" {origin}" for origin in sorted(g.get("vneid_form_targets", ())))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        f"form-action 'self'{targets}; base-uri 'none'; frame-ancestors 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint in ("vneid.authorize", "vneid.token", "vneid.userinfo"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def _csrf_error(_error: CSRFError) -> tuple[str, int]:
    """An expired or missing form token: say so in the stub's own page and offer to start again."""
    return render_template("vneid/error.html", title="Phiên làm việc đã hết hạn",
                           message="Biểu mẫu đã hết hạn hoặc không hợp lệ. "
                                   "Vui lòng quay lại ứng dụng và thử lại.",
                           detail=None), 400


@bp.get("/")
def index() -> str:
    """What this stub is, its discovery URL and the demo citizens."""
    return render_template("vneid/index.html", issuer=stub().issuer(), demo=demo_citizens())


@bp.get("/vneid.css")
def style() -> Response:
    """The stub's style sheet (the standalone stub has no platform static folder)."""
    return send_from_directory(STATIC_DIR, "vneid.css", max_age=3600)


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    """OpenID Provider metadata."""
    response = jsonify(stub().discovery())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/jwks.json")
def jwks() -> Response:
    """The public keys that verify ID tokens."""
    response = jsonify(keys.jwks(stub().key))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _request_digest() -> str:
    """Identifies the authorization request, so a login counts only for the request it was made for."""
    items = sorted(request.args.items(multi=True))
    return hashlib.sha256(urlencode(items).encode("utf-8")).hexdigest()


def _pending_citizen(s: Stub) -> tuple[Citizen, int] | None:
    """The citizen who logged in for this very authorization request (recently), with the login time."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("request") != _request_digest():
        return None
    auth_time = int(pending.get("auth_time", 0))
    if s.clock() - auth_time > PENDING_MAX_AGE:
        return None
    citizen = s.registry.get().by_uid(str(pending.get("uid")))
    if citizen is None or citizen.locked:
        return None
    return citizen, auth_time


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _consent_rows(citizen: Citizen, scope: str) -> list[tuple[str, str]]:
    """(label, value) of exactly the attributes the granted scope will share, in a fixed order."""
    scopes = scope.split()
    province = provinces().get(citizen.residence.province_code)
    commune = next((c.name for c in province.communes if c.code == citizen.residence.commune_code), None) \
        if province else None
    values = {
        "vn_personal_id": mask(citizen.id_number),
        "name": citizen.name,
        "birthdate": citizen.birthdate.strftime("%d/%m/%Y"),
        "gender": "Nam" if citizen.gender == "male" else "Nữ",
        "vn_account_level": f"Mức {citizen.level}",
        "vn_residence": ", ".join(filter(None, [
            commune or f"mã xã {citizen.residence.commune_code}",
            province.name if province else f"mã tỉnh {citizen.residence.province_code}"])),
    }
    return [(CLAIM_LABELS[claim], values[claim])
            for name, claims in SCOPE_CLAIMS.items() if name in scopes for claim in claims]


def _authorization_error(error: OAuth2Error) -> Response | tuple[str, int]:
    """Errors go back to the client when its redirect URI is known to be its own; otherwise they are shown."""
    if error.redirect_uri:
        response: Response = authorization_server().handle_error_response(None, error)
        return response
    if error.error == "invalid_client":
        message = "Ứng dụng yêu cầu đăng nhập chưa được đăng ký với VNeID (mô phỏng)."
    else:
        message = "Yêu cầu đăng nhập từ ứng dụng không hợp lệ (ví dụ: địa chỉ trả về chưa được đăng ký)."
    return render_template("vneid/error.html", title="Không thể đăng nhập", message=message,
                           detail=f"{error.error}: {error.description or ''}"), 400


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    """Authorization endpoint: log in with ID number and passcode, then consent; ends at the client."""
    s, server = stub(), authorization_server()
    pending = _pending_citizen(s)
    try:
        grant = server.get_consent_grant(end_user=pending[0] if pending else None)
    except OAuth2Error as error:
        return _authorization_error(error)
    g.vneid_form_targets = {_origin(grant.redirect_uri)}
    client = grant.client

    if request.method == "POST" and ("cancel" in request.form or "deny" in request.form):
        session.pop(PENDING, None)  # the forms' CSRF tokens were checked by CSRFProtect before this view
        return server.create_authorization_response(grant_user=None, grant=grant)

    if pending is None:
        form = LoginForm()
        locked = False
        if form.validate_on_submit():
            try:
                citizen = s.registry.get().authenticate(form.id_number.data or "", form.passcode.data or "")
            except LoginRefused as refused:
                locked = refused.reason == "locked"
                if not locked:
                    form.passcode.errors = [WRONG_CREDENTIALS]  # type: ignore[assignment]
            else:
                session[PENDING] = {"uid": citizen.uid, "auth_time": int(s.clock()),
                                    "request": _request_digest()}
                return redirect(request.script_root + request.full_path, 303)
        return render_template("vneid/login.html", form=form, client=client, locked=locked and LOCKED,
                               demo=demo_citizens())

    citizen, auth_time = pending
    form = ConsentForm()
    if form.validate_on_submit() and form.allow.data:
        response = server.create_authorization_response(
            grant_user=Principal(citizen, client.client_id, auth_time), grant=grant)
        s.db().commit()
        session.pop(PENDING, None)
        return response
    return render_template("vneid/consent.html", form=form, client=client, citizen_name=citizen.name,
                           rows=_consent_rows(citizen, grant.request.scope))


@bp.post("/token")
@csrf.exempt
def token() -> Response:
    """Token endpoint (back channel, client authentication instead of CSRF): code + PKCE verifier in,
    access token and ID token out."""
    s, server = stub(), authorization_server()
    response: Response = server.create_token_response()
    s.db().commit()  # the issued token and the used code; or the revocation that a replayed code causes
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo() -> Response:
    """The identity claims of the bearer token's citizen, as the token's scope allows."""
    response: Response = authorization_server().create_endpoint_response("userinfo")
    return response

