"""Benchmark: serve the app as .ci/serve does (lms/serving.py, 2 workers) on SQLite with the demo content
and measure requests per second for the bare route, the catalog, a logged-in lesson page and a quiz submit,
each against the bare route.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/run.py            # full run, about 70 s
    .venv/bin/python bench/run.py --quick    # tiny counts, ~15 s: checks that the script still works
    .venv/bin/python bench/run.py --json results.json

This is a measurement, never a test: it exits 0 unless a request failed (wrong status code or no answer), the
database does not hold what the submits should have written, or the server logged a traceback. Missing an aim
is reported as MISS and does not change the exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin: the server and lms live beside the interpreter
COURSE = "nhan-dien-lua-dao"
QUIZ = "nhan-dien-lua-dao"
PASSWORD = "bench-password-123"
ATTEMPTS = 3  # the demo quiz allows 3 attempts: rounds 1-2 fail on purpose, round 3 passes
WORKERS = 2
AIM_LESSON = 0.6
AIM_SUBMIT = 0.3
LOCKED = "database is locked"
BARE, CATALOG, LESSON, SUBMIT = "bare route", "catalog", "lesson (logged in)", "quiz submit (POST)"

sys.path.insert(0, str(ROOT))

from lms import serving  # noqa: E402  (the checkout's, after the path above)


# ------------------------------------------------------------------------------------------------------------
# A minimal HTTP/1.0 client. The server closes an HTTP/1.0 connection after every response, so a
# request is: connect, send, read until the server closes. Raw sockets keep the load generator's share of
# the two cores small (http.client parses headers with the email package and costs more per request).
# ------------------------------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


class Client:
    """One browser: a cookie jar and requests to the benchmark server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, Any] | None = None,
                timeout: float = 60.0) -> Reply:
        lines = [f"{method} {path} HTTP/1.0", f"Host: 127.0.0.1:{self.port}", "User-Agent: lms-bench"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        data = b""
        if form is not None:
            data = urlencode(form, doseq=True).encode()
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(data)}"]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        chunks = []
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(raw)
            while True:
                chunk = sock.recv(262144)
                if not chunk:
                    break
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value in ("", '""'):
                    self.cookies.pop(cookie_name, None)
                else:
                    self.cookies[cookie_name] = cookie_value
            else:
                headers[name] = value
        return Reply(int(status_line.split()[1]), headers, body.decode("utf-8", "replace"))


_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_QUESTION = re.compile(r'name="q(\d+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def location_path(reply: Reply) -> str:
    return urlsplit(reply.headers.get("location", "")).path


# ------------------------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------------------------

class ServerCPU:
    """CPU seconds used so far by the server's main process and its workers (from /proc; Linux only)."""

    def __init__(self, master_pid: int) -> None:
        self.master = master_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
            return [self.master, *map(int, children)]
        except OSError:
            return [self.master]

    def seconds(self) -> float:
        total = 0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker that exited between the listing and the read
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / self.tick


@dataclass
class Result:
    """One scenario's totals over all its timed windows."""

    scenario: str
    concurrency: int
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    server_cpu: float = 0.0  # the server's CPU seconds during the timed windows
    client_cpu: float = 0.0  # this load generator's CPU seconds during the timed windows
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_ms(self) -> float:
        """Server CPU milliseconds per request: what the app costs, whatever else the machine is doing."""
        return 1000 * self.server_cpu / self.requests if self.requests else 0.0

    @property
    def client_ms(self) -> float:
        return 1000 * self.client_cpu / self.requests if self.requests else 0.0


class Tally:
    """Thread-safe counts of good and failed requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ok = 0
        self.errors = 0
        self.samples: list[str] = []

    def add(self, ok: bool, detail: str = "") -> None:
        with self.lock:
            if ok:
                self.ok += 1
            else:
                self.errors += 1
                if len(self.samples) < 5:
                    self.samples.append(detail)


class Window:
    """A timed window: wall time, server CPU and client CPU, added to a Result when it closes."""

    def __init__(self, cpu: ServerCPU | None) -> None:
        self.cpu = cpu

    def _server(self) -> float:
        return self.cpu.seconds() if self.cpu else 0.0

    def open(self) -> None:
        self.server0, self.client0, self.wall0 = self._server(), time.process_time(), time.perf_counter()

    def close(self, result: Result, tally: Tally, wall_end: float) -> None:
        result.seconds += wall_end - self.wall0
        result.server_cpu += self._server() - self.server0
        result.client_cpu += time.process_time() - self.client0
        result.requests += tally.ok + tally.errors
        result.errors += tally.errors
        result.error_samples.extend(tally.samples[:5 - len(result.error_samples)])


def get_slice(path: str, clients: list[Client], seconds: float, window: Window | None,
              result: Result | None) -> None:
    """Each client in its own thread sends GET `path` back to back for `seconds` (untimed when no window)."""
    tally = Tally()
    gate = threading.Barrier(len(clients) + 1)
    deadline = [0.0]
    finished: list[float] = []

    def loop(client: Client) -> None:
        gate.wait()
        while time.perf_counter() < deadline[0]:
            try:
                status = client.request("GET", path).status
                tally.add(status == 200, f"GET {path}: HTTP {status}")
            except OSError as exc:
                tally.add(False, f"GET {path}: {type(exc).__name__}: {exc}")
        finished.append(time.perf_counter())

    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    if window:
        window.open()
    deadline[0] = time.perf_counter() + seconds
    gate.wait()
    for t in threads:
        t.join()
    if window and result:
        window.close(result, tally, max(finished))


def get_scenario(name: str, path: str, clients: list[Client], seconds: float, warmup: float,
                 cpu: ServerCPU | None = None) -> Result:
    """One GET scenario in a single window after an untimed warm-up (bench/certificates.py uses it)."""
    get_slice(path, clients, warmup, None, None)
    result = Result(name, len(clients))
    get_slice(path, clients, seconds, Window(cpu), result)
    return result


# ------------------------------------------------------------------------------------------------------------
# Set-up: instance folder, schema, demo content, learners, server
# ------------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_instance() -> Path:
    """A temporary instance folder with SQLite, used by this process and every process it starts."""
    instance = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    os.environ["LMS_DATABASE_URL"] = f"sqlite:///{instance / 'lms.db'}"
    os.environ["LMS_CONTENT_DIR"] = str(ROOT)
    os.environ["LMS_MODE"] = "demo"  # the demo content and the VNeID stub, like `.ci/serve`
    os.environ.pop("LMS_INDEX_DIR", None)
    for name in [n for n in os.environ if n.startswith(("GUNICORN_", "GRANIAN_"))]:
        os.environ.pop(name)  # exactly the documented server of lms/serving.py, no access log
    # The server and `lms` import the checkout this script lives in, whatever the virtualenv has installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return instance


def set_up_content() -> None:
    """`lms db upgrade` and `lms import` (the demo content) through the real command, in this environment."""
    for args in (["db", "upgrade"], ["import"]):
        done = subprocess.run([str(BIN / "lms"), *args], cwd=ROOT, env=os.environ.copy(), capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise SystemExit(f"lms {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def prepare_instance(learners: int) -> dict[str, Any]:
    """Schema and demo content through the real `lms` command, then learners through the accounts service."""
    set_up_content()

    from sqlalchemy import select

    from lms import create_app
    from lms.db import write_intent
    from lms.extensions import db
    from lms.models import Course, Question, utcnow
    from lms.services import accounts

    app = create_app()
    with app.app_context():
        token = write_intent.set(True)
        try:
            for n in range(learners):
                accounts.register(db.session, accounts.Registration(
                    full_name=f"Học viên {n + 1}", email=f"learner{n + 1}@bench.example", phone=None,
                    password=PASSWORD, target_group=1 + n % 4, province_code="01", commune_code="00004"),
                    utcnow())
            db.session.commit()
        finally:
            write_intent.reset(token)
        course = db.session.scalars(select(Course).where(Course.slug == COURSE)).one()
        version = course.published
        assert version is not None
        quiz = next(q for q in version.quizzes if q.slug == QUIZ)
        keys = {q.id: {"kind": q.kind, "options": [o["key"] for o in q.options], "answer": q.answer}
                for q in db.session.scalars(select(Question).where(Question.quiz_id == quiz.id))}
        return {"lesson": version.lessons[0].slug, "keys": keys}


def answers_for(html: str, keys: dict[int, dict[str, Any]], right: bool) -> dict[str, Any]:
    """The answers to the attempt page `html`: all right, or all wrong (so another attempt is left)."""
    form: dict[str, Any] = {}
    for qid in dict.fromkeys(int(q) for q in _QUESTION.findall(html)):
        key = keys[qid]
        kind, answer = key["kind"], key["answer"]
        if kind in ("single", "multiple"):
            correct = list(answer["correct"])
            wrong = [o for o in key["options"] if o not in correct]
            if right:
                form[f"q{qid}"] = correct if kind == "multiple" else correct[0]
            else:
                form[f"q{qid}"] = wrong[0] if wrong else []
        elif kind == "text":
            form[f"q{qid}"] = answer["accepted"][0] if right else "không biết"
        else:
            value, tolerance = answer["values"][0]
            form[f"q{qid}"] = f"{value:g}" if right else f"{value + tolerance + 1000:g}"
    return form


def start_server(port: int, log: Path, workers: int = WORKERS) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        server = subprocess.Popen(serving.command("127.0.0.1", port, workers), cwd=ROOT, env=os.environ.copy(),
                                  stdout=out, stderr=subprocess.STDOUT)
    probe = Client(port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}; see {log}")
        try:
            if probe.request("GET", "/healthz", timeout=5).status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /healthz within 60 s")


def log_in(client: Client, n: int) -> None:
    """Sign in through the real form: GET /login for the CSRF token, POST it, follow the redirect."""
    page = client.request("GET", "/login")
    reply = client.request("POST", "/login", {"login": f"learner{n}@bench.example", "password": PASSWORD,
                                              "csrf_token": csrf_token(page.body)})
    if reply.status != 302:
        raise SystemExit(f"login of learner{n} failed: HTTP {reply.status}")
    landing = client.request("GET", location_path(reply))
    if landing.status != 200:
        raise SystemExit(f"after login: HTTP {landing.status}")


# ------------------------------------------------------------------------------------------------------------
# The quiz submit scenario
# ------------------------------------------------------------------------------------------------------------

class Submits:
    """Every learner uses all their attempts, one per round. Per round, untimed: start an attempt (POST with
    the CSRF token, 302 to /attempts/<id>) and open it (200); timed: `submitters` threads POST all the answers
    at once (302 to /attempts/<id>/result). Only the submits are counted."""

    def __init__(self, clients: list[Client], submitters: int, keys: dict[int, dict[str, Any]]) -> None:
        self.clients = clients
        self.submitters = submitters
        self.keys = keys
        self.quiz_page = f"/courses/{COURSE}/quiz/{QUIZ}"
        self.tokens: dict[int, str] = {}
        with ThreadPoolExecutor(submitters) as pool:
            list(pool.map(self._first_token, range(len(clients))))

    def _first_token(self, i: int) -> None:
        self.tokens[i] = csrf_token(self.clients[i].request("GET", self.quiz_page).body)

    def round(self, number: int, window: Window, result: Result) -> None:
        right = number == ATTEMPTS
        tally = Tally()
        prepared: dict[int, tuple[str, dict[str, Any]]] = {}

        def prepare(i: int) -> None:
            client = self.clients[i]
            reply = client.request("POST", f"{self.quiz_page}/start", {"csrf_token": self.tokens[i]})
            target = location_path(reply)
            if reply.status != 302 or not re.fullmatch(r"/attempts/\d+", target):
                tally.add(False, f"start: HTTP {reply.status} -> {target}")
                return
            page = client.request("GET", target)
            if page.status != 200:
                tally.add(False, f"GET {target}: HTTP {page.status}")
                return
            form = answers_for(page.body, self.keys, right)
            form["csrf_token"] = csrf_token(page.body)
            prepared[i] = (target, form)

        with ThreadPoolExecutor(self.submitters) as pool:
            list(pool.map(prepare, range(len(self.clients))))
        prepare_errors = tally.errors

        queue = list(prepared.items())
        queue_lock = threading.Lock()
        gate = threading.Barrier(self.submitters + 1)
        ends: list[float] = []

        def submit_loop() -> None:
            gate.wait()
            while True:
                with queue_lock:
                    if not queue:
                        break
                    i, (target, form) = queue.pop()
                try:
                    reply = self.clients[i].request("POST", target, form)
                    ok = reply.status == 302 and location_path(reply) == f"{target}/result"
                    tally.add(ok, f"submit {target}: HTTP {reply.status} -> {location_path(reply)}")
                except OSError as exc:
                    tally.add(False, f"submit {target}: {type(exc).__name__}: {exc}")
            ends.append(time.perf_counter())

        threads = [threading.Thread(target=submit_loop) for _ in range(self.submitters)]
        for t in threads:
            t.start()
        window.open()
        gate.wait()
        for t in threads:
            t.join()
        window.close(result, tally, max(ends))
        result.requests -= prepare_errors  # a failed start is an error, but not a submit


def check_database(learners: int) -> dict[str, int]:
    """What the submits left in the database: every attempt graded once, every learner passed at the end."""
    from sqlalchemy import func, select

    from lms import create_app
    from lms.extensions import db
    from lms.models import QuizAttempt

    app = create_app()
    with app.app_context():
        submitted = db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                      .where(QuizAttempt.submitted_at.is_not(None))) or 0
        passed = db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                   .where(QuizAttempt.passed.is_(True))) or 0
    return {"submitted_attempts": submitted, "passed_attempts": passed,
            "expected_submitted": learners * ATTEMPTS, "expected_passed": learners}


# ------------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts (~15 s) to check the script works")
    parser.add_argument("--seconds", type=float, help="measured seconds per GET scenario (8; quick 1.2)")
    parser.add_argument("--threads", type=int, default=8, help="client threads for the GET scenarios (8)")
    parser.add_argument("--submitters", type=int, help="concurrent submitters (default 50, quick 10)")
    parser.add_argument("--learners", type=int, help="learner accounts, 3 submits each (default 100)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and the server log")
    args = parser.parse_args()
    seconds = args.seconds or (1.2 if args.quick else 8.0)
    slices = 3 if args.quick else 4  # scenarios take turns, so drifting background load hits all alike
    warmup = 0.3 if args.quick else 1.0
    submitters = args.submitters or (10 if args.quick else 50)
    learners = max(args.learners or (10 if args.quick else 100), submitters, args.threads)

    began = time.perf_counter()
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure; printed with the results
    instance = new_instance()
    log = instance / "server.log"
    server: subprocess.Popen[bytes] | None = None
    try:
        print(f"instance {instance}: migrating, importing the demo content, creating {learners} learners…",
              flush=True)
        setup = prepare_instance(learners)
        port = free_port()
        server = start_server(port, log)
        window = Window(ServerCPU(server.pid))
        print(f"{Path(serving.command('127.0.0.1', port)[0]).name}, {WORKERS} workers (lms/serving.py) on "
              f"127.0.0.1:{port}; logging in {learners} learners through /login…",
              flush=True)
        clients = [Client(port) for _ in range(learners)]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: log_in(clients[n], n + 1), range(learners)))
        anonymous = [Client(port) for _ in range(args.threads)]
        readers = clients[:args.threads]
        gets = [(BARE, "/bench/bare", anonymous), (CATALOG, "/courses", anonymous),
                (LESSON, f"/courses/{COURSE}/{setup['lesson']}", readers)]
        results = {name: Result(name, len(who)) for name, _, who in gets}
        results[SUBMIT] = Result(SUBMIT, submitters)

        for _, path, who in gets:  # fills each worker's template and query caches; not counted
            get_slice(path, who, warmup, None, None)
        submits = Submits(clients, submitters, setup["keys"])
        for k in range(max(slices, ATTEMPTS)):
            if k < slices:
                print(f"slice {k + 1}/{slices}: " + ", ".join(f"GET {p}" for _, p, _ in gets)
                      + f" ({len(anonymous)} threads, {seconds / slices:.1f} s each)", flush=True)
                for name, path, who in gets:
                    get_slice(path, who, seconds / slices, window, results[name])
            if k < ATTEMPTS:
                print(f"submit round {k + 1}/{ATTEMPTS}: {len(clients)} attempts, {submitters} concurrent "
                      "submitters", flush=True)
                submits.round(k + 1, window, results[SUBMIT])
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    database = check_database(learners)
    log_text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    locked = log_text.count(LOCKED)
    tracebacks = log_text.count("Traceback")

    bare = results[BARE]

    def ratio(r: Result) -> float:
        return r.rps / bare.rps if bare.rps else 0.0

    def cpu_ratio(r: Result) -> float:
        return bare.server_ms / r.server_ms if r.server_ms else 0.0

    errors = sum(r.errors for r in results.values())
    db_ok = (database["submitted_attempts"] == database["expected_submitted"]
             and database["passed_attempts"] == database["expected_passed"])

    print()
    print(f"{'scenario':<20}{'conc.':>6}{'requests':>9}{'seconds':>8}{'req/s':>8}{'x bare':>7}"
          f"{'srv ms':>8}{'cpu x bare':>11}{'cli ms':>7}{'errors':>7}")
    for r in results.values():
        print(f"{r.scenario:<20}{r.concurrency:>6}{r.requests:>9}{r.seconds:>8.2f}{r.rps:>8.1f}"
              f"{ratio(r):>7.2f}{r.server_ms:>8.2f}{cpu_ratio(r):>11.2f}{r.client_ms:>7.2f}{r.errors:>7}")
        for sample in r.error_samples:
            print(f"    error: {sample}")
    print("srv ms / cli ms: the server's / this script's CPU milliseconds per request; "
          "cpu x bare: bare's srv ms / this one's")
    print()

    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    lesson_ratio, submit_ratio = ratio(results[LESSON]), ratio(results[SUBMIT])
    aims = [
        (f"lesson page >= {AIM_LESSON} x bare (req/s)", f"{lesson_ratio:.2f}", lesson_ratio >= AIM_LESSON),
        (f"quiz submit >= {AIM_SUBMIT} x bare (req/s)", f"{submit_ratio:.2f}", submit_ratio >= AIM_SUBMIT),
        (f'0 "{LOCKED}" ({submitters} submitters)', str(locked), locked == 0),
    ]
    print("aims (informational):")
    for text, value, ok in aims:
        print(f"  {mark(ok)}  {text:<42} {value}")
    print(f"database: {database['submitted_attempts']}/{database['expected_submitted']} attempts graded, "
          f"{database['passed_attempts']}/{database['expected_passed']} passed"
          f"{'' if db_ok else '  <-- UNEXPECTED'}; server log: {tracebacks} traceback(s)")
    total_seconds = time.perf_counter() - began
    print(f"machine: {os.cpu_count()} CPU(s), Python {platform.python_version()}, {platform.system()}; "
          f"load generator and server share the CPUs; load average before the run {load_before:.2f}; "
          f"whole run {total_seconds:.0f} s")

    if args.json:
        payload = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "load_average_before": round(load_before, 2)},
            "settings": {"quick": args.quick, "seconds": seconds, "slices": slices, "threads": args.threads,
                         "submitters": submitters, "learners": learners, "attempts_per_learner": ATTEMPTS,
                         "server": serving.command("127.0.0.1", 0, WORKERS)[1:], "workers": WORKERS},
            "results": [dict(asdict(r), rps=round(r.rps, 1), seconds=round(r.seconds, 3),
                             ratio=round(ratio(r), 3), server_ms=round(r.server_ms, 3),
                             client_ms=round(r.client_ms, 3),
                             cpu_ratio=round(cpu_ratio(r), 3)) for r in results.values()],
            "aims": [{"aim": text, "value": value, "met": ok} for text, value, ok in aims],
            "database_is_locked": locked,
            "tracebacks": tracebacks,
            "database": database,
            "run_seconds": round(total_seconds, 1),
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")

    if args.keep:
        print(f"kept {instance} (server log: {log})")
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return 1 if errors or not db_ok or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
