"""Issue point 4: the national ID number is never stored in clear. After a full verification and
certification flow, the whole platform database (every table and column, and on SQLite the raw database and
WAL files), the logs, the console output and the pages hold the keyed hash and the masked form, never the
number itself."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from lms.domain import idnumber
from lms.models import Certificate, Course
from tests.conftest import Auth, csrf_token
from tests.web.identity import A, Vneid, user_row
from tests.web.conftest import LUA_DAO, answers, attempt_id, live_quiz
from tests.web.pages import page, vi

MASKED = "********" + A.id_number[-4:]


def complete_course(client: FlaskClient, engine: Engine, slug: str) -> None:
    """Read every lesson and pass the course's quiz through the real pages."""
    with Session(engine) as s:
        version = s.scalars(select(Course).where(Course.slug == slug)).one().published
        assert version is not None
        lessons = [lesson.slug for lesson in version.lessons]
    for lesson in lessons:
        url = f"/courses/{slug}/{lesson}"
        assert client.post(f"{url}/done", data={"csrf_token": csrf_token(client, url)}).status_code == 302
    quiz_slug, _ = live_quiz(engine, slug)
    show = f"/courses/{slug}/quiz/{quiz_slug}"
    attempt = attempt_id(client.post(f"{show}/start", data={"csrf_token": csrf_token(client, show)}))
    data = {**answers(engine, attempt, right=True), "csrf_token": csrf_token(client, f"/attempts/{attempt}")}
    assert client.post(f"/attempts/{attempt}", data=data).status_code == 302


def database_dump(engine: Engine) -> str:
    """Every row of every table (Alembic's included), every column, as text."""
    lines: list[str] = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: " + " | ".join(_as_text(value) for value in row))
    return "\n".join(lines)


def _as_text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_the_raw_id_number_is_stored_and_logged_nowhere(
        published: Flask, vneid_app: Flask, auth: Auth, vneid: Vneid, client: FlaskClient, clean_db: Engine,
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    """Register, finish a course, verify as A (the certificate is issued then), open the pages: the number
    is nowhere; its keyed hash and masked form are where they should be (so the search looked at the data)."""
    caplog.set_level(logging.DEBUG)
    vneid_app.logger.setLevel(logging.DEBUG)
    number = A.id_number
    assert auth.register().status_code == 302
    complete_course(client, clean_db, LUA_DAO)
    assert vneid.verify(A).status_code == 302

    user = user_row(clean_db, "an@example.vn")
    with Session(clean_db) as s:
        issued = s.scalars(select(Certificate).where(Certificate.user_id == user.id)).all()
        assert len(issued) == 1, "the course completed before verification gets its certificate now"
        cert_number = issued[0].number

    pages = [client.get(url) for url in ("/profile", "/me", f"/certificates/{cert_number}",
                                         f"/certificates/{cert_number}.json", f"/verify/{cert_number}")]
    assert [p.status_code for p in pages] == [200] * len(pages)
    profile_html = pages[0].get_data(as_text=True)
    assert MASKED in profile_html
    assert vi("%(num)d certificate was issued for a course you completed.", num=1) in page(pages[0]).text
    for response in pages:
        assert number not in response.get_data(as_text=True)

    dump = database_dump(clean_db)
    assert idnumber.keyed_hash(number, str(vneid_app.config["IDENTITY_KEY"]).encode()) in dump
    assert MASKED in dump and cert_number in dump
    assert number not in dump

    if clean_db.dialect.name == "sqlite":
        database = Path(str(clean_db.url.database))
        raw = b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())
        assert MASKED.encode() in raw
        assert number.encode() not in raw

    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "VNeID verification of user" in logged  # the platform did log the verification …
    assert number not in logged  # … without the number
    out, err = capfd.readouterr()
    assert number not in out and number not in err
