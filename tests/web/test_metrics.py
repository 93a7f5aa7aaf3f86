"""Issue 9, section 4: `/metrics` for operators (Prometheus text format), off unless configured, never public,
counting requests per endpoint with their latency, quiz submits, certificates issued and rate-limit refusals."""
from __future__ import annotations

import re
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.conftest import Auth
from tests.factories import SCAM
from tests.web.test_certificates import finish_course_on_the_site, verify_account

TOKEN = "metrics-token-for-tests-0123456789"


def _value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` of a scrape (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        got = ",".join(sorted(p for p in (match.group(2) or "").split(",") if p))
        if got == want:
            return float(match.group(3))
    return 0.0


def _scrape(client: FlaskClient) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_metrics_are_off_by_default(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_token(app: Flask, client: FlaskClient) -> None:
    app.config["METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 404
    before = _value(_scrape(client), "lms_requests_total", endpoint="catalog.index", method="GET", status="200")
    assert client.get("/courses").status_code == 200
    text = _scrape(client)
    assert _value(text, "lms_requests_total", endpoint="catalog.index", method="GET", status="200") == before + 1
    assert _value(text, "lms_request_duration_seconds_count", endpoint="catalog.index") >= 1


def test_submits_certificates_and_refusals_are_counted(demo: Flask, client: FlaskClient, auth: Auth,
                                                        clean_db: Engine, post_form: Callable[..., Any]) -> None:
    demo.config["METRICS_TOKEN"] = TOKEN
    auth.register()
    verify_account(clean_db, "an@example.vn", 7)
    start = _scrape(client)
    finish_course_on_the_site(client, post_form, clean_db, SCAM)  # passes the final quiz: a certificate
    text = _scrape(client)
    assert _value(text, "lms_quiz_submits_total", result="passed") == \
        _value(start, "lms_quiz_submits_total", result="passed") + 1
    assert _value(text, "lms_certificates_issued_total") == _value(start, "lms_certificates_issued_total") + 1
    demo.config["LOGIN_RATE_LIMIT_CLIENT"] = "1 per minute"
    auth.logout()
    codes = [auth.login(password="sai-mat-khau-roi").status_code for _ in range(3)]
    assert 429 in codes
    after = _scrape(client)
    assert _value(after, "lms_rate_limited_total", endpoint="auth.login") >= \
        _value(start, "lms_rate_limited_total", endpoint="auth.login") + 1
