"""Several app servers in tests: the app in separate processes (each with its own memory, Flask-Limiter
storage and connection pool, as on separate machines) over the test's database, spoken to over HTTP."""
from __future__ import annotations

import http.cookiejar
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import CSRF_RE

# The configuration comes as JSON on the command line; Werkzeug serves the app on a free port it prints.
SERVE = """
import json, sys
from werkzeug.serving import make_server
from lms import create_app
config, instance = json.loads(sys.argv[1]), sys.argv[2]
app = create_app(config, instance_path=instance)
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


class Browser:
    """A browser of its own (cookie jar) that may talk to any server: a cluster shares the secret key, so a
    session cookie made by one server is read by the others."""

    def __init__(self, client: str = "198.51.100.1") -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.headers = {"X-Forwarded-For": client, "Host": "localhost"}

    def open(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            reply = self.opener.open(urllib.request.Request(url, data=body, headers=self.headers), timeout=30)
        except urllib.error.HTTPError as refused:
            reply = refused
        with reply:
            return int(reply.status), reply.read().decode("utf-8", "replace"), dict(reply.headers)

    def post_form(self, server: "Server", path: str, data: dict[str, str], page: str | None = None) -> int:
        """POST with the CSRF token of `page` (default `path`) as that server renders it for this browser."""
        _, html, _ = self.open(server.url + (page or path))
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page or path}"
        return self.open(server.url + path, {**data, "csrf_token": match.group(1) or match.group(2)})[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a 302 is an answer, not a hop
        return None


class Server:
    def __init__(self, app: Flask, name: str, tmp_path: Path, **settings: Any) -> None:
        config = {key: app.config[key] for key in ("LMS_MODE", "DATABASE_URL", "SECRET_KEY", "CONTENT_DIR")}
        config.update(TESTING=True, INDEX_DIR=str(tmp_path / name / "index"), TRUSTED_PROXIES=1, **settings)
        self.process = subprocess.Popen([sys.executable, "-c", SERVE, json.dumps(config),
                                         str(tmp_path / name / "instance")], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line.strip().isdigit():
            self.stop()
            pytest.fail(f"server {name} did not start")
        self.url = f"http://127.0.0.1:{int(line)}"

    def wrong_login(self, client: str, login: str) -> int:
        """One wrong password from `client` (as the proxy in front reports it), from a new browser."""
        return Browser(client).post_form(self, "/login", {"login": login, "password": "sai-mat-khau-roi"})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()  # type: ignore[union-attr]
