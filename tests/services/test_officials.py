"""Officials' roles and scope (lms.services.officials) and the audit log (lms.services.audit): who may be
granted what, where; the scope check for every unit; logins ending on every change; the audit rows."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.models import AuditEvent, LoginSession, OfficialGrant, User
from lms.services import audit, officials, sessions, units
from lms.services.officials import OfficialRefused, ScopeRefused, UnknownUnit
from tests import factories

from .conftest import NOW

HANOI, HOAN_KIEM, BA_DINH, HCM, SAIGON = "01", "00070", "00004", "79", "26740"


def rows(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def official(session: Session) -> Callable[..., User]:
    """`official(serial, email)`: a verified (level 2) learner, committed, who may be granted a role."""
    def make(serial: int, email: str | None = None, level: int = 2, verified: bool = True) -> User:
        user = factories.make_user(session, email or f"can-bo-{serial}@example.vn", password=None, when=NOW)
        if verified:
            factories.verify_identity(user, factories.id_number(serial), level, when=NOW)
        session.commit()
        return user
    return make


def grant(session: Session, user: User, code: str, role: str = "official") -> OfficialGrant:
    row = officials.grant(session, user, code, role, now=NOW, cli="cli:test")
    session.commit()
    return row


def test_an_official_sees_their_unit_and_everything_below(session: Session, official: Callable[..., User]) -> None:
    user = official(1)
    grant(session, user, HANOI)
    scope = officials.scope(session, user)
    assert scope.require(HANOI).code == HANOI
    assert scope.require(HOAN_KIEM).code == HOAN_KIEM  # a commune of Hà Nội
    assert scope.require(" 00070 ").code == HOAN_KIEM  # codes are normalised like everywhere else
    with pytest.raises(ScopeRefused) as above:
        scope.require("VN")
    assert above.value.reason == "above_scope"
    with pytest.raises(ScopeRefused) as sibling:
        scope.require(HCM)
    assert sibling.value.reason == "outside_scope"
    with pytest.raises(ScopeRefused):
        scope.require(SAIGON)  # a commune of another province
    with pytest.raises(UnknownUnit):
        scope.require("99999")
    # the official role does not manage anyone, and unit_admin alone does not read figures
    with pytest.raises(ScopeRefused):
        scope.require(HANOI, officials.UNIT_ADMIN)
    admin = official(2)
    grant(session, admin, HANOI, "unit_admin")
    admin_scope = officials.scope(session, admin)
    assert admin_scope.require(HOAN_KIEM, officials.UNIT_ADMIN).code == HOAN_KIEM
    with pytest.raises(ScopeRefused):
        admin_scope.require(HANOI)


def test_a_commune_official_sees_only_the_commune(session: Session, official: Callable[..., User]) -> None:
    user = official(1)
    grant(session, user, HOAN_KIEM)
    scope = officials.scope(session, user)
    assert [u.code for u in scope.units()] == [HOAN_KIEM]
    for code, reason in ((HANOI, "above_scope"), ("VN", "above_scope"), (BA_DINH, "outside_scope")):
        with pytest.raises(ScopeRefused) as refused:
            scope.require(code)
        assert refused.value.reason == reason, code


def test_nobody_and_revoked_officials_have_no_scope(session: Session, official: Callable[..., User]) -> None:
    assert officials.scope(session, None).empty
    user = official(1)
    assert officials.scope(session, user).empty
    row = grant(session, user, HANOI)
    officials.revoke(session, row, now=NOW, cli="cli:test")
    session.commit()
    assert officials.scope(session, user).empty
    with pytest.raises(ScopeRefused):
        officials.scope(session, user).require(HOAN_KIEM)
    grant(session, user, HANOI)
    user.active = False  # a locked account reaches nothing, whatever it was granted
    session.commit()
    assert officials.scope(session, user).empty


def test_only_verified_level_2_active_accounts_become_officials(session: Session,
                                                                official: Callable[..., User]) -> None:
    for user, reason in ((official(1, verified=False), "not_verified"), (official(2, level=1), "not_verified")):
        with pytest.raises(OfficialRefused) as refused:
            officials.grant(session, user, HANOI, "official", now=NOW, cli="cli:test")
        assert refused.value.reason == reason
    locked = official(3)
    locked.active = False
    session.commit()
    with pytest.raises(OfficialRefused) as refused:
        officials.grant(session, locked, HANOI, "official", now=NOW, cli="cli:test")
    assert refused.value.reason == "account_locked"
    session.rollback()
    assert rows(session, OfficialGrant) == 0 and rows(session, AuditEvent) == 0


def test_a_unit_admin_grants_only_inside_their_subtree(session: Session, official: Callable[..., User]) -> None:
    admin, target = official(1), official(2)
    grant(session, admin, HANOI, "unit_admin")
    scope = officials.scope(session, admin)
    hanoi = units.by_code(session, HANOI)
    for code, reason in (("VN", "above_scope"), (HCM, "outside_scope"), (SAIGON, "outside_scope")):
        with pytest.raises(ScopeRefused) as refused:
            officials.grant(session, target, code, "official", now=NOW, by=scope, within=hanoi)
        assert refused.value.reason == reason
    with pytest.raises(UnknownUnit):
        officials.grant(session, target, "ZZ", "official", now=NOW, by=scope, within=hanoi)
    # on the page of Hoàn Kiếm, a grant on Ba Đình (another commune of the admin's own province) is refused too
    with pytest.raises(ScopeRefused):
        officials.grant(session, target, BA_DINH, "official", now=NOW, by=scope,
                        within=units.by_code(session, HOAN_KIEM))
    with pytest.raises(OfficialRefused) as refused:
        officials.grant(session, admin, HOAN_KIEM, "official", now=NOW, by=scope, within=hanoi)
    assert refused.value.reason == "self"
    session.rollback()
    assert rows(session, OfficialGrant) == 1 and rows(session, AuditEvent) == 1  # the CLI grant alone

    row = officials.grant(session, target, HOAN_KIEM, "official", now=NOW, by=scope, within=hanoi, client="10.0.0.7")
    session.commit()
    assert (row.user_id, row.unit.code, row.role, row.granted_by) == (target.id, HOAN_KIEM, "official",
                                                                      f"user:{admin.id}")
    with pytest.raises(OfficialRefused) as refused:
        officials.grant(session, target, HOAN_KIEM, "official", now=NOW, by=scope, within=hanoi)
    assert refused.value.reason == "already_granted"
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.user_id, event.action, event.unit_id, event.subject_id, event.detail, event.client) == (
        admin.id, "grant", row.unit_id, target.id, "role=official", "10.0.0.7")


def test_a_grant_or_revocation_ends_every_login_and_follows_the_role(session: Session,
                                                                     official: Callable[..., User]) -> None:
    user = official(1)
    for _ in range(2):
        sessions.start(session, user, NOW, timedelta(days=1))
    session.commit()
    assert user.role == "learner"
    row = grant(session, user, HANOI)
    assert rows(session, LoginSession) == 0
    assert user.role == "official"
    sessions.start(session, user, NOW, timedelta(days=1))
    other = grant(session, user, HOAN_KIEM)
    officials.revoke(session, row, now=NOW, cli="cli:test")
    session.commit()
    assert rows(session, LoginSession) == 0
    assert user.role == "official"  # one grant left
    officials.revoke(session, other, now=NOW, cli="cli:test")
    session.commit()
    assert user.role == "learner"
    with pytest.raises(OfficialRefused) as refused:
        officials.revoke(session, other, now=NOW, cli="cli:test")
    assert refused.value.reason == "no_such_grant"
    assert row.revoked_at is not None and row.revoked_by == "cli:test"
    teacher = official(2)
    teacher.role = "teacher"
    session.commit()
    officials.revoke(session, grant(session, teacher, HANOI), now=NOW, cli="cli:test")
    assert teacher.role == "teacher"  # other roles are not touched


def test_a_unit_admin_revokes_only_inside_their_subtree(session: Session, official: Callable[..., User]) -> None:
    admin, here, there = official(1), official(2), official(3)
    grant(session, admin, HOAN_KIEM, "unit_admin")
    mine = grant(session, here, HOAN_KIEM)
    theirs = grant(session, there, BA_DINH)
    above = grant(session, there, HANOI)
    scope = officials.scope(session, admin)
    for row in (theirs, above):
        with pytest.raises(ScopeRefused):
            officials.revoke(session, row, now=NOW, by=scope)
    session.rollback()
    assert theirs.revoked_at is None and above.revoked_at is None
    own = officials.active_grants(session, admin, HOAN_KIEM)[0]
    with pytest.raises(OfficialRefused) as refused:
        officials.revoke(session, own, now=NOW, by=scope)
    assert refused.value.reason == "self"
    session.rollback()
    officials.revoke(session, mine, now=NOW, by=scope, client="10.0.0.8")
    session.commit()
    assert mine.revoked_at == NOW


def test_a_retired_unit_is_not_granted(session: Session, official: Callable[..., User]) -> None:
    units.merge(session, [BA_DINH], HOAN_KIEM, date(2025, 6, 1) + timedelta(days=60), "test", NOW)
    session.commit()
    later = NOW + timedelta(days=90)
    with pytest.raises(OfficialRefused) as refused:
        officials.grant(session, official(1), BA_DINH, "official", now=later, cli="cli:test")
    assert refused.value.reason == "unit_retired"


def test_the_audit_log_of_a_subtree_newest_first_and_paged(session: Session, official: Callable[..., User]) -> None:
    user = official(1)
    for minute, code in enumerate((HOAN_KIEM, HANOI, SAIGON, BA_DINH)):
        audit.record(session, user, "view_people", code, f"n={minute}", now=NOW + timedelta(minutes=minute),
                     client="10.0.0.1")
    session.commit()
    hanoi = units.by_code(session, HANOI)
    found = audit.log_of(session, hanoi)
    assert [e.detail for e in found.events] == ["n=3", "n=1", "n=0"]  # not the commune of TP. HCM
    assert (found.total, found.has_next) == (3, False)
    assert [e.detail for e in audit.log_of(session, units.by_code(session, "VN")).events] == [
        "n=3", "n=2", "n=1", "n=0"]
    assert [e.detail for e in audit.log_of(session, units.by_code(session, HOAN_KIEM)).events] == ["n=0"]
    first, second = audit.log_of(session, hanoi, 1, size=2), audit.log_of(session, hanoi, 2, size=2)
    assert ([e.detail for e in first.events], first.has_next) == (["n=3", "n=1"], True)
    assert ([e.detail for e in second.events], second.has_next) == (["n=0"], False)
    with pytest.raises(ValueError):
        audit.record(session, user, "looked", HANOI, now=NOW)
