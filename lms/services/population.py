"""Loading a synthetic population (lms.domain.population) into the database in bulk: PostgreSQL through
COPY, SQLite through executemany in large batches; one transaction either way (the caller commits), so a
failed load leaves nothing behind. Never one ORM object per row: a million people are millions of rows.

Also: how many synthetic people a database holds, and deleting them (`--replace`) — only the rows the
synthetic markers name (lms.domain.population), never a real account or certificate.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timezone
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..domain import openbadges
from ..domain import population as pop
from ..domain.certificates import competency_codes
from ..models import Certificate, Course, CourseVersion, Enrolment, Unit, User

_SYNTHETIC_USERS = f"SELECT id FROM user_account WHERE email LIKE '%@{pop.SYNTHETIC_EMAIL_DOMAIN}'"


class PopulationRefused(Exception):
    """Nothing was written; the message says why (Vietnamese, then English in brackets)."""


@dataclass(frozen=True)
class Options:
    people: int
    seed: int = 1
    provinces: tuple[str, ...] = ()  # empty: all
    year_from: int = 2025
    year_to: int = 2026


@dataclass
class Summary:
    counts: pop.Counts
    seconds: float
    backend: str


def synthetic_accounts(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)
                              .where(User.email.like(f"%@{pop.SYNTHETIC_EMAIL_DOMAIN}"))) or 0)


def remove(session: Session) -> int:
    """Delete every synthetic account and what hangs on it (their reporting facts and standing, enrolments,
    lesson progress, quiz attempts, certificates, logins); returns how many accounts. Real rows are untouched: only accounts with the
    synthetic e-mail domain, and their rows, are deleted."""
    count = synthetic_accounts(session)
    if not count:
        return 0
    for table in ("report_fact", "report_person", "certificate", "enrolment", "lesson_progress", "quiz_attempt", "login_session",
                  "pending_identity"):
        session.execute(text(f"DELETE FROM {table} WHERE user_id IN ({_SYNTHETIC_USERS})"))
    session.execute(text(f"DELETE FROM user_account WHERE id IN ({_SYNTHETIC_USERS})"))
    return count


def _courses(session: Session) -> tuple[pop.CourseInfo, ...]:
    rows = session.execute(select(Course, CourseVersion).join(CourseVersion,
                                                              CourseVersion.id == Course.published_version_id)
                           .order_by(Course.slug)).all()
    return tuple(pop.CourseInfo(c.id, v.id, c.slug, v.title, competency_codes(v.competencies), v.level)
                 for c, v in rows)


def _communes(session: Session, on: date) -> tuple[pop.Commune, ...]:
    """Every commune in force on `on`, with its province's code (from its path /VN/PP/CCCCC/)."""
    rows = session.execute(select(Unit.code, Unit.path, Unit.kind).where(
        Unit.level == 2, Unit.valid_from <= on, (Unit.valid_until.is_(None)) | (Unit.valid_until > on)))
    return tuple(pop.Commune(code, path.strip("/").split("/")[1], kind) for code, path, kind in rows)


def plan(session: Session, options: Options, now: datetime) -> pop.Plan:
    """The plan for `options` against this database: its published courses, its communes in force, row ids
    after the highest ones used, status lists after the last one. Refused when something is missing."""
    if options.people < 1:
        raise PopulationRefused("số người phải từ 1 trở lên (--people must be 1 or more)")
    if options.year_to < options.year_from:
        raise PopulationRefused("--year-to phải không trước --year-from (--year-to is before --year-from)")
    courses = _courses(session)
    if not courses:
        raise PopulationRefused("chưa có khóa học nào được xuất bản: chạy `lms import` trước "
                                "(no published course: run `lms import` first)")
    all_communes = _communes(session, now.date())
    if not all_communes:
        raise PopulationRefused("chưa có đơn vị hành chính: chạy `lms units sync` "
                                "(no administrative units: run `lms units sync`)")
    known = {c.province_code for c in all_communes}
    unknown = [p for p in options.provinces if p not in known]
    if unknown:
        raise PopulationRefused(f"không có tỉnh/thành phố mã {', '.join(unknown)} "
                                f"(no province in force with code {', '.join(unknown)})")
    communes = pop.communes_of(options.provinces, all_communes)
    start = datetime(options.year_from, 1, 1)
    end = datetime(options.year_to + 1, 1, 1)
    today = datetime.combine(now.astimezone(timezone.utc).date(), dtime())
    until = min(end, today)  # nothing in the future: the figures of "now" are complete
    if until <= start:
        raise PopulationRefused(f"khoảng thời gian {options.year_from}–{options.year_to} chưa bắt đầu "
                                f"(the years {options.year_from}–{options.year_to} have not begun)")

    def after(column: Any) -> int:
        return int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1

    return pop.Plan(people=options.people, seed=options.seed, communes=communes, courses=courses,
                    start=start, until=until, first_user_id=after(User.id), first_enrolment_id=after(Enrolment.id),
                    first_certificate_id=after(Certificate.id), first_status_list=after(Certificate.status_list))


def generate(session: Session, options: Options, now: datetime,
             progress: Callable[[int, pop.Counts, float], None] | None = None) -> Summary:
    """Write a synthetic population in this session's transaction (the caller commits). Refused when the
    database holds synthetic people already (the caller removes them first for --replace)."""
    if synthetic_accounts(session):
        raise PopulationRefused("cơ sở dữ liệu đã có dân số mô phỏng: dùng --replace để thay "
                                "(the database already holds a synthetic population: use --replace)")
    the_plan = plan(session, options, now)
    generator = pop.Generator(the_plan, openbadges.CREDENTIAL_FORM)
    began = time.perf_counter()
    total = pop.Counts()
    connection = session.connection()
    backend = connection.dialect.name
    writer = _PostgresWriter(connection) if backend == "postgresql" else _SqliteWriter(connection)
    writer.begin()
    try:
        for index in range(pop.chunk_count(the_plan.people)):
            chunk = generator.chunk(index)
            writer.write(chunk)
            total.add(chunk.counts)
            if progress is not None:
                progress(index, total, time.perf_counter() - began)
    except BaseException:
        writer.abort()
        raise
    writer.end(the_plan, total)
    return Summary(total, time.perf_counter() - began, backend)


# --- writers -----------------------------------------------------------------------------------------------

def _driver(connection: Any) -> Any:
    return connection.connection.driver_connection


class _SqliteWriter:
    """executemany in the transaction SQLAlchemy began; a bigger page cache for the load (one of the few
    PRAGMAs that may change inside a transaction; the connection already has WAL and synchronous=NORMAL, and
    one transaction means one sync), restored at the end."""

    def __init__(self, connection: Any) -> None:
        self.raw = _driver(connection)
        n = len(pop.USER_COLUMNS), len(pop.ENROLMENT_COLUMNS), len(pop.CERTIFICATE_COLUMNS)
        self.sql = [f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * k)})"
                    for table, cols, k in (("user_account", pop.USER_COLUMNS, n[0]),
                                           ("enrolment", pop.ENROLMENT_COLUMNS, n[1]),
                                           ("certificate", pop.CERTIFICATE_COLUMNS, n[2]))]

    def begin(self) -> None:
        cur = self.raw.cursor()
        self.cache = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute("PRAGMA cache_size=-65536")  # 64 MiB

    def write(self, chunk: pop.Chunk) -> None:
        cur = self.raw.cursor()
        cur.executemany(self.sql[0], [_sqlite_row(r) for r in chunk.users])
        cur.executemany(self.sql[1], [_sqlite_row(r) for r in chunk.enrolments])
        cur.executemany(self.sql[2], [_sqlite_row(r) for r in chunk.certificates])

    def abort(self) -> None:
        pass

    def end(self, the_plan: pop.Plan, total: pop.Counts) -> None:
        cur = self.raw.cursor()
        cur.execute(f"PRAGMA cache_size={int(self.cache)}")


def _sqlite_value(v: Any) -> Any:
    # what SQLAlchemy's SQLite DateTime/Date types store: ISO text with a space
    if isinstance(v, datetime):
        return v.isoformat(" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _sqlite_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_sqlite_value(v) for v in row)


class _PostgresWriter:
    """COPY … FROM STDIN (text format) through psycopg, one COPY per table per chunk, in the transaction;
    at the end the id sequences are moved past the ids used. The rows are formatted here and sent by one
    thread (which waits on the socket with the GIL released), so making the next chunk overlaps with the
    server's work on the last one; at most two chunks wait, so memory stays bounded."""

    def __init__(self, connection: Any) -> None:
        self.raw = _driver(connection)
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=3)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._send, name="population-copy", daemon=True)

    def begin(self) -> None:
        self.thread.start()

    def _send(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.failure is not None:
                continue  # drain: the main thread raises it
            statement, data = item
            try:
                with self.raw.cursor() as cur, cur.copy(statement) as copy:
                    copy.write(data)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self.failure = exc

    def _put(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        if self.failure is not None:
            self._stop()
        data = "".join("\t".join(map(_pg_field, row)) + "\n" for row in rows)
        self.queue.put((f"COPY {table} ({', '.join(columns)}) FROM STDIN", data))

    def write(self, chunk: pop.Chunk) -> None:
        self._put("user_account", pop.USER_COLUMNS, chunk.users)
        self._put("enrolment", pop.ENROLMENT_COLUMNS, chunk.enrolments)
        self._put("certificate", pop.CERTIFICATE_COLUMNS, chunk.certificates)

    def _stop(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def abort(self) -> None:
        """Stop the sending thread after an error elsewhere (the caller rolls back)."""
        self.failure = self.failure or RuntimeError("aborted")
        self.queue.put(None)
        self.thread.join()

    def end(self, the_plan: pop.Plan, total: pop.Counts) -> None:
        self._stop()
        with self.raw.cursor() as cur:
            for table in ("user_account", "enrolment", "certificate"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))")


_PG_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _pg_field(v: Any) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):  # str.translate looks up every character: only for the rare string that needs it
        return v.translate(_PG_ESCAPES) if ("\\" in v or "\t" in v or "\n" in v or "\r" in v) else v
    if isinstance(v, datetime):
        return v.isoformat(" ")
    return str(v)
