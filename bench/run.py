"""Benchmark, measured with wrk: the platform served as .ci/serve does (lms/serving.py: granian, 2 workers,
BufferedWSGI) on SQLite with the demo content, against a separate minimal Flask app (bench/bare_app.py) served
by the same command, in the same run, the scenarios interleaved.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/run.py            # full run, about 5 minutes on 2 busy cores
    .venv/bin/python bench/run.py --quick    # small counts, about a minute: checks the script still works
    .venv/bin/python bench/run.py --json results.json

Scenarios (all with the same `wrk -t2 -c8`): the bare app, the catalog (anonymous), the lesson page (many
logged-in readers with different progress, spread over every lesson of both demo courses), quiz submits that
fail, and quiz submits that pass the final quiz with every lesson done, so the course completes and a signed
certificate is issued inside the request. bench/README.md says how each is prepared and counted.

A measurement, never a test: it exits 0 unless a request failed, the database does not hold exactly what the
submits should have written, or the server logged a traceback or "database is locked". Missing an aim is
reported as MISS and does not change the exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # .venv/bin: the server and lms live beside the interpreter
WORKERS = 2
THREADS, CONNECTIONS = 2, 8  # wrk -t2 -c8 for every scenario, GET and POST alike
USER_AGENT = "lms-bench"
AIM_LESSON = 0.3  # lesson req/s ÷ bare req/s
AIM_CERT_RPS = 150.0  # certificate-issuing submits per second
LOCKED = "database is locked"
BARE, CATALOG, LESSON = "bare Flask app", "catalog", "lesson (logged in)"
FAIL, CERT = "submit, fails", "submit, certificate"

sys.path.insert(0, str(ROOT))

from lms import serving  # noqa: E402  (the checkout's, after the path above)


# ------------------------------------------------------------------------------------------------------------
# wrk and the servers
# ------------------------------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    """The path of wrk; Debian's `wrk` package is installed with apt-get when it is missing (as root, or
    through sudo), like .ci/lib.sh's apt_install."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise SystemExit("wrk is missing and apt-get is not available: install wrk by hand")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing Debian's wrk package with apt-get…", flush=True)
    for args in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]):
        if subprocess.run(sudo + args, env=env).returncode != 0:
            raise SystemExit(f"could not run {' '.join(args)}: install wrk by hand "
                             "(apt-get install -y --no-install-recommends wrk)")
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerCPU:
    """CPU seconds used so far by a server's main process and its workers (from /proc; Linux only)."""

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
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    cpu: ServerCPU


def start_server(name: str, target: str, log: Path, pythonpath: str) -> Server:
    """`lms.serving.command` (the command of .ci/serve) for the factory `target` on a free port."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": pythonpath}
    with log.open("ab") as out:
        process = subprocess.Popen(serving.command("127.0.0.1", port, WORKERS, target), cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {name} server exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as reply:
                if reply.status == 200:
                    return Server(name, url, process, ServerCPU(process.pid))
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the {name} server did not answer within 60 s; see {log}")


def stop(server: Server | None) -> None:
    if server is None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


# ------------------------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------------------------

@dataclass
class Result:
    """One scenario's totals over all its slices."""

    scenario: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    server_cpu: float = 0.0  # the server's CPU seconds during the scenario's slices
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_ms(self) -> float:
        """Server CPU milliseconds per request: what a request costs, whatever else the machine is doing."""
        return 1000 * self.server_cpu / self.requests if self.requests else 0.0


def machine_info(load_before: float) -> dict[str, Any]:
    """The machine, for a --json file: CPUs, Python, platform and the load average before the run."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average_before": round(load_before, 2)}


def print_aims(title: str, aims: list[tuple[str, str, bool]], width: int) -> None:
    """One PASS/MISS line per (aim, value, met)."""
    print(title)
    for text, value, ok in aims:
        print(f"  {'PASS' if ok else 'MISS'}  {text:<{width}} {value}")


def machine_line(uptime: str, seconds: float) -> str:
    return (f"machine: {os.cpu_count()} CPU(s), Python {platform.python_version()}, {platform.platform()}; wrk "
            f"and the servers share the CPUs; before the run: {uptime}; whole run {seconds:.0f} s")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results written to {path}")


def lua_data(path: Path, rows: list[tuple[str, ...]]) -> Path:
    """A Lua file that returns `rows` as a list of lists of strings (JSON strings of ASCII are Lua strings)."""
    lines = ["return {"] + ["{" + ", ".join(json.dumps(v, ensure_ascii=True) for v in row) + "}," for row in rows]
    path.write_text("\n".join(lines + ["}"]) + "\n", encoding="ascii")
    return path


def wrk_command(wrk: str, url: str, script: str, seconds: int, data: Path) -> list[str]:
    return [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s",
            "-s", str(HERE / "wrk" / script), url, "--", str(data), str(THREADS)]


def get_slice(wrk: str, server: Server, data: Path, seconds: int, result: Result | None) -> None:
    """`wrk -t2 -c8 -d<seconds>` with bench/wrk/get.lua over the pairs in `data`; added to `result`."""
    cpu0 = server.cpu.seconds()
    done = subprocess.run(wrk_command(wrk, server.url, "get.lua", seconds, data), capture_output=True, text=True)
    cpu = server.cpu.seconds() - cpu0
    match = re.search(r"^WRK (.*)$", done.stdout, re.M)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    if result is None:
        return
    figures = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    result.requests += figures["requests"]
    result.seconds += figures["duration_us"] / 1e6
    result.server_cpu += cpu
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    result.errors += errors
    if errors:
        result.notes.append(match.group(1))


def submit_round(wrk: str, server: Server, data: Path, count: int, result: Result) -> None:
    """Every triple in `data` POSTed once through bench/wrk/submit.lua, timed from the start of wrk until its
    last thread has every answer (wrk itself always runs for its whole -d)."""
    cpu0 = server.cpu.seconds()
    began = time.perf_counter()
    bound = max(30, count // 10)  # seconds: far more than a round needs; a lost answer ends it there
    process = subprocess.Popen(wrk_command(wrk, server.url, "submit.lua", bound, data), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        if line.startswith("SUBMITS"):
            lines.append(line)
            if len(lines) == min(THREADS, count):
                break
    ended = time.perf_counter()
    cpu = server.cpu.seconds() - cpu0
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    if len(lines) < min(THREADS, count):
        result.notes.append(f"INCOMPLETE: wrk ended after {bound} s before every submit was answered: "
                            + " | ".join(line.strip() for line in lines))
    redirected = sum(int(re.search(r"redirected=(\d+)", line).group(1)) for line in lines)  # type: ignore[union-attr]
    result.requests += count
    result.seconds += ended - began
    result.server_cpu += cpu
    result.errors += count - redirected
    result.notes.extend(line.strip() for line in lines if not line.rstrip().endswith("other="))


# ------------------------------------------------------------------------------------------------------------
# Set-up: instance folder, schema, demo content, learners, their sessions and attempts
# ------------------------------------------------------------------------------------------------------------

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
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return instance


def set_up_content() -> None:
    """`lms db upgrade` and `lms import` (the demo content) through the real command, in this environment."""
    for args in (["db", "upgrade"], ["import"]):
        done = subprocess.run([str(BIN / "lms"), *args], cwd=ROOT, env=os.environ.copy(), capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise SystemExit(f"lms {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_QUESTION = re.compile(r'name="q(\d+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def answers_for(html: str, keys: dict[int, dict[str, Any]], right: bool) -> list[tuple[str, str]]:
    """The answers to the attempt page `html` (its own drawn layout): all right, or all wrong."""
    form: list[tuple[str, str]] = []
    for qid in dict.fromkeys(int(q) for q in _QUESTION.findall(html)):
        key, name = keys[qid], f"q{qid}"
        kind, answer = key["kind"], key["answer"]
        if kind in ("single", "multiple"):
            correct = list(answer["correct"])
            wrong = [o for o in key["options"] if o not in correct]
            if right:
                form += [(name, c) for c in (correct if kind == "multiple" else correct[:1])]
            elif wrong:
                form.append((name, wrong[0]))
        elif kind == "text":
            form.append((name, answer["accepted"][0] if right else "không biết"))
        else:
            value, tolerance = answer["values"][0]
            form.append((name, f"{value:g}" if right else f"{value + tolerance + 1000:g}"))
    return form


@dataclass
class Prepared:
    lesson_rows: list[tuple[str, str]]  # (path, cookie): every reader on every lesson, shuffled
    catalog_rows: list[tuple[str, str]]
    fail_rows: list[tuple[str, str, str]]  # (path, cookie, body)
    cert_rows: list[tuple[str, str, str]]
    lessons: int
    courses: int


def prepare(readers: int, failing: int, certifying: int, seed: int = 7) -> Prepared:
    """Learners through the services (identity.create_account: verified accounts, as the VNeID stub flow makes
    them; learning.mark_done for progress), a login for each through the web layer's own `fresh_login`
    (a password check costs ~1 s of scrypt here, so the login form is skipped), then each learner's page
    views and attempt start through the real app (Flask test client, same database): the session cookie,
    CSRF token and the attempt's drawn answer layout the submits send."""
    from urllib.parse import urlencode

    from flask import session as flask_session
    from sqlalchemy import select

    from lms import create_app
    from lms.db import write_intent
    from lms.domain import idnumber
    from lms.domain.verified_identity import VerifiedIdentity
    from lms.extensions import db
    from lms.models import Course, Question, utcnow
    from lms.services import identity, learning
    from lms.web.auth.views import fresh_login

    set_up_content()
    rng = random.Random(seed)
    app = create_app()
    key = str(app.config["IDENTITY_KEY"]).encode("utf-8")
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT}
    with app.app_context():
        courses = [c for c in db.session.scalars(select(Course).order_by(Course.slug)) if c.published]
        if len(courses) < 2:
            raise SystemExit("the demo content should have two published courses")
        lessons = {c.slug: [lesson.slug for lesson in c.published.lessons] for c in courses}  # type: ignore[union-attr]
        quiz_of = {}
        keys: dict[int, dict[str, Any]] = {}
        for c in courses:
            quizzes = c.published.quizzes  # type: ignore[union-attr]
            if len(quizzes) != 1:
                raise SystemExit(f"{c.slug}: the benchmark expects one (final) quiz per course")
            quiz_of[c.slug] = quizzes[0].slug
            for q in db.session.scalars(select(Question).where(Question.quiz_id == quizzes[0].id)):
                keys[q.id] = {"kind": q.kind, "options": [o["key"] for o in q.options], "answer": q.answer}

        serial = iter(range(100_000, 999_999))

        def learner(n: int, role: str) -> Any:
            born, sex = date(1970 + n % 40, 1 + n % 12, 1 + n % 28), "female" if n % 2 else "male"
            number = idnumber.generate("001", born, sex, next(serial))  # "001": the birth province (Hà Nội)
            record = identity.IdentityRecord.of(VerifiedIdentity(
                number=number, name=f"Học viên {role} {n}", birth_date=born, sex=sex, level=2, province_code="01", commune_code="00004"), key)
            return identity.create_account(db.session, record, target_group=1 + n % 4, province_code="01",
                                           commune_code="00004", email=f"{role}{n}@bench.example", phone=None,
                                           locale=None, now=utcnow())

        def cookie_of(user: Any) -> str:
            with app.test_request_context("/", environ_base=environ):
                fresh_login(user)
                response = app.response_class()
                app.session_interface.save_session(app, flask_session, response)
                return response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]

        def client_for(user: Any) -> Any:
            client = app.test_client()
            client.environ_base.update(environ)
            client.set_cookie(cookie_name, cookie_of(user))
            return client

        def current_cookie(client: Any) -> str:
            return f"{cookie_name}={client.get_cookie(cookie_name).value}"

        token = write_intent.set(True)
        try:
            people: dict[str, list[Any]] = {"reader": [], "failing": [], "certifying": []}
            for role, count in (("reader", readers), ("failing", failing), ("certifying", certifying)):
                for n in range(count):
                    user = learner(n, role)
                    course = courses[n % 2]
                    if role == "reader":  # some progress in each course, different for each reader
                        for c in courses:
                            for slug in rng.sample(lessons[c.slug], rng.randrange(len(lessons[c.slug]) + 1)):
                                learning.mark_done(db.session, user, c, slug, utcnow())
                    elif role == "certifying":  # every lesson done: passing the final quiz completes it
                        for slug in lessons[course.slug]:
                            learning.mark_done(db.session, user, course, slug, utcnow())
                    people[role].append((user, course))
                db.session.commit()
        finally:
            write_intent.reset(token)

    # The requests below run outside that app context: inside it, every request would share its `g` (Flask
    # reuses an active app context), and with it Flask-Login's user and Flask-WTF's token of the last one.
    lesson_rows: list[tuple[str, str]] = []
    for user, _ in people["reader"]:
        client = client_for(user)
        paths = [f"/courses/{c}/{slug}" for c, slugs in lessons.items() for slug in slugs]
        for path in paths:  # the first visit stores the session's CSRF token (the "done" form)
            if client.get(path).status_code != 200:
                raise SystemExit(f"GET {path}: not 200 for a reader")
        lesson_rows += [(path, current_cookie(client)) for path in paths]
    rng.shuffle(lesson_rows)

    def attempt_row(user: Any, course: Any, right: bool) -> tuple[str, str, str]:
        client = client_for(user)
        quiz_page = f"/courses/{course.slug}/quiz/{quiz_of[course.slug]}"
        page = client.get(quiz_page)
        started = client.post(f"{quiz_page}/start", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        target = started.headers.get("Location", "")
        if started.status_code != 302 or not re.search(r"/attempts/\d+$", target):
            raise SystemExit(f"start of an attempt: HTTP {started.status_code} -> {target}\n"
                             f"{started.get_data(as_text=True)[:2000]}")
        path = re.sub(r"^https?://[^/]+", "", target)
        html = client.get(path).get_data(as_text=True)
        body = urlencode([("csrf_token", csrf_token(html)), *answers_for(html, keys, right)])
        return path, current_cookie(client), body

    fail_rows = [attempt_row(u, c, False) for u, c in people["failing"]]
    cert_rows = [attempt_row(u, c, True) for u, c in people["certifying"]]
    return Prepared(lesson_rows, [("/courses", "")], fail_rows, cert_rows,
                    sum(len(v) for v in lessons.values()), len(courses))


def check_database(prepared: Prepared) -> tuple[dict[str, int], list[str]]:
    """What the submits left in the database: every answered submit graded once, every certifying learner's
    course complete with exactly one certificate, no certificate for a failing learner."""
    from sqlalchemy import func, select

    from lms import create_app
    from lms.extensions import db
    from lms.models import Certificate, Enrolment, QuizAttempt

    def ids(rows: list[tuple[str, str, str]]) -> list[int]:
        return [int(path.rsplit("/", 1)[1]) for path, _, _ in rows]

    app = create_app()
    problems: list[str] = []
    with app.app_context():
        counts: dict[str, int] = {}
        for label, rows, passed in (("failing", prepared.fail_rows, False), ("certifying", prepared.cert_rows, True)):
            attempts = list(db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(ids(rows)))))
            graded = [a for a in attempts if a.submitted_at is not None]
            counts[f"{label}_graded"] = len(graded)
            counts[f"{label}_passed"] = sum(1 for a in graded if a.passed)
            users = [a.user_id for a in attempts]
            counts[f"{label}_certificates"] = db.session.scalar(
                select(func.count()).select_from(Certificate).where(Certificate.user_id.in_(users))) or 0
            counts[f"{label}_completed"] = db.session.scalar(
                select(func.count()).select_from(Enrolment).where(Enrolment.user_id.in_(users),
                                                                  Enrolment.completed_at.is_not(None))) or 0
            if len(graded) != len(rows):
                problems.append(f"{label}: {len(graded)}/{len(rows)} attempts graded")
            if counts[f"{label}_passed"] != (len(rows) if passed else 0):
                problems.append(f"{label}: {counts[f'{label}_passed']} passed, expected {len(rows) if passed else 0}")
            expected = len(rows) if passed else 0
            if counts[f"{label}_certificates"] != expected or counts[f"{label}_completed"] != expected:
                problems.append(f"{label}: {counts[f'{label}_certificates']} certificates and "
                                f"{counts[f'{label}_completed']} completed enrolments, expected {expected}")
        twice = db.session.scalar(select(func.count()).select_from(
            select(Certificate.person_hash).group_by(Certificate.person_hash, Certificate.course_id)
            .having(func.count() > 1).subquery())) or 0
        counts["issued_twice"] = twice
        if twice:
            problems.append(f"{twice} person/course pairs with more than one certificate")
    return counts, problems


# ------------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts (about a minute): does it still work?")
    parser.add_argument("--seconds", type=int, help="seconds per GET scenario and slice (4; quick 2)")
    parser.add_argument("--readers", type=int, help="logged-in lesson readers (32; quick 8)")
    parser.add_argument("--submits", type=int, help="certificate-issuing submits, and as many failing (600; "
                                                    "quick 80)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and the server logs")
    args = parser.parse_args()
    seconds = args.seconds or (2 if args.quick else 4)  # wrk -d takes whole seconds
    slices = 2 if args.quick else 3  # scenarios take turns, so drifting background load hits all alike
    readers = args.readers or (8 if args.quick else 32)
    submits = args.submits or (80 if args.quick else 600)
    submits -= submits % (slices * THREADS)

    began = time.perf_counter()
    wrk = ensure_wrk()
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    load_before = os.getloadavg()[0]
    instance = new_instance()
    log = instance / "server.log"
    app_server: Server | None = None
    bare_server: Server | None = None
    try:
        print(f"instance {instance}: migrating, importing the demo content; {readers} readers, {submits} "
              f"failing and {submits} certifying learners with their sessions and started attempts…", flush=True)
        prepared = prepare(readers, submits, submits)
        print(f"prepared in {time.perf_counter() - began:.0f} s: {len(prepared.lesson_rows)} (reader, lesson) "
              f"pairs over {prepared.lessons} lessons of {prepared.courses} courses", flush=True)
        pythonpath = os.environ["PYTHONPATH"]
        app_server = start_server("platform", serving.TARGET, log, pythonpath)
        bare_server = start_server("bare", "bare_app:asgi_app", instance / "bare.log",
                                   os.pathsep.join([str(HERE), pythonpath]))
        data = instance / "wrk"
        data.mkdir()
        gets = [(BARE, bare_server, lua_data(data / "bare.lua", [("/", "")])),
                (CATALOG, app_server, lua_data(data / "catalog.lua", prepared.catalog_rows)),
                (LESSON, app_server, lua_data(data / "lesson.lua", prepared.lesson_rows))]
        per_round = submits // slices
        rounds = {FAIL: prepared.fail_rows, CERT: prepared.cert_rows}
        results = {name: Result(name) for name in (BARE, CATALOG, LESSON, FAIL, CERT)}
        for _, server, path in gets:  # untimed warm-up: each worker's imports, templates and caches
            get_slice(wrk, server, path, 1, None)
        for k in range(slices):
            print(f"slice {k + 1}/{slices}: wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s on "
                  f"{', '.join(name for name, _, _ in gets)}; then {per_round} failing and {per_round} "
                  "certificate-issuing submits", flush=True)
            for name, server, path in gets:
                get_slice(wrk, server, path, seconds, results[name])
            for name, rows in rounds.items():
                chunk = rows[k * per_round:(k + 1) * per_round]
                submit_round(wrk, app_server, lua_data(data / f"submit-{k}-{len(name)}.lua", chunk), len(chunk),
                             results[name])
    finally:
        stop(app_server)
        stop(bare_server)
    counts, problems = check_database(prepared)
    log_text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    locked = log_text.count(LOCKED)
    tracebacks = log_text.count("Traceback")

    bare = results[BARE]

    def ratio(r: Result) -> float:
        return r.rps / bare.rps if bare.rps else 0.0

    errors = sum(r.errors for r in results.values())
    print()
    print(f"{'scenario':<22}{'requests':>9}{'seconds':>9}{'req/s':>9}{'x bare':>8}{'srv ms/req':>11}"
          f"{'errors':>8}")
    for r in results.values():
        print(f"{r.scenario:<22}{r.requests:>9}{r.seconds:>9.2f}{r.rps:>9.1f}{ratio(r):>8.2f}{r.server_ms:>11.2f}"
              f"{r.errors:>8}")
        for note in r.notes[:3]:
            print(f"    {note}")
    print(f"every scenario: wrk -t{THREADS} -c{CONNECTIONS} ({wrk_version}); srv ms/req: the server's CPU "
          "milliseconds per request (/proc)")
    print(f'"{LOCKED}" in the server log: {locked}; tracebacks: {tracebacks}')
    print(f"database: failing submits {counts['failing_graded']}/{len(prepared.fail_rows)} graded, "
          f"{counts['failing_passed']} passed, {counts['failing_certificates']} certificates; certificate-issuing "
          f"submits {counts['certifying_graded']}/{len(prepared.cert_rows)} graded, {counts['certifying_passed']} "
          f"passed, {counts['certifying_completed']} courses completed, {counts['certifying_certificates']} "
          f"certificates, {counts['issued_twice']} issued twice" + ("" if not problems else
                                                                  "  <-- " + "; ".join(problems)))
    cert_rps, lesson_ratio = results[CERT].rps, ratio(results[LESSON])
    aims = [(f"lesson page >= {AIM_LESSON} x bare Flask app (req/s)", f"{lesson_ratio:.2f}",
             lesson_ratio >= AIM_LESSON),
            (f"certificate-issuing submits >= {AIM_CERT_RPS:g}/s", f"{cert_rps:.1f}", cert_rps >= AIM_CERT_RPS),
            (f'0 "{LOCKED}"', str(locked), locked == 0)]
    print_aims("aims (informational):", aims, 50)
    total_seconds = time.perf_counter() - began
    print(machine_line(uptime, total_seconds))

    if args.json:
        payload = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "uptime_before": uptime,
            "machine": machine_info(load_before),
            "settings": {"quick": args.quick, "seconds": seconds, "slices": slices, "readers": readers,
                         "submits": submits, "wrk": f"-t{THREADS} -c{CONNECTIONS}", "wrk_version": wrk_version,
                         "server": serving.command("127.0.0.1", 0, WORKERS)[1:]},
            "results": [dict(asdict(r), rps=round(r.rps, 1), ratio=round(ratio(r), 3),
                             server_ms=round(r.server_ms, 3)) for r in results.values()],
            "aims": [{"aim": text, "value": value, "met": ok} for text, value, ok in aims],
            "database_is_locked": locked, "tracebacks": tracebacks, "database": counts, "problems": problems,
            "run_seconds": round(total_seconds, 1),
        }
        write_json(args.json, payload)
    if args.keep:
        print(f"kept {instance} (server logs: {log}, {instance / 'bare.log'})")
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return 1 if errors or problems or tracebacks or locked else 0


if __name__ == "__main__":
    sys.exit(main())
