#!/usr/bin/env python3
"""Reports at national scale (issue 8 point 5; docs/performance.md "Reports at national scale").

On a throwaway PostgreSQL (started and removed with .ci/lib.sh's pg_start/pg_stop, unless --database-url is
given), for each size (100k and 1M people by default), in one run:

1. `lms demo population --people N --replace`, then `lms reports rebuild --from-base` (the ledger from the
   base tables, then the summary from the ledger), then ANALYZE;
2. the national, a province (Hà Nội, 01) and a commune (Phường Hoàn Kiếm, 00070) dashboard's figures as the
   page asks the reading service for them (lms/services/reports.py: the unit's figures, its child units,
   the trend over the quarters since 2025Q1, as-of), median of --repeats;
3. the same figures computed live with GROUP BY over the ledger (report_fact, with indexes on its province,
   commune and period), and the funnel live over the base tables (accounts and certificates), median of
   --live-repeats;
4. the national XLSX export (the provinces × groups table, lms.domain.exports.xlsx) and a learner-list CSV of
   10,000 rows read from the base tables as a stream (lms.domain.exports.csvfile) with the process's memory
   growth while it runs (peak RSS after /proc/self/clear_refs);
5. the whole request through the app (Flask test client, logged in as the demo national official, session,
   scope check, audit and template included): the three dashboard pages (`GET /officials/units/<code>`),
   median of --repeats; then, after moving 30,000 of Hà Nội's synthetic accounts into Phường Hoàn Kiếm so
   that one commune has more than 10,000 people to follow up, its follow-up list CSV
   (`GET /officials/units/00070/follow-up.csv`, streamed) with its rows and the memory growth.

It prints each time, the ratio 1M ÷ 100k, live ÷ summary, and PASS/MISS against the aims (each page under
50 ms at 1M, at most 1.2× its time at 100k, at least 100× faster than live; export memory growth under
50 MB). A measurement, never a test: missing an aim fails nothing.

    .venv/bin/python bench/reports.py                 # 100k and 1M (about 10 minutes on 2 busy cores)
    .venv/bin/python bench/reports.py --sizes 10000000
    .venv/bin/python bench/reports.py --quick         # 2k and 20k people: checks that the script still works
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's lms, not whichever one the virtualenv has installed
PAGES = {"national": "VN", "province": "01", "commune": "00070"}


def reexec_with_postgres(argv: list[str]) -> int:
    """Run this script again inside a shell that started a throwaway PostgreSQL and removes it on exit."""
    script = (f"source {shlex.quote(str(ROOT / '.ci' / 'lib.sh'))}; pg_start >&2; trap pg_stop EXIT; "
              f"{shlex.quote(sys.executable)} {shlex.quote(__file__)} \"$@\" --database-url \"$PG_URL\"")
    return subprocess.call(["bash", "-c", script, "bench-reports", *argv])


def lms(*args: str) -> tuple[float, str]:
    began = time.perf_counter()
    # this checkout's lms, whatever the virtualenv's entry script points at
    done = subprocess.run([sys.executable, "-c", "from lms.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"lms {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - began, "; ".join(done.stdout.strip().splitlines())


def median_ms(fn: Callable[[], Any], repeats: int, warm: int = 2) -> float:
    for _ in range(warm):
        fn()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _status(name: str) -> int:
    """A field of /proc/self/status in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def measure(size: int, repeats: int, live_repeats: int) -> dict[str, Any]:
    from sqlalchemy import text

    from lms import create_app
    from lms.domain import tables
    from lms.domain.exports import csvfile, xlsx
    from lms.extensions import db
    from lms.models import utcnow
    from lms.services import facts, reports

    app = create_app()
    out: dict[str, Any] = {"people": size, "pages": {}, "live": {}, "live_base": {}}
    with app.app_context():
        s = db.session
        now = utcnow()
        period = facts.period_of(now)
        periods = [p for p in range(20251, period + 1) if 1 <= p % 10 <= 4]
        groups = (1, 2, 3, 4)

        def page(code: str) -> Callable[[], Any]:
            def run() -> Any:
                result = (reports.figures(s, code, period), reports.children(s, code, period),
                          reports.trend(s, code, groups, periods), reports.as_of(s, code, period))
                s.rollback()  # the end of the request
                return result
            return run

        measures = ", ".join(f"sum({m})" for m in ("registered", "verified", "started", "completed", "achieved"))

        def live(code: str) -> Callable[[], Any]:
            where, child = {"VN": ("", "province_code"), "01": ("AND province_code = :code", "commune_code")}.get(
                code, ("AND commune_code = :code", None))
            statements = [f"SELECT target_group, program, {measures} FROM report_fact "
                          f"WHERE course_id = 0 AND period <= :p {where} GROUP BY target_group, program",
                          f"SELECT period, target_group, program, {measures} FROM report_fact "
                          f"WHERE course_id = 0 AND period <= :p {where} GROUP BY period, target_group, program"]
            if child:
                statements.append(f"SELECT {child}, target_group, program, {measures} FROM report_fact "
                                  f"WHERE course_id = 0 AND period <= :p {where} "
                                  f"GROUP BY {child}, target_group, program")

            def run() -> Any:
                result = [s.execute(text(q), {"p": period, "code": code}).all() for q in statements]
                s.rollback()
                return result
            return run

        def live_base(code: str) -> Callable[[], Any]:
            where = {"VN": "", "01": "AND u.province_code = :code"}.get(code, "AND u.commune_code = :code")
            query = text(f"""
                SELECT u.target_group, count(*), count(CASE WHEN u.id_level >= 2 THEN 1 END),
                       count(CASE WHEN u.id_level >= 2 AND (e.user_id IS NOT NULL OR c.person_hash IS NOT NULL)
                                  THEN 1 END),
                       count(CASE WHEN u.id_level >= 2 AND c.person_hash IS NOT NULL THEN 1 END)
                FROM user_account u
                LEFT JOIN (SELECT DISTINCT user_id FROM enrolment) e ON e.user_id = u.id
                LEFT JOIN (SELECT DISTINCT person_hash FROM certificate WHERE revoked_at IS NULL) c
                       ON c.person_hash = u.person_hash
                WHERE u.created_at < :cutoff {where} GROUP BY u.target_group""")

            def run() -> Any:
                result = s.execute(query, {"code": code, "cutoff": now.replace(tzinfo=None)}).all()
                s.rollback()
                return result
            return run

        def call(fn: Callable[..., Any], *a: Any) -> Callable[[], Any]:
            def run() -> Any:
                result = fn(s, *a)
                s.rollback()
                return result
            return run

        out["calls"] = {}
        for name, code in PAGES.items():
            out["pages"][name] = median_ms(page(code), repeats)
            out["calls"][name] = {
                "figures": median_ms(call(reports.figures, code, period), repeats),
                "children": median_ms(call(reports.children, code, period), repeats),
                "trend": median_ms(call(reports.trend, code, groups, periods), repeats),
                "as_of": median_ms(call(reports.as_of, code, period), repeats)}
            out["live"][name] = median_ms(live(code), live_repeats, warm=1)
            out["live_base"][name] = median_ms(live_base(code), live_repeats, warm=1)

        columns = (tables.Column("unit", "Đơn vị"), tables.Column("group", "Nhóm", tables.Kind.INTEGER),
                   tables.Column("registered", "Đăng ký", tables.Kind.INTEGER),
                   tables.Column("verified", "Định danh", tables.Kind.INTEGER),
                   tables.Column("completed", "Hoàn thành", tables.Kind.INTEGER),
                   tables.Column("achieved", "Đạt", tables.Kind.INTEGER),
                   tables.Column("population", "Dân số mục tiêu", tables.Kind.INTEGER),
                   tables.Column("rate", "Tỷ lệ", tables.Kind.PERCENT, numerator="achieved",
                                 denominator="population", fallback="registered"))

        def national_xlsx() -> int:
            rows = [{"unit": f.unit_code, "group": f.group, "registered": f.registered, "verified": f.verified,
                     "completed": f.completed, "achieved": f.achieved, "population": f.population}
                    for f in reports.children(s, "VN", period)]
            table = tables.Table("Toàn quốc", now, now.isoformat(), columns, rows)
            buffer = io.BytesIO()
            xlsx.write_xlsx(table, buffer)
            s.rollback()
            return len(buffer.getvalue())

        out["xlsx_ms"] = median_ms(national_xlsx, max(3, repeats // 4), warm=1)
        out["xlsx_bytes"] = national_xlsx()

        list_columns = (tables.Column("name", "Họ tên"), tables.Column("commune", "Xã/phường"),
                        tables.Column("group", "Nhóm", tables.Kind.INTEGER),
                        tables.Column("registered", "Ngày đăng ký", tables.Kind.DATE),
                        tables.Column("verified", "Ngày định danh", tables.Kind.DATE))

        def learner_csv() -> tuple[int, int]:
            result = s.execute(text(
                "SELECT full_name, commune_code, target_group, created_at, verified_at FROM user_account "
                "WHERE province_code = '01' ORDER BY id LIMIT 10000").execution_options(
                    stream_results=True, yield_per=1000))
            rows = ({"name": r[0], "commune": r[1], "group": r[2], "registered": r[3].date(),
                     "verified": r[4].date() if r[4] else None} for r in result)
            table = tables.Table("Danh sách người học", now, now.isoformat(), list_columns, rows)
            count = size_ = 0
            for chunk in csvfile.csv_chunks(table):
                size_ += len(chunk)
            count = size_
            s.rollback()
            return count, 10_000

        learner_csv()  # warm
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM) to the current RSS
        before = _status("VmRSS")
        began = time.perf_counter()
        out["csv_bytes"], out["csv_rows"] = learner_csv()
        out["csv_ms"] = (time.perf_counter() - began) * 1000
        out["csv_growth_mb"] = (_status("VmHWM") - before) / 1024
        s.rollback()
        out.update(_requests(app, repeats))
    return out


def _requests(app: Any, repeats: int) -> dict[str, Any]:
    """Step 5: whole requests through the app, as the national demo official."""
    from flask import session as flask_session
    from sqlalchemy import select, text

    from lms.extensions import db
    from lms.models import User
    from lms.web.auth.views import fresh_login

    s = db.session
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "lms-bench"}
    official = s.scalars(select(User).where(User.email == "canbo.quocgia@example.vn")).one()
    with app.test_request_context("/", environ_base=environ):
        fresh_login(official)
        response = app.response_class()
        app.session_interface.save_session(app, flask_session, response)
        cookie = response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    s.commit()
    client = app.test_client()
    client.environ_base.update(environ)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    out: dict[str, Any] = {"requests": {}}
    for name, code in PAGES.items():
        def get(code: str = code) -> None:
            reply = client.get(f"/officials/units/{code}")
            assert reply.status_code == 200, (code, reply.status_code)
        out["requests"][name] = median_ms(get, repeats)
    moved = s.execute(text(
        "UPDATE user_account SET commune_code = '00070' WHERE id IN (SELECT id FROM user_account "
        "WHERE province_code = '01' AND role = 'learner' AND commune_code <> '00070' ORDER BY id LIMIT 30000)"))
    s.commit()
    client.get("/officials/units/00070/follow-up.csv").close()  # warm
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    began = time.perf_counter()
    reply = client.get("/officials/units/00070/follow-up.csv", buffered=False)
    assert reply.status_code == 200, reply.status_code
    lines = size = 0
    for chunk in reply.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    reply.close()
    out["followup_ms"] = (time.perf_counter() - began) * 1000
    out["followup_growth_mb"] = (_status("VmHWM") - before) / 1024
    out["followup_lines"], out["followup_bytes"], out["followup_moved"] = lines, size, moved.rowcount
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: list[dict[str, Any]]) -> None:
    first, last = results[0], results[-1]
    for r in results:
        print(f"\n{r['people']:,} people (load {r['load_s']:.0f} s, rebuild {r['rebuild_s']:.0f} s; "
              f"{r['rebuilt']}; load average {r['loadavg']})")
        print(f"  {'page':10} {'summary ms':>10} {'live facts ms':>14} {'live base ms':>13} {'live÷summary':>13}")
        for name in PAGES:
            ratio = r["live"][name] / r["pages"][name]
            print(f"  {name:10} {r['pages'][name]:10.1f} {r['live'][name]:14.1f} {r['live_base'][name]:13.1f} "
                  f"{ratio:12.0f}×")
        for name in PAGES:
            print(f"  {name:10} by call (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in r["calls"][name].items()))
        print(f"  national XLSX export: {r['xlsx_ms']:.1f} ms ({r['xlsx_bytes']:,} bytes)")
        print(f"  learner-list CSV, {r['csv_rows']:,} rows streamed: {r['csv_ms']:.0f} ms, {r['csv_bytes']:,} "
              f"bytes, memory growth {r['csv_growth_mb']:.1f} MB")
        print("  whole request, dashboard page (ms): "
              + ", ".join(f"{name} {r['requests'][name]:.1f}" for name in PAGES))
        print(f"  follow-up CSV of 00070 (after moving {r['followup_moved']:,} accounts in): "
              f"{r['followup_lines']:,} lines, {r['followup_bytes']:,} bytes, {r['followup_ms']:.0f} ms, "
              f"memory growth {r['followup_growth_mb']:.1f} MB")
    print(f"\nAims at {last['people']:,} people (against {first['people']:,}):")
    for name in PAGES:
        t, t0 = last["pages"][name], first["pages"][name]
        ratio, live = t / t0, last["live"][name] / t
        print(f"  {name:10} reads {t:6.1f} ms < 50 ms {verdict(t < 50)}; ×{ratio:.2f} of {first['people']:,} ≤ 1.2 "
              f"{verdict(ratio <= 1.2)}; live {live:.0f}× ≥ 100× {verdict(live >= 100)}")
    for name in PAGES:
        t, t0 = last["requests"][name], first["requests"][name]
        live = last["live"][name] / t
        print(f"  {name:10} whole request {t:6.1f} ms < 50 ms {verdict(t < 50)}; ×{t / t0:.2f} of "
              f"{first['people']:,} ≤ 1.2 {verdict(t / t0 <= 1.2)}; live {live:.0f}× ≥ 100× {verdict(live >= 100)}")
    x, x0 = last["xlsx_ms"], first["xlsx_ms"]
    print(f"  national XLSX {x:.1f} ms (×{x / x0:.2f})")
    print(f"  learner-list CSV memory growth {last['csv_growth_mb']:.1f} MB < 50 MB "
          f"{verdict(last['csv_growth_mb'] < 50)}")
    print(f"  commune follow-up CSV ({last['followup_lines']:,} lines) memory growth "
          f"{last['followup_growth_mb']:.1f} MB < 50 MB {verdict(last['followup_growth_mb'] < 50)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="people per run, comma-separated")
    parser.add_argument("--repeats", type=int, default=20, help="median of this many reads per page")
    parser.add_argument("--live-repeats", type=int, default=3, help="median of this many live GROUP BYs")
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 people, fewer repeats")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a throwaway server)")
    args = parser.parse_args()
    if not args.database_url:
        return reexec_with_postgres(sys.argv[1:])
    sizes = [2000, 20000] if args.quick else [int(x) for x in args.sizes.split(",")]
    repeats = 5 if args.quick else args.repeats
    instance = Path(tempfile.mkdtemp(prefix="lms-bench-reports-"))
    os.environ.update(LMS_DATABASE_URL=args.database_url, LMS_MODE="demo", LMS_INSTANCE_PATH=str(instance),
                      LMS_CONTENT_DIR=str(ROOT))
    os.environ.pop("LMS_INDEX_DIR", None)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"bench/reports.py at {commit}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; sizes {sizes}", flush=True)
    for step in (("db", "upgrade"), ("import",), ("reports", "demo"), ("officials", "demo")):
        seconds, _ = lms(*step)
        print(f"lms {' '.join(step)}: {seconds:.1f} s", flush=True)
    from sqlalchemy import create_engine, text
    engine = create_engine(args.database_url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.begin() as c:  # the live GROUP BY's indexes (the summary needs none beyond its key)
        c.execute(text("CREATE INDEX IF NOT EXISTS bench_fact_province ON report_fact (province_code, period)"))
        c.execute(text("CREATE INDEX IF NOT EXISTS bench_fact_commune ON report_fact (commune_code, period)"))
        c.execute(text("CREATE INDEX IF NOT EXISTS bench_user_province ON user_account (province_code)"))
        c.execute(text("CREATE INDEX IF NOT EXISTS bench_user_commune ON user_account (commune_code)"))
    results = []
    for size in sizes:
        load_s, _ = lms("demo", "population", "--people", str(size), "--replace")
        print(f"{size:,} people loaded in {load_s:.0f} s", flush=True)
        rebuild_s, rebuilt = lms("reports", "rebuild", "--from-base")
        print(f"rebuilt in {rebuild_s:.0f} s: {rebuilt}", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
        # BENCH_BEFORE_MEASURE / BENCH_AFTER_MEASURE: optional shell commands run around the measurements
        # (e.g. pausing other work on a shared machine); the load and rebuild above do not need them.
        if os.environ.get("BENCH_BEFORE_MEASURE"):
            subprocess.run(os.environ["BENCH_BEFORE_MEASURE"], shell=True)
        loadavg = " ".join(f"{x:.1f}" for x in os.getloadavg())
        try:
            result = measure(size, repeats, 3 if not args.quick else 2)
        finally:
            if os.environ.get("BENCH_AFTER_MEASURE"):
                subprocess.run(os.environ["BENCH_AFTER_MEASURE"], shell=True)
        result.update(load_s=load_s, rebuild_s=rebuild_s, rebuilt=rebuilt, loadavg=loadavg)
        results.append(result)
        print(json.dumps(result), flush=True)
    engine.dispose()
    report(results)
    if args.json:
        args.json.write_text(json.dumps({"commit": commit, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
