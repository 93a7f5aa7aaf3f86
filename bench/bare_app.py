"""The benchmark's baseline: a separate minimal Flask app with one route that returns a short text, served by
bench/run.py through exactly the platform's server (`lms.serving.command(..., target="bare_app:asgi_app")`:
granian, the same workers and flags, behind the same `lms.serving.BufferedWSGI`). Not part of the platform."""
from __future__ import annotations

from flask import Flask, Response

from lms.serving import BufferedWSGI


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def bare() -> Response:
        return Response("ok", mimetype="text/plain")

    return app


def asgi_app() -> BufferedWSGI:
    """Granian's factory, as `lms.serving.asgi_app` is for the platform."""
    return BufferedWSGI(create_app())
