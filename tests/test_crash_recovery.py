"""Issue 9, section 3: the single SQLite server killed with SIGKILL under quiz-submit load, then started again.
Every submit that got its answer (the 302 to the result page) is in the database, graded, exactly once; the
database passes `PRAGMA integrity_check`; the restarted server serves and a learner whose submit was cut off
can still submit. The learners, their logins and started attempts are made by the benchmark's own
preparation (bench/run.py `prepare`, in a subprocess with its own environment); the server is the real one
(`lms.serving.command`, granian, 2 workers), like `.ci/serve`."""
from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from lms import serving
from tests.conftest import REPO

PREPARE = """
import json, sys
sys.path.insert(0, sys.argv[1] + "/bench")
import run as bench
instance = bench.new_instance()
prepared = bench.prepare(readers=1, failing=0, certifying=int(sys.argv[2]))
print(json.dumps({"instance": str(instance), "rows": prepared.cert_rows}))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(serving.command("127.0.0.1", port, 2), cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the server did not start")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if the server has not gone within 30 s: on a machine busy with
    other work granian's graceful stop has taken longer, and only the data matters here."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def _submit(port: int, row: list[str]) -> int | None:
    """POST one submit; its status, or None when the connection broke (no answer: not acknowledged)."""
    path, cookie, body = row
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("POST", path, body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "lms-bench"})
        response = conn.getresponse()
        response.read()
        return response.status if response.getheader("Location", "").endswith("/result") else -response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def test_a_killed_sqlite_server_loses_no_acknowledged_submit(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PREPARE, str(REPO), "120"], cwd=REPO, capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if not k.startswith("LMS_")})
    assert done.returncode == 0, done.stderr[-3000:]
    prepared = json.loads(done.stdout.strip().splitlines()[-1])
    instance, rows = Path(prepared["instance"]), prepared["rows"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LMS_")},
           "LMS_INSTANCE_PATH": str(instance), "LMS_DATABASE_URL": f"sqlite:///{instance / 'lms.db'}",
           "LMS_CONTENT_DIR": str(REPO), "LMS_MODE": "demo",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    port, log = _free_port(), tmp_path / "server.log"
    server = _start(env, port, log)
    answers: dict[int, int | None] = {}
    lock = threading.Lock()
    next_row = iter(range(len(rows)))

    def worker() -> None:
        while True:
            with lock:
                i = next(next_row, None)
            if i is None:
                return
            status = _submit(port, rows[i])
            with lock:
                answers[i] = status

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    while True:  # kill in the middle of the load, once some submits were answered
        with lock:
            if sum(1 for s in answers.values() if s == 302) >= 20:
                break
        time.sleep(0.01)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    for t in threads:
        t.join(timeout=60)
    acknowledged = [i for i, s in answers.items() if s == 302]
    unanswered = [i for i in range(len(rows)) if answers.get(i) != 302]
    assert acknowledged and unanswered, answers  # the kill happened under load

    check = sqlite3.connect(instance / "lms.db")
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        attempt_of = {i: int(rows[i][0].rsplit("/", 1)[1]) for i in range(len(rows))}
        recorded = dict(check.execute("SELECT id, submitted_at IS NOT NULL FROM quiz_attempt").fetchall())
        for i in acknowledged:
            assert recorded[attempt_of[i]] == 1, f"acknowledged submit {i} was lost"
        twice = check.execute("SELECT person_hash, course_id, count(*) FROM certificate "
                              "GROUP BY person_hash, course_id HAVING count(*) > 1").fetchall()
        assert twice == []
        submitted = check.execute("SELECT count(*) FROM quiz_attempt WHERE submitted_at IS NOT NULL").fetchone()[0]
        certified = check.execute("SELECT count(*) FROM certificate").fetchone()[0]
        assert certified == submitted  # every recorded (passing, completing) submit issued its certificate
    finally:
        check.close()

    server = _start(env, port, log)  # started again on the same database
    try:
        retried = [_submit(port, rows[i]) for i in unanswered[:5]]
        # a submit the kill cut off is either recorded already (the result page) or is recorded now
        assert all(s == 302 for s in retried), retried
    finally:
        _stop(server)
    check = sqlite3.connect(instance / "lms.db")
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for i in unanswered[:5]:
            assert check.execute("SELECT submitted_at IS NOT NULL FROM quiz_attempt WHERE id = ?",
                                 (attempt_of[i],)).fetchone() == (1,)
    finally:
        check.close()
    assert "Traceback" not in log.read_text(errors="replace")
