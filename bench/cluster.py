"""Several app servers on this machine (issue 9): a throwaway PostgreSQL (.ci/lib.sh pg_start), Debian's
redis-server, two app servers (lms.serving's command, 2 workers each) and HAProxy in front (a config like
deploy/haproxy.cfg on a free loopback port), everything on 127.0.0.1 and torn down at the end.

    .venv/bin/python bench/cluster.py            # full run, a few minutes
    .venv/bin/python bench/cluster.py --quick    # smoke run: small counts, short runs

1. Throughput with wrk -t2 -c8 (bench/wrk/get.lua, bench/wrk/submit.lua; bench/run.py's preparation of
   logged-in readers and certificate-issuing submits, against the PostgreSQL): each server directly and
   the pair through HAProxy; the scaling ratio (pair / one) and the servers needed for 400,000 concurrent
   learners at one page per learner per minute (6,667 req/s); next to one server on SQLite (a short
   bench/run.py --quick run, unless --no-sqlite).
2. Fault: during certificate-issuing submits through HAProxy (a paced Python client that records every
   answer), `kill -9` one server's processes, wait, start it again. Failed requests, HAProxy's view of
   the server (stats socket, polled), and the database afterwards: every submit that got its 302 is graded,
   none twice, no certificate issued twice (the failed ones are then sent again, as a learner would).
3. PostgreSQL restarted (pg_ctl restart) during lesson reads: the answers are 503 pages, not 500, and
   the servers recover without a restart.

Both app servers, HAProxy, Redis, PostgreSQL and wrk share this machine's CPUs (2 cores here): the scaling
ratio measures the balancer's and the second server's overhead, not added capacity. A measurement: the exit
code is 1 only when a check on correctness fails (a lost or duplicated submit or certificate, a 500).
"""
from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  bench/run.py: its preparation, wrk helpers and checks
from run import Result, Server, ServerCPU  # noqa: E402

from lms import serving  # noqa: E402

NATIONAL_LEARNERS = 400_000
NATIONAL_RPS = NATIONAL_LEARNERS / 60  # one page per learner per minute: 6,667 req/s
WORKERS = 2
LIB = ROOT / ".ci" / "lib.sh"


# ------------------------------------------------------------------------------------------------------------
# Debian packages, PostgreSQL through .ci/lib.sh
# ------------------------------------------------------------------------------------------------------------

def ensure_binary(name: str, package: str) -> str:
    """The path of `name`; the Debian package is installed with .ci/lib.sh's apt_install when it is missing."""
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if found:
        return found
    print(f"installing Debian's {package} package…", flush=True)
    done = subprocess.run(["bash", "-c", f'set -euo pipefail; source "{LIB}"; apt_install {package}'])
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if done.returncode != 0 or not found:
        raise SystemExit(f"{name} is missing: apt-get install -y --no-install-recommends {package}")
    return found


@dataclass
class Postgres:
    tmp: str = ""
    bin: str = ""
    port: str = ""
    url: str = ""

    def _lib(self, body: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        script = (f'set -euo pipefail; source "{LIB}"; PG_TMP="{self.tmp}"; PG_BIN="{self.bin}"; '
                  f'PG_PORT="{self.port}"; {body}')
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=check)

    def start(self) -> None:
        done = self._lib('pg_start; echo "$PG_TMP|$PG_BIN|$PG_PORT|$PG_URL"')
        self.tmp, self.bin, self.port, self.url = done.stdout.strip().splitlines()[-1].split("|")

    def restart(self) -> float:
        began = time.perf_counter()
        self._lib('pg_as_owner "$PG_BIN/pg_ctl" --pgdata="$PG_TMP/data" --log="$PG_TMP/server.log" '
                  '--mode=fast --wait restart >/dev/null')
        return time.perf_counter() - began

    def stop(self) -> None:
        if self.tmp:
            self._lib("pg_stop", check=False)
            self.tmp = ""


# ------------------------------------------------------------------------------------------------------------
# Redis, app servers, HAProxy
# ------------------------------------------------------------------------------------------------------------

def wait_http(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer {url} within {seconds:.0f} s")


@dataclass
class App:
    name: str
    port: int
    instance: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """lms.serving's command (as .ci/serve and deploy/lms.service), this server's own instance folder."""
        began = time.perf_counter()
        env = {**os.environ, "LMS_INSTANCE_PATH": str(self.instance)}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(serving.command("127.0.0.1", self.port, WORKERS), cwd=ROOT, env=env,
                                            stdout=out, stderr=subprocess.STDOUT)
        wait_http(self.url + "/readyz", self.process, f"app server {self.name}")
        return time.perf_counter() - began

    def pids(self) -> list[int]:
        assert self.process is not None
        return ServerCPU(self.process.pid)._pids()

    def server(self) -> Server:
        assert self.process is not None
        return Server(self.name, self.url, self.process, ServerCPU(self.process.pid))

    def kill9(self) -> list[int]:
        """SIGKILL the server's main process and every worker at once (nothing gets to clean up)."""
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert self.process is not None
        self.process.wait()
        return pids

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pids = self.pids()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait()


HAPROXY_CFG = """\
# Generated by bench/cluster.py: deploy/haproxy.cfg on 127.0.0.1 without TLS, checks every 1 s.
global
    log stdout format raw local0 info
    maxconn 4096
    stats socket {sock} mode 600 level admin

defaults
    mode http
    log global
    option dontlognull
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout client 30s
    timeout connect 3s
    timeout server 60s
    timeout queue 10s
    timeout check 3s
    retries 2
    option redispatch 1

frontend www
    bind 127.0.0.1:{port}
    http-request del-header X-Forwarded-For
    option forwardfor
    default_backend lms

backend lms
    balance leastconn
    option httpchk GET /readyz
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server check inter 1s fall 2 rise 2 maxconn 64
{servers}
"""


@dataclass
class HAProxy:
    binary: str
    port: int
    folder: Path
    apps: list[App]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sock(self) -> Path:
        return self.folder / "haproxy.sock"

    @property
    def log(self) -> Path:
        return self.folder / "haproxy.log"

    def start(self) -> None:
        servers = "\n".join(f"    server {a.name} 127.0.0.1:{a.port}" for a in self.apps)
        cfg = self.folder / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(sock=self.sock, port=self.port, servers=servers))
        checked = subprocess.run([self.binary, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise SystemExit(f"haproxy -c: {checked.stdout}{checked.stderr}")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([self.binary, "-db", "-f", str(cfg)], stdout=out,
                                            stderr=subprocess.STDOUT)
        wait_http(self.url + "/", self.process, "haproxy")
        deadline = time.monotonic() + 20
        while any(state != "UP" for state in self.states().values()):
            if time.monotonic() > deadline:
                raise SystemExit(f"haproxy: servers not UP: {self.states()}")
            time.sleep(0.2)

    def command(self, text: str) -> str:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(str(self.sock))
            s.sendall(text.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def _server_rows(self) -> list[dict[str, str]]:
        """The app servers' rows of HAProxy's `show stat` (backend "lms"), as column -> value."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
        return [row for row in rows
                if row.get("pxname") == "lms" and row.get("svname") not in ("BACKEND", "FRONTEND", None)]

    def states(self) -> dict[str, str]:
        """Each app server's status in HAProxy's `show stat` (UP, DOWN, UP 1/2, DOWN 1/2, …)."""
        return {row["svname"]: row["status"] for row in self._server_rows()}

    def server_sessions(self) -> dict[str, int]:
        return {row["svname"]: int(row["stot"] or 0) for row in self._server_rows()}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class StateWatch(threading.Thread):
    """Polls HAProxy's stats socket every 0.1 s and records each change of a server's status."""

    def __init__(self, haproxy: HAProxy, t0: float) -> None:
        super().__init__(daemon=True)
        self.haproxy, self.t0 = haproxy, t0
        self.changes: list[tuple[float, str, str]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        last: dict[str, str] = {}
        while not self.halt.is_set():
            try:
                now = self.haproxy.states()
            except OSError:
                now = {}
            for name, state in now.items():
                if last.get(name) != state:
                    self.changes.append((time.perf_counter() - self.t0, name, state))
            last = now or last
            time.sleep(0.1)


# ------------------------------------------------------------------------------------------------------------
# A paced client that records every answer (wrk cannot say which request got which answer)
# ------------------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    at: float  # seconds since the run's start
    target: str
    key: str  # the path
    status: int  # 0: no HTTP answer (connection refused/reset)
    detail: str = ""


def paced(requests: list[tuple[str, str, str, str, str]], rate: float, threads: int, t0: float,
          stop_at: float | None = None) -> list[Answer]:
    """Send (target base URL, method, path, cookie, body) items at about `rate` per second over `threads`
    keep-alive connections; with `stop_at` (seconds since t0), cycle through the items until then."""
    answers: list[Answer] = []
    lock = threading.Lock()
    counter = iter(range(10**9))

    def worker() -> None:
        conns: dict[str, http.client.HTTPConnection] = {}
        while True:
            with lock:
                n = next(counter)
            if stop_at is None and n >= len(requests):
                return
            due = t0 + n / rate
            if stop_at is not None and due - t0 > stop_at:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            base, method, path, cookie, body = requests[n % len(requests)]
            host, port = base.removeprefix("http://").split(":")
            headers = {"User-Agent": run.USER_AGENT, "Cookie": cookie}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            at = time.perf_counter() - t0
            try:
                conn = conns.get(base) or http.client.HTTPConnection(host, int(port), timeout=30)
                conns[base] = conn
                conn.request(method, path, body=body or None, headers=headers)
                reply = conn.getresponse()
                content = reply.read()
                detail = reply.getheader("Location", "") or ""
                if reply.status == 503:
                    detail = "app 503 page" if reply.getheader("Retry-After") and b"<html" in content.lower() \
                        else "haproxy 503 (no server)" if b"No server is available" in content else "other 503"
                if reply.status >= 500 and reply.status != 503:
                    kind = "app page" if b"<html" in content.lower() else "plain"
                    detail = f"{kind}: {content[:80].decode(errors='replace')!r}"
                answer = Answer(at, base, path, reply.status, detail)
                if reply.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conns.pop(base, None)
            except (OSError, http.client.HTTPException) as exc:
                conns.pop(base, None)
                answer = Answer(at, base, path, 0, type(exc).__name__)
            with lock:
                answers.append(answer)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sorted(answers, key=lambda a: a.at)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def tally(answers: list[Answer]) -> str:
    counts: dict[str, int] = {}
    for a in answers:
        key = str(a.status) if a.status not in (0, 503) else (a.detail if a.status == 503 else f"no answer ({a.detail})")
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


# ------------------------------------------------------------------------------------------------------------
# The database after the fault run
# ------------------------------------------------------------------------------------------------------------

def check_submits(rows: list[tuple[str, str, str]], answered: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """For the attempts in `rows`: those that got a 302 must be graded and passed; every certifying learner
    holds at most one certificate per course, exactly one when the attempt was graded."""
    from sqlalchemy import func, select

    from lms import create_app
    from lms.extensions import db
    from lms.models import Certificate, QuizAttempt

    ids = {int(path.rsplit("/", 1)[1]): path for path, _, _ in rows}
    app = create_app()
    problems: list[str] = []
    with app.app_context():
        attempts = {a.id: a for a in db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(list(ids))))}
        graded = {i for i, a in attempts.items() if a.submitted_at is not None}
        acknowledged = {i for i, p in ids.items() if answered.get(p) == 302}
        lost = acknowledged - graded
        users = [a.user_id for a in attempts.values()]
        per_user = dict(db.session.execute(select(Certificate.user_id, func.count()).where(
            Certificate.user_id.in_(users)).group_by(Certificate.user_id)).all())
        twice = sum(1 for n in per_user.values() if n > 1)
        missing = sum(1 for i in graded if per_user.get(attempts[i].user_id, 0) != 1)
        counts = {"submits": len(ids), "acknowledged": len(acknowledged), "graded": len(graded),
                  "acknowledged_not_graded": len(lost), "graded_without_302": len(graded - acknowledged),
                  "certificates": sum(per_user.values()), "issued_twice": twice, "graded_without_one_certificate": missing}
        if lost:
            problems.append(f"{len(lost)} submits answered 302 but not in the database")
        if twice:
            problems.append(f"{twice} learners with more than one certificate")
        if missing:
            problems.append(f"{missing} graded attempts without exactly one certificate")
    return counts, problems


# ------------------------------------------------------------------------------------------------------------

@dataclass
class Figures:
    rows: list[tuple[str, str, float, int]] = field(default_factory=list)  # (scenario, target, req/s, errors)

    def add(self, scenario: str, target: str, r: Result) -> None:
        self.rows.append((scenario, target, r.rps, r.errors))

    def rps(self, scenario: str, target: str) -> float:
        return next(v for s, t, v, _ in self.rows if s == scenario and t == target)


def sqlite_figures(quick: bool) -> dict[str, float]:
    """A short bench/run.py --quick run (one server on SQLite, nothing else running): lesson and
    certificate-submit req/s."""
    out = Path(tempfile.mkstemp(prefix="lms-sqlite-", suffix=".json")[1])
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
        done = subprocess.run([sys.executable, str(HERE / "run.py"), "--quick", "--json", str(out)], cwd=ROOT,
                              env=env, capture_output=True, text=True)
        if done.returncode not in (0, 1) or not out.stat().st_size:
            print(f"bench/run.py --quick failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
            return {}
        import json

        data = json.loads(out.read_text())
        return {r["scenario"]: r["rps"] for r in data["results"]}
    finally:
        out.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: small counts, 2 s runs")
    parser.add_argument("--seconds", type=int, help="seconds per wrk GET run (4; quick 2)")
    parser.add_argument("--readers", type=int, help="logged-in lesson readers (16; quick 6)")
    parser.add_argument("--submits", type=int, help="certificate-issuing submits per wrk round (150; quick 40)")
    parser.add_argument("--fault-submits", type=int, help="submits during the kill -9 run (500; quick 240)")
    parser.add_argument("--pg-restarts", type=int, default=3, help="PostgreSQL restarts during the reads (3)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the single-server SQLite run")
    parser.add_argument("--keep", action="store_true", help="keep the folder with the logs")
    args = parser.parse_args()
    seconds = args.seconds or (2 if args.quick else 4)
    readers = args.readers or (6 if args.quick else 16)
    per_round = args.submits or (40 if args.quick else 150)
    fault_n = args.fault_submits or (240 if args.quick else 500)
    fault_rate = 40.0 if args.quick else 50.0  # submits per second during the kill run: it lasts ~6-10 s

    began = time.perf_counter()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    wrk = run.ensure_wrk()
    redis_bin = ensure_binary("redis-server", "redis-server")
    haproxy_bin = ensure_binary("haproxy", "haproxy")
    folder = Path(tempfile.mkdtemp(prefix="lms-cluster-"))
    pg = Postgres()
    redis: subprocess.Popen[bytes] | None = None
    apps: list[App] = []
    haproxy: HAProxy | None = None

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    problems: list[str] = []
    report: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        report.append(text)

    try:
        print(f"folder {folder}; starting PostgreSQL (.ci/lib.sh pg_start), redis-server…", flush=True)
        pg.start()
        redis_port = run.free_port()
        redis = subprocess.Popen([redis_bin, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                                  "--appendonly", "no", "--daemonize", "no", "--dir", str(folder)],
                                 stdout=(folder / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        instance = run.new_instance()  # LMS_MODE=demo, PYTHONPATH, content dir; the SQLite URL is replaced:
        os.environ.update({
            "LMS_DATABASE_URL": pg.url,
            "LMS_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
            "LMS_TRUSTED_PROXIES": "1",
            "LMS_SECRET_KEY": secrets.token_urlsafe(48),  # one per run, the same for every server
            "LMS_IDENTITY_KEY": secrets.token_urlsafe(48),
        })
        keys = instance / "keys"  # the certificate keys: one folder every server points at (config.py)
        for name in ("app1", "app2"):
            own = folder / name
            own.mkdir()
            (own / "config.py").write_text(f"CERTIFICATE_KEYS_DIR = {str(keys)!r}\n")
            apps.append(App(name, run.free_port(), own, folder / f"{name}.log"))
        (instance / "config.py").write_text(f"CERTIFICATE_KEYS_DIR = {str(keys)!r}\n")
        rounds = 3  # wrk submit rounds: app1 alone, app2 alone, the pair through HAProxy
        n_cert = rounds * per_round + fault_n
        print(f"preparing on PostgreSQL (bench/run.py's prepare): {readers} readers, {n_cert} certificate-issuing "
              "learners with started attempts…", flush=True)
        t = time.perf_counter()
        prepared = run.prepare(readers, 0, n_cert)
        # The signing key, made once before traffic (docs/deployment.md), in the folder both servers share.
        subprocess.run([str(run.BIN / "lms"), "certificates", "rotate-key"], cwd=ROOT, env=os.environ.copy(),
                       check=True, capture_output=True)
        print(f"prepared in {time.perf_counter() - t:.0f} s: {len(prepared.lesson_rows)} (reader, lesson) pairs",
              flush=True)
        for app in apps:
            app.start()
        haproxy = HAProxy(haproxy_bin, run.free_port(), folder, apps)
        haproxy.start()
        pg_port, haproxy_port = pg.port, haproxy.port
        print(f"up: PostgreSQL :{pg.port}, Redis :{redis_port}, {apps[0].name} :{apps[0].port}, {apps[1].name} "
              f":{apps[1].port} ({WORKERS} workers each), HAProxy :{haproxy.port}", flush=True)

        # --- 1. throughput ---------------------------------------------------------------------------------
        data = folder / "wrk"
        data.mkdir()
        lesson_lua = run.lua_data(data / "lesson.lua", prepared.lesson_rows)
        balancer = Server("haproxy", haproxy.url, haproxy.process, ServerCPU(haproxy.process.pid))  # type: ignore[arg-type]
        targets = [("app1", apps[0].server()), ("app2", apps[1].server()), ("pair", balancer)]
        for _, server in targets:  # warm-up of each worker (both servers get it through the balancer)
            run.get_slice(wrk, server, lesson_lua, 1, None)
        figures = Figures()
        print(f"lesson reads: wrk -t{run.THREADS} -c{run.CONNECTIONS} -d{seconds}s per target", flush=True)
        for name, server in targets:
            r = Result(run.LESSON)
            run.get_slice(wrk, server, lesson_lua, seconds, r)
            figures.add(run.LESSON, name, r)
        print(f"certificate-issuing submits: {per_round} per target through bench/wrk/submit.lua", flush=True)
        cert_rows = prepared.cert_rows
        for k, (name, server) in enumerate(targets):
            chunk = cert_rows[k * per_round:(k + 1) * per_round]
            r = Result(run.CERT)
            run.submit_round(wrk, server, run.lua_data(data / f"submit-{name}.lua", chunk), len(chunk), r)
            figures.add(run.CERT, name, r)
        wrk_counts, wrk_problems = check_submits(cert_rows[:rounds * per_round],
                                                 {p: 302 for p, _, _ in cert_rows[:rounds * per_round]})
        problems += wrk_problems
        fault_rows = cert_rows[rounds * per_round:]

        # --- 2. kill -9 of app2 during submits through HAProxy ----------------------------------------------
        t0 = time.perf_counter()
        watch = StateWatch(haproxy, t0)
        watch.start()
        kill_at, restart_after = 2.0, 2.5
        events: list[tuple[float, str]] = []

        def fault() -> None:
            time.sleep(kill_at)
            t = time.perf_counter() - t0
            pids = apps[1].kill9()
            events.append((t, f"kill -9 of app2's main process and workers (pids {', '.join(map(str, pids))})"))
            time.sleep(restart_after)
            t = time.perf_counter() - t0
            events.append((t, "app2 started again (lms.serving command, same port)"))
            boot = apps[1].start()
            events.append((t + boot, f"app2 answers /readyz 200 ({boot:.1f} s after its start)"))

        killer = threading.Thread(target=fault)
        killer.start()
        stat0 = haproxy.server_sessions()
        answers = paced([(haproxy.url, "POST", p, c, b) for p, c, b in fault_rows], fault_rate, 8, t0)
        killer.join()
        deadline = time.monotonic() + 15
        while haproxy.states().get("app2") != "UP" and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.3)
        watch.halt.set()
        watch.join()
        stat1 = haproxy.server_sessions()
        status_of = {a.key: a.status for a in answers}
        failed = [a for a in answers if a.status != 302]
        # A learner whose submit failed sends it again: it must be graded once, with one certificate.
        again = [(haproxy.url, "POST", p, c, b) for p, c, b in fault_rows if status_of.get(p) != 302]
        retried = paced(again, 50.0, 4, time.perf_counter()) if again else []
        fault_counts, fault_problems = check_submits(fault_rows, status_of)
        final_counts, final_problems = check_submits(fault_rows, {**status_of, **{a.key: a.status for a in retried}})
        problems += fault_problems + final_problems

        # --- 3. PostgreSQL restarted during lesson reads ----------------------------------------------------
        pids_before = {a.name: sorted(a.pids()) for a in apps}
        reads = [(base, "GET", p, c, "") for base in (haproxy.url, apps[0].url)
                 for p, c in prepared.lesson_rows[:200]]
        reads = [reads[i // 2 + (len(reads) // 2) * (i % 2)] for i in range(len(reads))]  # alternate the targets
        restart_times = [2.0 + 3.0 * k for k in range(args.pg_restarts)]
        t1 = time.perf_counter()
        pg_events: list[str] = []

        def restart_pg() -> None:
            for at in restart_times:  # several restarts: more chances to meet a request at each step
                time.sleep(max(0.0, at - (time.perf_counter() - t1)))
                took = pg.restart()
                pg_events.append(f"pg_ctl restart at {at:.1f} s took {took:.1f} s")

        restarter = threading.Thread(target=restart_pg)
        restarter.start()
        read_answers = paced(reads, 60.0, 6, t1, stop_at=restart_times[-1] + 3.0)
        restarter.join()
        pids_after = {a.name: sorted(a.pids()) for a in apps}
        tail = [a for a in read_answers if a.at > read_answers[-1].at - 1.5]
        recovered = bool(tail) and all(a.status == 200 for a in tail)
        bad = [a for a in read_answers if a.status not in (200, 503)]
        if bad:
            problems.append(f"PostgreSQL restart: {len(bad)} answers neither 200 nor 503 ({tally(bad)})")
        if not recovered:
            problems.append("PostgreSQL restart: the last 1.5 s were not all 200")
        if pids_before != pids_after:
            problems.append("PostgreSQL restart: an app server's processes changed")
    finally:
        if haproxy is not None:
            haproxy.stop()
        for app in apps:
            app.stop()
        if redis is not None and redis.poll() is None:
            redis.terminate()
            redis.wait(timeout=10)
        pg.stop()
    cluster_seconds = time.perf_counter() - began
    sqlite = {} if args.no_sqlite else sqlite_figures(args.quick)

    # --- report -------------------------------------------------------------------------------------------
    say()
    say(f"throughput (wrk -t{run.THREADS} -c{run.CONNECTIONS}; PostgreSQL fsync off; both app servers, HAProxy, "
        "Redis, PostgreSQL and wrk share this machine's CPUs)")
    say(f"{'scenario':<26}{'app1':>9}{'app2':>9}{'pair':>9}{'ratio':>8}{'SQLite':>9}   errors")
    sizing = []
    for scenario in (run.LESSON, run.CERT):
        one = (figures.rps(scenario, "app1") + figures.rps(scenario, "app2")) / 2
        pair = figures.rps(scenario, "pair")
        errors = sum(e for s, _, _, e in figures.rows if s == scenario)
        lite = sqlite.get(scenario)
        say(f"{scenario:<26}{figures.rps(scenario, 'app1'):>9.1f}{figures.rps(scenario, 'app2'):>9.1f}{pair:>9.1f}"
            f"{pair / one if one else 0:>8.2f}{(f'{lite:.1f}' if lite else '-'):>9}   {errors}")
        sizing.append((scenario, one, lite))
    say("  ratio = pair through HAProxy / one server directly (the mean of app1 and app2). On 2 shared cores this")
    say("  measures the cost of the balancer hop and of a second server, not added capacity: it cannot exceed ~1.")
    say(f"national sizing: {NATIONAL_LEARNERS:,} learners x 1 page/min = {NATIONAL_RPS:,.0f} req/s")
    for scenario, one, lite in sizing:
        if scenario == run.CERT:
            say("  if every page were a certificate-issuing submit (the heaviest request; a real mix is mostly reads):")
        need = math.ceil(NATIONAL_RPS / one) if one else 0
        line = f"  {scenario:<26} {one:7.1f} req/s per 2-worker server on PostgreSQL -> {need} servers"
        if lite:
            line += f" (at the SQLite single-server rate {lite:.1f}: {math.ceil(NATIONAL_RPS / lite)})"
        say(line)
    say("  (a server measured here had the 2 cores shared with wrk, the other server, HAProxy and PostgreSQL;"
        " one more server for failures and rolling restarts)")
    say(f"  database after the wrk submits: {wrk_counts}")
    say()
    say(f"kill -9 during {len(fault_rows)} certificate-issuing submits through HAProxy at {fault_rate:.0f}/s "
        "(8 connections):")
    timeline = events + [(at, f"HAProxy stats socket: {name} {state}") for at, name, state in watch.changes]
    for at, text in sorted(timeline):
        say(f"  {at:5.2f} s  {text}")
    say(f"  answers: {tally(answers)}")
    if failed:
        say(f"  failed: {len(failed)} between {failed[0].at:.2f} s and {failed[-1].at:.2f} s")
    say(f"  HAProxy sessions during the run: app1 +{stat1.get('app1', 0) - stat0.get('app1', 0)}, "
        f"app2 +{stat1.get('app2', 0) - stat0.get('app2', 0)}")
    health = [line.strip() for line in haproxy.log.read_text(errors="replace").splitlines()
              if "is DOWN" in line or "is UP" in line] if haproxy else []
    for line in health:
        say(f"  haproxy log: {line[:150]}")
    say(f"  database right after: {fault_counts}")
    say(f"  {len(again)} failed submits sent again ({tally(retried) if retried else '-'}); database: {final_counts}")
    say()
    say(f"PostgreSQL restarted {args.pg_restarts} times during lesson reads (half through HAProxy, half to app1 directly, 60 req/s):")
    for line in pg_events:
        say("  " + line)
    for target, label in ((haproxy.url if haproxy else "", "through HAProxy"), (apps[0].url, "app1 directly")):
        mine = [a for a in read_answers if a.target == target]
        say(f"  {label:<16} {tally(mine)}")
        for a in [a for a in mine if a.status not in (0, 200, 503)][:3]:
            say(f"  {'':<16} {a.status} at {a.at:.2f} s {a.key}: {a.detail}")
        errs = [a for a in mine if a.status != 200]
        if errs:
            say(f"  {'':<16} not 200 from {errs[0].at:.2f} s to {errs[-1].at:.2f} s")
    say(f"  recovered (last 1.5 s all 200): {recovered}; app processes unchanged: {pids_before == pids_after}")
    logs = [a.log.read_text(errors="replace") for a in apps if a.log.exists()]
    unhandled = sum(text.count("ERROR in app: Exception on") + text.count("unhandled error") for text in logs)
    checks = sum(text.count("readiness check failed") + text.count("health check failed") for text in logs)
    say(f"  unhandled exceptions (500) in the app logs: {unhandled}; failed /readyz checks logged with their "
        f"traceback: {checks}")
    if unhandled:
        problems.append(f"{unhandled} unhandled exceptions in the app logs")
    ours = [int(pg_port), redis_port, haproxy_port, *(a.port for a in apps)]
    listening = ", ".join(str(p) for p in ours if port_open(p))
    say()
    say("problems: " + ("; ".join(problems) if problems else "none"))
    say(f"torn down; still listening on its ports ({', '.join(map(str, ours))}): {listening or 'nothing'}")
    say(f"machine: {os.cpu_count()} CPUs; before the run: {uptime}; cluster part {cluster_seconds:.0f} s, "
        f"whole run {time.perf_counter() - began:.0f} s")
    if args.keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(instance, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
