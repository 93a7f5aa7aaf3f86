"""Profile the lesson page and the certificate-issuing quiz submit in-process (Flask test client, cProfile),
with the sessions and attempts bench/run.py prepares. Profile before optimising:

    .venv/bin/python bench/profile_requests.py              # top 35 functions by own time, then by cumulative time
    .venv/bin/python bench/profile_requests.py --top 60 --submits 200

A measurement, not a test. CPU milliseconds per request (time.process_time) are printed with the profile off.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: instance and learners)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--lessons", type=int, default=600, help="lesson page requests (600)")
    parser.add_argument("--submits", type=int, default=120, help="certificate-issuing submits (120)")
    parser.add_argument("--only", default="", help="restrict the listings to paths matching this (e.g. lms/)")
    args = parser.parse_args()
    instance = bench.new_instance()
    try:
        prepared = bench.prepare(readers=8, failing=0, certifying=2 * args.submits)
        from lms import create_app

        app = create_app()
        client = app.test_client(use_cookies=False)  # each request carries its own session

        def get(row: tuple[str, str]) -> None:
            assert client.get(row[0], headers={"Cookie": row[1], "User-Agent": bench.USER_AGENT}).status_code == 200

        def post(row: tuple[str, str, str]) -> None:
            reply = client.post(row[0], data=row[2], headers={
                "Cookie": row[1], "User-Agent": bench.USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded"})
            assert reply.status_code == 302 and reply.headers["Location"].endswith("/result"), reply.status_code

        lessons = (prepared.lesson_rows * (args.lessons // len(prepared.lesson_rows) + 1))[:args.lessons]
        for row in lessons[:50]:
            get(row)  # warm-up: templates, caches
        plain, profiled = prepared.cert_rows[:args.submits], prepared.cert_rows[args.submits:]
        for label, rows, call in (("lesson page", lessons, get), ("certificate-issuing submit", plain, post)):
            began = time.process_time()
            for row in rows:
                call(row)  # type: ignore[operator]
            print(f"{label}: {1000 * (time.process_time() - began) / len(rows):.2f} CPU ms per request "
                  f"(in-process, {len(rows)} requests, profile off)")
        for label, rows, call in (("lesson page", lessons, get), ("certificate-issuing submit", profiled, post)):
            profile = cProfile.Profile()
            profile.enable()
            for row in rows:
                call(row)  # type: ignore[operator]
            profile.disable()
            print(f"\n===== {label}: {len(rows)} requests =====")
            stats = pstats.Stats(profile)
            restrict = [args.only, args.top] if args.only else [args.top]
            stats.sort_stats("tottime").print_stats(*restrict)
            stats.sort_stats("cumulative").print_stats(*restrict)
        return 0
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
