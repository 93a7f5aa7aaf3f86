"""`lms officials`: grant, revoke, list, log and the demo officials, with their output and exit codes (1: refused,
nothing written)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lms.cli.officials import DEMO_OFFICIALS
from lms.models import AuditEvent, OfficialGrant, User
from tests import factories


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (s.scalar(select(func.count()).select_from(OfficialGrant)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_grant_list_log_and_revoke(runner: Any, session: Session, clean_db: Engine) -> None:
    user = factories.make_user(session, "lan@example.vn", name="Nguyễn Thị Lan", password=None)
    factories.make_user(session, "binh@example.vn", name="Trần Văn Bình", password=None)
    factories.verify_identity(user, factories.id_number(1))
    session.commit()

    refused = runner.invoke(args=["officials", "grant", "binh@example.vn", "01"])
    assert refused.exit_code == 1
    assert "not verified through VNeID at level 2" in refused.stderr
    for args, message in ((["nobody@example.vn", "01"], "no account"), (["lan@example.vn", "123"], "no unit")):
        result = runner.invoke(args=["officials", "grant", *args])
        assert result.exit_code == 1 and message in result.stderr
    assert runner.invoke(args=["officials", "grant", "lan@example.vn", "01", "--role", "boss"]).exit_code == 2
    assert counts(clean_db) == (0, 0)

    result = runner.invoke(args=["officials", "grant", "lan@example.vn", "VN", "--role", "unit_admin",
                                 "--by", "bộ phận vận hành"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "lan@example.vn: unit_admin VN Việt Nam\n"
    assert runner.invoke(args=["officials", "grant", "lan@example.vn", "00070"]).exit_code == 0
    again = runner.invoke(args=["officials", "grant", "lan@example.vn", "00070"])
    assert again.exit_code == 1 and "already has this role" in again.stderr

    listed = runner.invoke(args=["officials", "list", "01"]).stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith("00070  Phường Hoàn Kiếm") and "official" in listed[0]
    assert len(runner.invoke(args=["officials", "list"]).stdout.splitlines()) == 2
    log = runner.invoke(args=["officials", "log", "VN"]).stdout.splitlines()
    assert log[-1] == "2 events"
    assert "bộ phận vận hành  grant Nguyễn Thị Lan  VN  role=unit_admin" in log[1]

    result = runner.invoke(args=["officials", "revoke", "lan@example.vn", "00070"])
    assert result.exit_code == 0 and result.stdout == "lan@example.vn: revoked official 00070 Phường Hoàn Kiếm\n"
    missing = runner.invoke(args=["officials", "revoke", "lan@example.vn", "00070"])
    assert missing.exit_code == 1 and "no such active role" in missing.stderr
    assert counts(clean_db) == (2, 3)


def test_the_demo_officials_are_made_once(runner: Any, clean_db: Engine) -> None:
    first = runner.invoke(args=["officials", "demo"])
    assert first.exit_code == 0, first.output
    assert "canbo.tinh@example.vn: unit_admin of 01" in first.stdout
    assert counts(clean_db) == (5, 5)
    second = runner.invoke(args=["officials", "demo"])
    assert second.exit_code == 0
    assert "created" not in second.stdout and counts(clean_db) == (5, 5)
    with Session(clean_db) as s:
        people = s.scalars(select(User).where(User.email.in_([o.email for o in DEMO_OFFICIALS]))).all()
        assert len(people) == 3
        assert all(p.id_level == 2 and p.person_hash and p.role == "official" for p in people)
