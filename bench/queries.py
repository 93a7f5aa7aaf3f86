"""SQL statements per request for the benchmarked routes, in-process with the Flask test client and the
sessions and attempts bench/run.py prepares (a reader; a failing and a certificate-issuing submit).

    .venv/bin/python bench/queries.py
    .venv/bin/python bench/queries.py --show   # also print each statement of the certificate-issuing submit

A count does not depend on how busy the machine is, so it is the before/after figure to compare when a
change is meant to save queries (docs/performance.md). Like bench/run.py, this is a measurement, not a test.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: instance and learners)


def main() -> int:
    show = "--show" in sys.argv[1:]
    instance = bench.new_instance()
    try:
        prepared = bench.prepare(readers=1, failing=1, certifying=1)

        from sqlalchemy import event

        from lms import create_app
        from lms.extensions import db

        app = create_app()
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda _conn, _cur, statement, *_rest: statements.append(statement))
        client = app.test_client(use_cookies=False)
        lesson_path, cookie = prepared.lesson_rows[0]
        headers = {"Cookie": cookie, "User-Agent": bench.USER_AGENT}
        course = lesson_path.rsplit("/", 1)[0]
        rows: list[tuple[str, int, int]] = []

        def counted(label: str, method: str, path: str, **kwargs: Any) -> None:
            statements.clear()
            response = client.open(path, method=method, **kwargs)
            rows.append((label, len(statements), response.status_code))
            if show and label == "POST submit (certificate)":
                for number, statement in enumerate(statements, 1):
                    print(f"{number:>3}  {' '.join(statement.split())[:150]}")

        counted("GET /courses (anonymous)", "GET", "/courses")
        counted("GET course page", "GET", f"{course}/", headers=headers)
        counted("GET lesson page", "GET", lesson_path, headers=headers)
        for label, (path, cookie, body) in (("POST submit (fails)", prepared.fail_rows[0]),
                                            ("POST submit (certificate)", prepared.cert_rows[0])):
            counted(label, "POST", path, data=body, headers={
                "Cookie": cookie, "User-Agent": bench.USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded"})

        print(f"{'request':<28}{'SQL statements':>16}{'HTTP':>6}")
        for label, n, status in rows:
            print(f"{label:<28}{n:>16}{status:>6}")
        print("(BEGIN counts as a statement; COMMIT goes through the driver and does not)")
        return 0 if all(status in (200, 302) for _, _, status in rows) else 1
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
