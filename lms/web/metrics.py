"""`/metrics` for operators, in the Prometheus text format (issue 9): request counts and latency per endpoint,
quiz submits, certificates issued and rate-limit refusals. Off unless `METRICS_TOKEN` (`LMS_METRICS_TOKEN`) is
set, and never public: the scrape must send `Authorization: Bearer <token>`; without it, or with a wrong one,
the route answers 404 like any unknown address. With several worker processes, set
`PROMETHEUS_MULTIPROC_DIR` to an empty folder before the server starts (lms/serving.py does it when the
token is set) so that a scrape sums every process (prometheus_client's multiprocess mode). docs/operations.md,
"Metrics"."""
from __future__ import annotations

import hmac
import os
import time
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from ..models import Certificate

# Defined once per process (the client's default registry is global): several apps in one process (tests)
# share them, which is what a process-wide metric means.
REQUESTS = Counter("lms_requests_total", "HTTP requests answered, by endpoint, method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("lms_request_duration_seconds", "Time to answer a request, by endpoint", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SUBMITS = Counter("lms_quiz_submits_total", "Quiz attempts recorded, by result", ["result"])
CERTIFICATES = Counter("lms_certificates_issued_total", "Certificates issued (committed)")
REFUSALS = Counter("lms_rate_limited_total", "Requests refused by a rate limit, by endpoint", ["endpoint"])

_PENDING = "lms_metrics_certificates"


def submitted(passed: bool) -> None:
    """A quiz attempt was recorded (called by the view after its commit)."""
    SUBMITS.labels("passed" if passed else "failed").inc()


def refused() -> None:
    """A request was refused by a rate limit (the 429 handler)."""
    REFUSALS.labels(request.endpoint or "unknown").inc()


def _count_certificates() -> None:
    """Count a certificate when the transaction that inserted it commits (an insert rolled back with its
    transaction counts nothing; the loser of a race never inserts)."""
    @event.listens_for(Certificate, "after_insert")
    def _inserted(_mapper: Any, _connection: Any, target: Certificate) -> None:
        session = object_session(target)
        if session is not None:
            session.info[_PENDING] = session.info.get(_PENDING, 0) + 1

    @event.listens_for(Session, "after_commit")
    def _committed(session: Session) -> None:
        n = session.info.pop(_PENDING, 0)
        if n:
            CERTIFICATES.inc(n)

    @event.listens_for(Session, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)


_LISTENING = False


def register(app: Flask) -> None:
    global _LISTENING
    if not _LISTENING:
        _count_certificates()
        _LISTENING = True

    def token() -> str:
        return str(app.config.get("METRICS_TOKEN") or "")

    @app.get("/metrics")
    def metrics() -> Response:
        given, expected = request.headers.get("Authorization", ""), token()
        if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            abort(404)
        registry: Any = None
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry) if registry is not None else generate_latest()
        return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Cache-Control": "no-store"})

    @app.before_request
    def _started() -> None:
        if token():
            g._metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response: Response) -> Response:
        started = g.pop("_metrics_started", None)
        if started is None:  # off (or the request began before it was turned on)
            return response
        endpoint = request.endpoint or "unknown"
        if endpoint != "metrics":
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
