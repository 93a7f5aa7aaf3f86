"""The VNeID stub: a stand-in identity provider, a small OpenID Connect provider that mimics the national
e-ID for development and tests. It is not the platform's login: that is the client side, lms/web/auth/
(identity_login.py, oidc_client.py), which talks to this stub or to the real provider over OpenID Connect.

Embedded (demo mode): the app factory mounts blueprint `vneid` at /vneid when VNEID_STUB_ENABLED. Standalone:
`create_stub_app` builds a separate Flask app with the same blueprint (`lms vneid serve --port 5001` or
`python -m lms.vneid_stub --port 5001`). Its state lives in `<instance>/vneid/`, never in the platform
database.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from .clients import default_client_secret

__all__ = ["create_stub_app", "default_client_secret"]


def create_stub_app(instance_path: str | None = None, config: dict[str, Any] | None = None) -> Flask:
    """The stub as its own WSGI app. It reads the same instance configuration as the platform (SECRET_KEY,
    VNEID_STUB_*), so the default client's secret matches; `config` overrides settings (tests)."""
    from .. import config as lms_config
    from ..extensions import csrf
    from .views import bp

    instance = (instance_path or os.environ.get("LMS_INSTANCE_PATH")
                or str(lms_config.PROJECT_ROOT / "instance"))
    app = Flask(__name__, instance_path=str(Path(instance).resolve()), instance_relative_config=True)
    app.config.update(lms_config.load(Path(app.instance_path), config))
    if app.config["LMS_MODE"] != "demo":
        raise RuntimeError("The VNeID stub is a simulation with fictional citizens and public passcodes: it "
                           "runs only in demo mode (LMS_MODE=demo).")
    app.config["VNEID_STUB_STANDALONE"] = True  # its issuer is its own address, not the platform's PUBLIC_URL
    # Own cookie: cookies are not isolated by port, and the platform's session on the same host must survive.
    app.config["SESSION_COOKIE_NAME"] = "vneid_session"
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.get("/")
    def _root() -> Response:
        return redirect(url_for("vneid.index"))

    return app
