"""`lms db backup` / `lms db restore` (lms/backup.py) and SQLite's `synchronous` setting, on real database
files and servers: a backup taken while another process keeps writing quiz attempts is a consistent snapshot
that holds every commit made before it began; a restore gives back exactly its tables, seen by connections
that were already open (a running server among them); files that are not a backup of this code are refused
with one line naming them. On PostgreSQL (the suite's PostgreSQL run) the same round trip through pg_dump and
pg_restore."""
from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, insert, make_url, select, text
from sqlalchemy.orm import Session

from lms import create_app, migrate, serving
from lms.db import make_engine
from lms.domain.content import CompiledCourse
from lms.models import Base, Quiz, QuizAttempt, User
from tests.factories import NOW, REPO, publish
from tests.test_serving import free_port, get

SEEDED = 400  # accounts (each with two attempts) in the database before the writer starts
PADDING = "x" * 2000  # makes each seeded attempt about half a page, so the copy is not instant


# --- the writer: another process adding quiz attempts as the server's submits do --------------------------


def _add_learner(conn: Any, email: str, quiz: tuple[int, int, str]) -> None:
    """One learner and two submitted attempts, in the caller's transaction: any consistent snapshot holds
    exactly twice as many attempts as accounts."""
    quiz_id, course_id, slug = quiz
    user_id = conn.execute(insert(User.__table__).values(
        full_name="Người học", email=email, password_hash="!", target_group=3, province_code="01",
        role="learner", active=True, created_at=NOW)).inserted_primary_key[0]
    for number in (1, 2):
        conn.execute(insert(QuizAttempt.__table__).values(
            user_id=user_id, course_id=course_id, quiz_slug=slug, quiz_id=quiz_id, number=number,
            layout=[{"question": 1, "order": ["a", "b"]}], started_at=NOW, submitted_at=NOW,
            answers={"1": ["a"], "pad": PADDING}, results={"1": True}, correct=1, total=1, passed=True))


def _first_quiz(conn: Any) -> tuple[int, int, str]:
    from lms.models import CourseVersion

    row = conn.execute(select(Quiz.id, CourseVersion.course_id, Quiz.slug)
                       .join(CourseVersion, CourseVersion.id == Quiz.version_id).order_by(Quiz.id)).first()
    return int(row[0]), int(row[1]), str(row[2])


def write_learners(url: str, prefix: str, stop: Any, committed: Any, errors: Any) -> None:
    """Run in a separate process until `stop` is set: one learner and two attempts per transaction, through
    the platform's engine (its WAL settings and writers' lock), counting the commits."""
    from lms.db import write_intent

    engine = make_engine(url)
    write_intent.set(True)
    with engine.connect() as conn:
        quiz = _first_quiz(conn)
    n = 0
    while not stop.is_set():
        try:
            with engine.begin() as conn:
                _add_learner(conn, f"{prefix}-{n}@example.vn", quiz)
            n += 1
            with committed.get_lock():
                committed.value += 1
        except Exception:  # noqa: BLE001 - counted, and the test requires none
            with errors.get_lock():
                errors.value += 1
        time.sleep(0.002)
    engine.dispose()


class Writer:
    """`write_learners` in a spawned process: `committed()` is how many learners it has committed."""

    def __init__(self, url: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.stop_event = ctx.Event()
        self.count = ctx.Value("i", 0)
        self.errors = ctx.Value("i", 0)
        self.process = ctx.Process(target=write_learners, daemon=True,
                                   args=(url, uuid.uuid4().hex[:8], self.stop_event, self.count, self.errors))

    def start(self, at_least: int = 20) -> "Writer":
        self.process.start()
        deadline = time.monotonic() + 60
        while self.committed() < at_least:  # it is writing before the test goes on
            assert self.process.is_alive() and time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.05)
        return self

    def committed(self) -> int:
        return int(self.count.value)

    def stop(self) -> int:
        self.stop_event.set()
        self.process.join(30)
        assert self.process.exitcode == 0, f"the writer exited with {self.process.exitcode}"
        assert self.errors.value == 0, f"{self.errors.value} of the writer's transactions failed"
        return self.committed()


# --- helpers -----------------------------------------------------------------------------------------------


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table of the schema (and alembic_version)."""
    names = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
    with engine.connect() as conn:
        return {n: int(conn.scalar(text(f'SELECT count(*) FROM "{n}"')) or 0) for n in names}


def file_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def integrity(path: Path) -> list[str]:
    """PRAGMA integrity_check and foreign_key_check of a database file: empty when sound."""
    with sqlite3.connect(path) as conn:
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        problems = [] if problems == ["ok"] else problems
        return problems + [f"foreign key: {r}" for r in conn.execute("PRAGMA foreign_key_check")]


def printed_counts(output: str) -> dict[str, int]:
    """The `table N` pairs of a backup's or restore's second line."""
    line = output.splitlines()[1]
    return {name: int(count) for name, count in
            (pair.strip().split(" ") for pair in line.split(","))}


def error_line(stderr: str, path: Path | str) -> str:
    """The one error line, which must name `path`."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"lỗi (error): {path}: "), stderr
    return lines[0]


def seed(engine: Engine, demo_content: list[CompiledCourse], learners: int = SEEDED) -> None:
    """The demo courses published and `learners` learners with two attempts each."""
    with Session(engine) as s:
        publish(s, demo_content)
    with engine.begin() as conn:
        quiz = _first_quiz(conn)
        for n in range(learners):
            _add_learner(conn, f"seed-{n}@example.vn", quiz)


def make_app(url: str, tmp_path: Path, **config: Any) -> Flask:
    return create_app({"TESTING": True, "LMS_MODE": "demo", "PUBLIC_URL": "http://localhost",
                       "DATABASE_URL": url, "SECRET_KEY": "test-secret", "CONTENT_DIR": str(REPO),
                       "INDEX_DIR": str(tmp_path / "index"), **config}, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def live(tmp_path: Path, demo_content: list[CompiledCourse]) -> Iterator[tuple[Path, Flask]]:
    """A SQLite database file of its own (migrated, seeded) and an app on it."""
    path = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    seed(engine, demo_content)
    engine.dispose()
    app = make_app(f"sqlite:///{path}", tmp_path)
    yield path, app
    app.extensions["lms_db"].engine.dispose()


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


# --- SQLite: backup while writing, restore round trip -----------------------------------------------------


def test_backup_while_another_process_writes_is_a_consistent_snapshot_and_restores_exactly(
        live: tuple[Path, Flask], tmp_path: Path) -> None:
    """Three backups taken while a writer process commits learner after learner: each passes
    integrity_check, holds every learner committed before it began and none half-written (attempts = 2 ×
    learners), and prints the counts it holds; restoring one brings back exactly its table counts, which a
    connection opened before the restore then reads."""
    path, app = live
    url = f"sqlite:///{path}"
    server = make_engine(url)  # stands for a running server: its connection stays open throughout
    held = server.connect()
    writer = Writer(url).start()
    backups = []
    try:
        for i in range(3):
            before = writer.committed()
            result = invoke(app, "db", "backup", str(tmp_path / f"b{i}.db"))
            after = writer.committed()
            assert result.exit_code == 0, result.output
            backups.append((tmp_path / f"b{i}.db", before, after, result.stdout))
            time.sleep(0.2)
    finally:
        total = writer.stop()
    assert total > backups[0][1]  # the writer went on while backups were taken
    for file, before, after, stdout in backups:
        assert integrity(file) == []
        counts = file_counts(file)
        learners = counts["user_account"] - SEEDED
        assert before <= learners <= after, (before, learners, after)
        assert counts["quiz_attempt"] == 2 * counts["user_account"]
        assert stdout.startswith(f"sao lưu (backup): {file}  ")
        assert f"({file.stat().st_size:,} bytes)" in stdout
        assert printed_counts(stdout) == {t: counts[t] for t in printed_counts(stdout)}
        assert set(printed_counts(stdout)) == {"user_account", "course", "enrolment", "quiz_attempt", "certificate"}
        with sqlite3.connect(file) as conn:  # a single file, not a WAL database that needs its -wal
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    chosen = backups[0][0]
    expected = file_counts(chosen)
    assert table_counts(server) != expected  # the writer added learners since
    assert held.scalar(text("SELECT count(*) FROM user_account")) == SEEDED + total
    held.commit()
    result = invoke(app, "db", "restore", str(chosen), "--yes")
    assert result.exit_code == 0, result.output
    assert table_counts(server) == expected
    assert integrity(path) == []
    assert held.scalar(text("SELECT count(*) FROM user_account")) == expected["user_account"]
    assert printed_counts(result.stdout) == {t: expected[t] for t in printed_counts(result.stdout)}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    held.close()
    server.dispose()


def test_backup_refuses_to_overwrite_a_file_unless_forced(live: tuple[Path, Flask], tmp_path: Path) -> None:
    path, app = live
    target = tmp_path / "kept.db"
    target.write_bytes(b"an older backup")
    result = invoke(app, "db", "backup", str(target))
    assert result.exit_code == 1
    assert "--force" in error_line(result.stderr, target)
    assert target.read_bytes() == b"an older backup"
    assert list(tmp_path.glob(".kept.db.*")) == []  # no partial copy left behind
    forced = invoke(app, "db", "backup", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert integrity(target) == [] and file_counts(target) == file_counts(path)
    live_again = invoke(app, "db", "backup", str(path), "--force")  # never over the live database itself
    assert live_again.exit_code == 1
    error_line(live_again.stderr, path)
    assert integrity(path) == []


def _not_sqlite(path: Path, _good: Path) -> str:
    path.write_text("tên,điểm\nAn,10\n", encoding="utf-8")
    return "not a SQLite database"


def _corrupt(path: Path, good: Path) -> str:
    data = bytearray(good.read_bytes())
    page = 4096
    for start in range(3 * page, min(len(data), 40 * page), page):  # b-tree pages after the schema
        data[start:start + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    return "corrupt"


def _newer_schema(path: Path, good: Path) -> str:
    path.write_bytes(good.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff00000000'")
    return "ffff00000000"


def _foreign(path: Path, _good: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return "alembic_version"


@pytest.mark.parametrize("make_bad", [_not_sqlite, _corrupt, _newer_schema, _foreign])
def test_restore_refuses_a_file_that_is_not_a_sound_backup_of_this_code(
        live: tuple[Path, Flask], tmp_path: Path, make_bad: Any) -> None:
    """Not SQLite, corrupt, from a newer (unknown) schema or from another application: one error line naming
    the file, exit 1, and the live database unchanged."""
    path, app = live
    good = tmp_path / "good.db"
    assert invoke(app, "db", "backup", str(good)).exit_code == 0
    bad = tmp_path / "bad.db"
    expected_words = make_bad(bad, good)
    before = file_counts(path)
    result = invoke(app, "db", "restore", str(bad), "--yes")
    assert result.exit_code == 1, result.output
    assert expected_words in error_line(result.stderr, bad)
    assert result.stdout == ""
    assert file_counts(path) == before and integrity(path) == []


def test_restore_needs_yes_and_an_existing_file(live: tuple[Path, Flask], tmp_path: Path) -> None:
    path, app = live
    backup = tmp_path / "b.db"
    assert invoke(app, "db", "backup", str(backup)).exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM quiz_attempt")
    before = file_counts(path)
    unconfirmed = invoke(app, "db", "restore", str(backup))
    assert unconfirmed.exit_code == 1
    assert "--yes" in error_line(unconfirmed.stderr, backup)
    assert file_counts(path) == before
    missing = invoke(app, "db", "restore", str(tmp_path / "none.db"), "--yes")
    assert missing.exit_code == 1
    error_line(missing.stderr, tmp_path / "none.db")
    assert file_counts(path) == before


# --- SQLite: the round trip through the real command while the real server serves ------------------------


def lms(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(serving.BIN / "lms"), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_backup_and_restore_while_the_server_serves(tmp_path: Path) -> None:
    """The server of lms/serving.py keeps answering while `lms db backup` copies its database under a
    writer's load and `lms db restore` replaces it twice; the running server shows each restored state at
    once, without a restart, and the database ends exactly as the backup holds it."""
    instance = tmp_path / "instance"
    database = instance / "lms.db"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "GRANIAN_"))}
    env.update(LMS_MODE="demo", LMS_PUBLIC_URL=f"http://127.0.0.1:{port}", LMS_INSTANCE_PATH=str(instance),
               LMS_DATABASE_URL=f"sqlite:///{database}", LMS_CONTENT_DIR=str(REPO),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = lms(env, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    with (instance / "server.log").open("wb") as out:
        server = subprocess.Popen(serving.command("127.0.0.1", port, workers=2), cwd=REPO, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    statuses: list[int] = []
    polling = threading.Event()

    def poll() -> None:  # a reader of the catalog throughout
        while not polling.is_set():
            try:
                statuses.append(get(port, "/courses", timeout=30)[0])
            except OSError:
                statuses.append(0)
            time.sleep(0.05)

    def catalog() -> str:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/courses", headers={"Accept-Language": "vi"})
            reply = conn.getresponse()
            assert reply.status == 200
            return reply.read().decode("utf-8")
        finally:
            conn.close()

    poller = threading.Thread(target=poll, daemon=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (instance / "server.log").read_text(errors="replace")
            try:
                if get(port, "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 60 s"
            time.sleep(0.2)
        poller.start()
        empty = tmp_path / "empty.db"
        made = lms(env, "db", "backup", str(empty))  # no courses yet
        assert made.returncode == 0, made.stderr
        assert lms(env, "import").returncode == 0
        assert "/courses/nhan-dien-lua-dao/" in catalog()

        writer = Writer(f"sqlite:///{database}").start()
        full = tmp_path / "full.db"
        try:
            before = writer.committed()
            made = lms(env, "db", "backup", str(full))
            after = writer.committed()
        finally:
            writer.stop()
        assert made.returncode == 0, made.stderr
        assert integrity(full) == []
        held = file_counts(full)
        assert before <= held["user_account"] <= after and held["quiz_attempt"] == 2 * held["user_account"]
        assert printed_counts(made.stdout) == {t: held[t] for t in printed_counts(made.stdout)}

        gone = lms(env, "db", "restore", str(empty), "--yes")
        assert gone.returncode == 0, gone.stderr
        assert "/courses/nhan-dien-lua-dao/" not in catalog()  # the same server, at once
        assert file_counts(database) == file_counts(empty)

        back = lms(env, "db", "restore", str(full), "--yes")
        assert back.returncode == 0, back.stderr
        assert "/courses/nhan-dien-lua-dao/" in catalog()
        assert file_counts(database) == held
        assert integrity(database) == []
        Writer(f"sqlite:///{database}").start(at_least=5).stop()  # the restored database takes writes
    finally:
        polling.set()
        if poller.is_alive():
            poller.join(30)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    assert statuses and set(statuses) == {200}, sorted(set(statuses))


# --- SQLite's synchronous setting -------------------------------------------------------------------------


@pytest.mark.parametrize(("setting", "pragma"), [(None, 1), ("NORMAL", 1), ("full", 2), ("FULL", 2)])
def test_sqlite_synchronous_is_applied(tmp_path: Path, setting: str | None, pragma: int) -> None:
    """NORMAL (1) by default, FULL (2) when configured, read back from a connection of the app's engine."""
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    app = make_app(url, tmp_path, **({"SQLITE_SYNCHRONOUS": setting} if setting else {}))
    engine = app.extensions["lms_db"].engine
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


@pytest.mark.parametrize("value", ["OFF", "EXTRA", "fast", ""])
def test_a_bad_sqlite_synchronous_refuses_to_start(tmp_path: Path, value: str) -> None:
    with pytest.raises(RuntimeError, match="LMS_SQLITE_SYNCHRONOUS must be NORMAL or FULL"):
        make_app(f"sqlite:///{tmp_path / 'sync.db'}", tmp_path, SQLITE_SYNCHRONOUS=value)


def test_the_environment_variable_sets_synchronous_and_a_bad_one_stops_the_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_MODE="demo", LMS_INSTANCE_PATH=str(tmp_path / "instance"),
               LMS_DATABASE_URL=f"sqlite:///{tmp_path / 'env.db'}")
    probe = ("from lms import create_app; app = create_app(); e = app.extensions['lms_db'].engine\n"
             "with e.connect() as c: print(c.exec_driver_sql('PRAGMA synchronous').scalar())")
    full = subprocess.run([str(serving.BIN / "python"), "-c", probe], env={**env, "LMS_SQLITE_SYNCHRONOUS": "FULL"},
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert full.returncode == 0, full.stderr
    assert full.stdout.strip() == "2"
    off = lms({**env, "LMS_SQLITE_SYNCHRONOUS": "OFF", "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'off.db'}"},
              "db", "upgrade")
    assert off.returncode != 0
    assert "LMS_SQLITE_SYNCHRONOUS must be NORMAL or FULL, not 'OFF'" in off.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "off.db").exists()  # refused before anything was written


# --- PostgreSQL -------------------------------------------------------------------------------------------


@pytest.fixture
def pg_database(database_url: str) -> Iterator[str]:
    """A brand-new PostgreSQL database of the test server (never the shared test database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL round trip: this run is on SQLite (LMS_TEST_BACKENDS=postgresql .ci/test runs it)")
    name = f"lms_backup_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_backup_and_restore_round_trip(pg_database: str, tmp_path: Path,
                                                  demo_content: list[CompiledCourse]) -> None:
    """pg_dump while a writer process commits: the printed counts are those of the dump (its snapshot);
    pg_restore --clean brings them back exactly, seen by a connection opened before; a SQLite file and an
    unconfirmed restore are refused."""
    engine = make_engine(pg_database)
    migrate.upgrade(engine)
    seed(engine, demo_content)
    app = make_app(pg_database, tmp_path)
    target = tmp_path / "lms.dump"
    writer = Writer(pg_database).start()
    try:
        made = invoke(app, "db", "backup", str(target))
    finally:
        writer.stop()
    assert made.exit_code == 0, made.output
    assert target.read_bytes()[:5] == b"PGDMP"
    printed = printed_counts(made.stdout)
    assert printed["quiz_attempt"] == 2 * printed["user_account"] and printed["course"] == 2
    assert table_counts(engine)["user_account"] > printed["user_account"]  # the writer went on after the dump

    held = engine.connect()
    assert held.scalar(text("SELECT count(*) FROM quiz_attempt")) > printed["quiz_attempt"]
    held.commit()
    unconfirmed = invoke(app, "db", "restore", str(target))
    assert unconfirmed.exit_code == 1
    assert "--yes" in error_line(unconfirmed.stderr, target)
    sqlite_file = tmp_path / "other.db"
    sqlite3.connect(sqlite_file).execute("CREATE TABLE t (x)").connection.close()
    wrong = invoke(app, "db", "restore", str(sqlite_file), "--yes")
    assert wrong.exit_code == 1
    assert "pg_dump" in error_line(wrong.stderr, sqlite_file)

    restored = invoke(app, "db", "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    counts = table_counts(engine)
    assert {t: counts[t] for t in printed} == printed
    assert printed_counts(restored.stdout) == printed
    assert held.scalar(text("SELECT count(*) FROM quiz_attempt")) == printed["quiz_attempt"]
    held.close()
    with engine.begin() as conn:  # sequences were restored too: new rows get fresh ids
        _add_learner(conn, "after-restore@example.vn", _first_quiz(conn))
    app.extensions["lms_db"].engine.dispose()
    engine.dispose()
