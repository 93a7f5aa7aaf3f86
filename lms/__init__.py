"""Học Vụ Số: a lightweight, self-hosted MOOC platform. `create_app` is where the parts meet: the web layer
(extensions, blueprints, error handlers), the VNeID stub when enabled, and the CLI commands; everything else
lives in the domain, services and web packages (docs/architecture.md, Layers)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """The WSGI application. `test_config` overrides settings (tests, benchmarks)."""
    import os

    from . import config

    instance = instance_path or os.environ.get("LMS_INSTANCE_PATH") or str(config.PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=str(Path(instance).resolve()), instance_relative_config=True)
    app.config.update(config.load(Path(app.instance_path), test_config))

    from .web import register
    register(app)
    if app.config.get("VNEID_STUB_ENABLED"):  # the stand-in identity provider, at /vneid (demo mode only)
        from .vneid_stub.views import bp as vneid_stub_bp
        app.register_blueprint(vneid_stub_bp)
    from .cli import register_commands
    register_commands(app)
    return app
