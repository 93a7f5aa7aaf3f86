"""Benchmark of the certificate pages: the public verification page in requests per second against the bare
route (the server of .ci/serve, 2 workers, same run; the catalog page as a reference of similar weight), and
the time to make a certificate PDF (median over 50).

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/certificates.py            # about half a minute
    .venv/bin/python bench/certificates.py --quick    # a few seconds of load: checks the script still works
    .venv/bin/python bench/certificates.py --json results.json

The HTTP client, the load loop and the server start-up are those of bench/run.py. The verification rate
limit is set so high that it never trips: its bookkeeping runs on every request, as in production, but the
load generator (one IP) is not throttled. A measurement, never a test: it exits 0 unless a request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import Client, Result, free_port, get_scenario, set_up_content, start_server  # noqa: E402  (bench/run.py)

COURSE = "nhan-dien-lua-dao"
PDF_RUNS = 50
AIM_PDF_MS = 200.0


def prepare(instance: Path, base_url: str) -> str:
    """Schema and demo content through `lms`, then one verified learner who completed the course and got the
    certificate through the real service; returns the certificate number."""
    (instance / "config.py").write_text("VERIFY_RATE_LIMIT = 10 ** 9\n", encoding="utf-8")
    set_up_content()

    from datetime import date

    from sqlalchemy import select

    from lms import create_app
    from lms.db import write_intent
    from lms.domain import certificates as certs
    from lms.domain import idnumber
    from lms.extensions import db
    from lms.models import Course, Enrolment, User, utcnow
    from lms.services import certificates

    app = create_app()
    with app.app_context():
        token = write_intent.set(True)
        try:
            now = utcnow()
            number = idnumber.generate("001", date(1990, 5, 17), "female", 424242)
            salt = certs.new_salt()
            user = User(full_name="Nguyễn Thị Ánh Hường", email="bench@bench.example", password_hash="!",
                        target_group=3, province_code="01", commune_code="00004", created_at=now,
                        person_hash=idnumber.keyed_hash(number, b"bench"), id_masked=idnumber.mask(number),
                        id_level=2, verified_at=now, recipient_salt=salt,
                        recipient_hash=certs.recipient_hash(number, salt))
            db.session.add(user)
            db.session.flush()
            course = db.session.scalars(select(Course).where(Course.slug == COURSE)).one()
            db.session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now, completed_at=now))
            cert = certificates.issue_if_eligible(db.session, user, course, now,
                                                  certificates.Settings.from_config(app.config, base_url))
            assert cert is not None
            db.session.commit()
            return cert.number
        finally:
            write_intent.reset(token)


def pdf_render_times(number: str, base_url: str) -> tuple[float, list[float]]:
    """(first-run font preparation in seconds, render times in seconds) for the PDF, in this process."""
    from lms import create_app
    from lms.extensions import db
    from lms.services import certificates
    from lms.web.certificates import _competencies, _level_label

    from lms.domain import certificate_pdf

    app = create_app()
    with app.app_context():
        cert = certificates.find(db.session, number)
        assert cert is not None
        view = certificate_pdf.PdfView(
            number=cert.number, holder_name=cert.holder_name, course_title=cert.course_title,
            competencies=tuple(_competencies(cert.competencies)), level_label=_level_label(cert.level),
            issued_on=cert.issued_at.strftime("%d/%m/%Y"), issuer_name=cert.issuer_name,
            verify_url=f"{base_url}/verify/{cert.number}", key_id=cert.key_id)
        began = time.perf_counter()
        fonts = certificate_pdf.prepare_fonts(Path(app.instance_path) / "fonts")
        prepared = time.perf_counter() - began
        certificate_pdf.render(view, fonts)  # warm-up: imports and first-use caches
        times = []
        for _ in range(PDF_RUNS):
            began = time.perf_counter()
            certificate_pdf.render(view, fonts)
            times.append(time.perf_counter() - began)
        return prepared, times


def http_pdf_times(port: int, number: str, runs: int) -> list[float]:
    """Wall time of GET /certificates/<number>.pdf, one request at a time (the font cache is warm)."""
    client = Client(port)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        reply = client.request("GET", f"/certificates/{number}.pdf")
        times.append(time.perf_counter() - began)
        if reply.status != 200:
            raise SystemExit(f"GET .pdf: HTTP {reply.status}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds of load: checks the script works")
    parser.add_argument("--seconds", type=float, help="measured seconds per scenario (default 8, quick 1)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (8)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    seconds = args.seconds or (1.0 if args.quick else 8.0)
    warmup = 0.3 if args.quick else 1.0

    instance = Path(tempfile.mkdtemp(prefix="lms-bench-cert-"))
    log = instance / "server.log"
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    os.environ["LMS_DATABASE_URL"] = f"sqlite:///{instance / 'lms.db'}"
    os.environ["LMS_CONTENT_DIR"] = str(ROOT)
    os.environ.pop("LMS_INDEX_DIR", None)
    os.environ["LMS_MODE"] = "demo"  # the demo content and the VNeID stub, like `.ci/serve`
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    os.environ["LMS_PUBLIC_URL"] = base_url  # the certificate's URLs name the served port
    server: subprocess.Popen[bytes] | None = None
    failed = False
    try:
        print(f"instance {instance}: migrating, importing, issuing one certificate…", flush=True)
        number = prepare(instance, base_url)
        print(f"PDF: preparing the font, then rendering {PDF_RUNS} times in-process…", flush=True)
        prepared, render = pdf_render_times(number, base_url)
        server = start_server(port, log)
        print(f"lms/serving.py, 2 workers, on 127.0.0.1:{port}; certificate {number}", flush=True)
        clients = [Client(port) for _ in range(args.threads)]
        results: list[Result] = []
        for name, path in (("bare route", "/bench/bare"), ("verify page", f"/verify/{number}"),
                           ("catalog", "/courses")):  # a page of similar weight, for reference
            print(f"measuring {name}: GET {path}, {len(clients)} threads, {seconds:g} s…", flush=True)
            results.append(get_scenario(name, path, clients, seconds, warmup))
        http_pdf_times(port, number, 3)  # each worker prepares (or loads) the font once
        over_http = http_pdf_times(port, number, 10 if args.quick else PDF_RUNS)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    bare, verify, catalog = results
    ratio = verify.rps / bare.rps if bare.rps else 0.0
    catalog_ratio = catalog.rps / bare.rps if bare.rps else 0.0
    median_ms = statistics.median(render) * 1000
    http_ms = statistics.median(over_http) * 1000
    for result in results:
        failed |= result.errors > 0
        print(f"{result.scenario:>12}: {result.rps:8.1f} req/s  ({result.requests} requests, "
              f"{result.errors} errors"
              f"{'; ' + result.error_samples[0] if result.error_samples else ''})")
    print(f"verify page / bare route: {ratio:.2f}   (catalog / bare route: {catalog_ratio:.2f})")
    print(f"PDF render (in-process, median of {len(render)}): {median_ms:.1f} ms "
          f"[{'OK' if median_ms < AIM_PDF_MS else 'MISS'} aim < {AIM_PDF_MS:g} ms]; "
          f"p90 {statistics.quantiles(render, n=10)[-1] * 1000:.1f} ms")
    print(f"PDF over HTTP (GET .pdf one at a time, median of {len(over_http)}): {http_ms:.1f} ms")
    print(f"font preparation, first use per instance: {prepared:.2f} s (cached in <instance>/fonts)")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            "rps": {r.scenario: round(r.rps, 1) for r in results}, "verify_ratio": round(ratio, 3),
            "catalog_ratio": round(catalog_ratio, 3),
            "pdf_render_median_ms": round(median_ms, 1), "pdf_http_median_ms": round(http_ms, 1),
            "font_preparation_s": round(prepared, 2), "errors": sum(r.errors for r in results),
        }, indent=2), encoding="utf-8")
    shutil.rmtree(instance, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
