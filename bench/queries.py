"""SQL statements per request for the benchmarked routes, in-process with the Flask test client.

    .venv/bin/python bench/queries.py

A count does not depend on how busy the machine is, so it is the before/after figure to compare when a
change is meant to save queries (docs/performance.md). Like bench/run.py, this is a measurement, not a test.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: instance set-up and the quiz answer helper)

LOGIN = "learner1@bench.example"


def main() -> int:
    instance = bench.new_instance()
    try:
        setup = bench.prepare_instance(learners=1)

        from sqlalchemy import event

        from lms import create_app
        from lms.extensions import db

        app = create_app()
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda _conn, _cur, statement, *_rest: statements.append(statement))
        client = app.test_client()

        def counted(request: Callable[[], Any]) -> tuple[int, Any]:
            statements.clear()
            response = request()
            return len(statements), response

        token = bench.csrf_token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"login": LOGIN, "password": bench.PASSWORD,
                                           "csrf_token": token}).status_code == 302
        course = f"/courses/{bench.COURSE}"
        quiz = f"{course}/quiz/{bench.QUIZ}"
        rows: list[tuple[str, int, int]] = []
        for label, path in (("GET /bench/bare", "/bench/bare"), ("GET /courses", "/courses"),
                            ("GET course page", f"{course}/"),
                            ("GET lesson page", f"{course}/{setup['lesson']}"), ("GET quiz page", quiz)):
            client.get(path)  # the first request of a session may store a CSRF token; count the second
            n, response = counted(lambda: client.get(path))
            rows.append((label, n, response.status_code))
        for right in (False, True):
            token = bench.csrf_token(client.get(quiz).get_data(as_text=True))
            target = client.post(f"{quiz}/start", data={"csrf_token": token}).headers["Location"]
            html = client.get(target).get_data(as_text=True)
            form = bench.answers_for(html, setup["keys"], right)
            form["csrf_token"] = bench.csrf_token(html)
            n, response = counted(lambda: client.post(target, data=form))
            rows.append((f"POST submit ({'passes' if right else 'fails'})", n, response.status_code))

        print(f"{'request (logged in)':<28}{'SQL statements':>16}{'HTTP':>6}")
        for label, n, status in rows:
            print(f"{label:<28}{n:>16}{status:>6}")
        print("(BEGIN counts as a statement; COMMIT goes through the driver and does not)")
        return 0 if all(status in (200, 302) for _, _, status in rows) else 1
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
