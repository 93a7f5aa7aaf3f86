"""Benchmark of the certificate pages: the public verification page under `wrk -t2 -c8` against the bare Flask
app (bench/bare_app.py on the same server, same run, interleaved; the catalog as a page of similar weight),
and the time to make a certificate PDF through its route (in-process, Flask test client, median of 50).

    .venv/bin/python bench/certificates.py            # about a minute
    .venv/bin/python bench/certificates.py --quick    # a few seconds of load: checks the script still works

The certificates are issued the real way (bench/run.py's preparation: verified learners with every lesson
done, a passing quiz submit). The verification rate limit is set so high that it never trips: its bookkeeping
runs on every request, as in production, but the load generator (one IP) is not throttled. A measurement,
never a test: it exits 0 unless a request failed.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: instance, learners, servers, wrk)

PDF_RUNS = 50
AIM_PDF_MS = 200.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds of load: checks the script works")
    args = parser.parse_args()
    seconds, slices = (1, 2) if args.quick else (4, 3)
    wrk = bench.ensure_wrk()
    load_before = bench.os.getloadavg()[0]
    instance = bench.new_instance()
    (instance / "config.py").write_text("VERIFY_RATE_LIMIT = 10 ** 9\n", encoding="utf-8")
    servers: list[bench.Server] = []
    try:
        prepared = bench.prepare(readers=0, failing=0, certifying=8)
        from sqlalchemy import select

        from lms import create_app
        from lms.extensions import db
        from lms.models import Certificate

        app = create_app()
        client = app.test_client(use_cookies=False)
        for path, cookie, body in prepared.cert_rows:
            reply = client.post(path, data=body, headers={"Cookie": cookie, "User-Agent": bench.USER_AGENT,
                                                          "Content-Type": "application/x-www-form-urlencoded"})
            assert reply.status_code == 302, reply.status_code
        with app.app_context():
            numbers = list(db.session.scalars(select(Certificate.number)))
        assert len(numbers) == len(prepared.cert_rows), numbers
        pdf = f"/certificates/{numbers[0]}.pdf"
        assert client.get(pdf).status_code == 200  # prepares the fonts once per instance
        times = []
        for _ in range(10 if args.quick else PDF_RUNS):
            began = time.perf_counter()
            assert client.get(pdf).status_code == 200
            times.append(time.perf_counter() - began)

        pythonpath = bench.os.environ["PYTHONPATH"]
        app_server = bench.start_server("platform", bench.serving.TARGET, instance / "server.log", pythonpath)
        servers.append(app_server)
        bare_server = bench.start_server("bare", "bare_app:asgi_app", instance / "bare.log",
                                         bench.os.pathsep.join([str(bench.HERE), pythonpath]))
        servers.append(bare_server)
        data = instance / "wrk"
        data.mkdir()
        gets = [(bench.BARE, bare_server, bench.lua_data(data / "bare.lua", [("/", "")])),
                ("verify page", app_server, bench.lua_data(data / "verify.lua",
                                                           [(f"/verify/{n}", "") for n in numbers])),
                (bench.CATALOG, app_server, bench.lua_data(data / "catalog.lua", [("/courses", "")]))]
        results = {name: bench.Result(name) for name, _, _ in gets}
        for _, server, path in gets:
            bench.get_slice(wrk, server, path, 1, None)
        for _ in range(slices):
            for name, server, path in gets:
                bench.get_slice(wrk, server, path, seconds, results[name])
    finally:
        for server in servers:
            bench.stop(server)
    bare = results[bench.BARE]
    print(f"{'scenario':<18}{'req/s':>9}{'x bare':>8}{'srv ms/req':>11}{'errors':>8}")
    for r in results.values():
        print(f"{r.scenario:<18}{r.rps:>9.1f}{r.rps / bare.rps:>8.2f}{r.server_ms:>11.2f}{r.errors:>8}")
    median_ms = statistics.median(times) * 1000
    print(f"PDF through GET /certificates/<n>.pdf (in-process, median of {len(times)}): {median_ms:.1f} ms "
          f"[{'OK' if median_ms < AIM_PDF_MS else 'MISS'} aim < {AIM_PDF_MS:g} ms]")
    print(f"every scenario: wrk -t{bench.THREADS} -c{bench.CONNECTIONS}; load average before the run: "
          f"{load_before:.2f}")
    shutil.rmtree(instance, ignore_errors=True)
    return 1 if any(r.errors for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
