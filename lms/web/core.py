"""Home, health check, language choice and content images."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for

from ..extensions import db
from ..services import catalog
from .helpers import safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> str:
    """Landing page: what the platform is and the courses on offer."""
    return render_template("core/index.html", courses=catalog.published(db.session, limit=6))


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        catalog.database_answers(db.session)
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.exception("health check failed")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """For load balancers and rolling upgrades: 200 only when the database answers and its schema is at the
    migration this code expects; 503 while the database is unreachable or the migrations are behind (or
    ahead: an older server during an upgrade). docs/operations.md."""
    from .. import migrate

    try:
        revision = catalog.schema_revision(db.session)
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        current_app.logger.exception("readiness check failed")
        return {"status": "unavailable"}, 503
    expected = migrate.head()
    if revision != expected:
        return {"status": "schema", "database": revision or "none", "code": expected}, 503
    return {"status": "ready", "schema": revision}, 200


@bp.post("/lang")
def set_language() -> Response:
    """Switch the interface language (a form, so it works without JavaScript)."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))  # type: ignore[return-value]


@bp.get("/media/<string:name>")
def media(name: str) -> Response:
    """A course image by content hash; immutable, so cached for a year."""
    sha = name.split(".", 1)[0]
    asset = catalog.asset(db.session, sha)
    if asset is None:
        abort(404)
    response = Response(asset.data, mimetype=asset.mime)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if asset.mime == "image/svg+xml":
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
