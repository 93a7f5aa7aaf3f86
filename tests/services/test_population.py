"""The synthetic population (lms.services.population, lms.domain.population) on a few hundred people: the
invariants reports rely on, exact counts, determinism, and `--replace` deleting only synthetic rows."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lms.domain import certificates as certs
from lms.domain import population as pop
from lms.domain.statuslist import LIST_SIZE
from lms.models import Certificate, Course, Enrolment, Unit, User
from lms.services import certificates, population
from tests.factories import SCAM, PersonFactory, complete

CLOCK = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
SYNTHETIC = f"%@{pop.SYNTHETIC_EMAIL_DOMAIN}"


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several chunks even for a few hundred people, so that chunking is exercised."""
    monkeypatch.setattr(pop, "CHUNK", 97)


def _load(session: Session, people: int = 400, **kwargs: Any) -> population.Summary:
    summary = population.generate(session, population.Options(people=people, **kwargs), CLOCK)
    session.commit()
    return summary


def _count(session: Session, sql: str) -> int:
    return int(session.execute(text(sql)).scalar_one())


def _synthetic_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.email.like(SYNTHETIC)).order_by(User.email)))


def test_invariants_hold(session: Session, courses: dict[str, Course], small_chunks: None) -> None:
    summary = _load(session, 400)
    users = {u.id: u for u in _synthetic_users(session)}
    enrolments = {(e.user_id, e.course_id): e for e in session.scalars(select(Enrolment))}
    issued = list(session.scalars(select(Certificate)))
    assert issued, "some certificates"
    for cert in issued:  # every holder verified at level 2 and completed the course before the issue
        holder = users[cert.user_id]
        assert holder.person_hash == cert.person_hash and holder.id_level == 2
        assert holder.verified_at is not None and holder.verified_at <= cert.issued_at
        done = enrolments[(cert.user_id, cert.course_id)]
        assert done.completed_at is not None and done.completed_at <= cert.issued_at
        assert done.enrolled_at >= holder.created_at
        assert cert.issuer_name == pop.SYNTHETIC_ISSUER and cert.key_id == pop.SYNTHETIC_KEY_ID
        assert certs.parse_number(cert.number) == cert.number
        assert cert.number[4:8] == str(cert.issued_at.year)
        assert cert.revoked_at is None or cert.revoked_at > cert.issued_at
        assert cert.payload["synthetic"] is True and cert.signature == ""
        assert 0 <= (cert.status_index or -1) < LIST_SIZE
    assert len({c.number for c in issued}) == len(issued)
    assert len({(c.status_list, c.status_index) for c in issued}) == len(issued)
    # people: hashes 64 hex, never twice; masked IDs; verified fields only on verified accounts
    hashes = [u.person_hash for u in users.values() if u.person_hash]
    assert len(hashes) == len(set(hashes)) == summary.counts.verified
    for user in users.values():
        assert (user.person_hash is None) == (user.verified_at is None) == (user.id_masked is None)
        if user.person_hash:
            assert re.fullmatch(r"[0-9a-f]{64}", user.person_hash)
            assert re.fullmatch(r"\*{8}\d{4}", user.id_masked or "") and user.id_level in (1, 2)
        assert user.target_group in (1, 2, 3, 4) and user.password_hash == pop.SYNTHETIC_PASSWORD_HASH
        assert datetime(2025, 1, 1, tzinfo=timezone.utc) <= user.created_at < CLOCK
    # places: real communes in force, in the account's province
    communes = {code: path for code, path in session.execute(
        select(Unit.code, Unit.path).where(Unit.level == 2, Unit.valid_until.is_(None)))}
    for user in users.values():
        assert communes[user.commune_code or ""] == f"/VN/{user.province_code}/{user.commune_code}/"
    # counts add up
    c = summary.counts
    assert c.people == 400 and c.accounts == len(users) > 400
    assert c.enrolments == session.scalar(select(func.count()).select_from(Enrolment))
    assert c.completions == session.scalar(select(func.count()).select_from(Enrolment)
                                           .where(Enrolment.completed_at.is_not(None)))
    assert c.certificates == len(issued) and c.revoked == sum(x.revoked_at is not None for x in issued)
    assert c.verified_level2 == sum(u.id_level == 2 for u in users.values())
    assert c.completions > c.certificates  # unverified and level-1 people complete without a certificate


def test_two_accounts_of_one_person(session: Session, courses: dict[str, Course]) -> None:
    """The second account of a person: never verified, same name and commune as the verified one."""
    _load(session, 1500)
    users = _synthetic_users(session)
    by_email = {u.email: u for u in users}
    seconds = [u for u in users if (u.email or "").endswith(f".2@{pop.SYNTHETIC_EMAIL_DOMAIN}")]
    assert 15 <= len(seconds) <= 90  # about 3% of the ~86% verified
    for second in seconds:
        first = by_email[(second.email or "").replace(".2@", "@")]
        assert second.person_hash is None and second.verified_at is None
        assert first.person_hash is not None
        assert (first.full_name, first.commune_code, first.target_group) == (
            second.full_name, second.commune_code, second.target_group)
    assert not session.scalar(select(func.count()).select_from(Certificate)
                              .where(Certificate.user_id.in_([u.id for u in seconds])))


def _snapshot(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    users = session.execute(select(User.id, User.email, User.full_name, User.commune_code, User.target_group,
                                   User.created_at, User.person_hash, User.id_level, User.verified_at)
                            .order_by(User.id)).all()
    enrolled = session.execute(select(Enrolment.id, Enrolment.user_id, Enrolment.course_id,
                                      Enrolment.enrolled_at, Enrolment.completed_at).order_by(Enrolment.id)).all()
    issued = session.execute(select(Certificate.number, Certificate.user_id, Certificate.issued_at,
                                    Certificate.status_list, Certificate.status_index, Certificate.revoked_at)
                             .order_by(Certificate.id)).all()
    return [tuple(r) for r in users], [tuple(r) for r in enrolled], [tuple(r) for r in issued]


def test_deterministic_for_a_seed_and_a_prefix_of_a_larger_run(session: Session, courses: dict[str, Course],
                                                               small_chunks: None) -> None:
    _load(session, 300, seed=7)
    first = _snapshot(session)
    population.remove(session)
    session.commit()
    _load(session, 300, seed=7)
    assert _snapshot(session) == first
    population.remove(session)
    session.commit()
    _load(session, 300, seed=8)
    other = _snapshot(session)
    assert [u[6] for u in other[0]] != [u[6] for u in first[0]]  # another seed: other people
    population.remove(session)
    session.commit()
    _load(session, 500, seed=7)  # the first 300 people of a larger run are the same people
    larger = _snapshot(session)
    emails = {u[1] for u in first[0]}
    assert [u for u in larger[0] if u[1] in emails] == first[0]


def test_provinces_and_years(session: Session, courses: dict[str, Course]) -> None:
    _load(session, 300, provinces=("01", "79"), year_from=2026, year_to=2026)
    users = _synthetic_users(session)
    assert {u.province_code for u in users} == {"01", "79"}
    assert all(u.created_at.year == 2026 for u in users)
    assert sum(u.province_code == "79" for u in users) > sum(u.province_code == "01" for u in users)


def test_replace_removes_only_synthetic_rows(session: Session, courses: dict[str, Course],
                                            person: PersonFactory, settings: certificates.Settings) -> None:
    real = person(3)
    complete(session, real, courses[SCAM])
    cert = certificates.issue_if_eligible(session, real, courses[SCAM], CLOCK, settings)
    session.commit()
    assert cert is not None
    before = {t: _count(session, f"SELECT count(*) FROM {t}") for t in ("user_account", "enrolment", "certificate")}
    summary = _load(session, 200)
    assert population.synthetic_accounts(session) == summary.counts.accounts
    with pytest.raises(population.PopulationRefused, match="--replace"):
        population.generate(session, population.Options(people=10), CLOCK)
    session.rollback()
    assert population.remove(session) == summary.counts.accounts
    session.commit()
    after = {t: _count(session, f"SELECT count(*) FROM {t}") for t in ("user_account", "enrolment", "certificate")}
    assert after == before
    assert certificates.verify_number(session, cert.number).status == "valid"
    assert session.get(User, real.id) is not None


def test_refused_without_courses_or_with_unknown_province(session: Session) -> None:
    with pytest.raises(population.PopulationRefused, match="lms import"):
        population.generate(session, population.Options(people=10), CLOCK)


def test_refused_for_an_unknown_province(session: Session, courses: dict[str, Course]) -> None:
    with pytest.raises(population.PopulationRefused, match="02"):
        population.generate(session, population.Options(people=10, provinces=("01", "02")), CLOCK)
    assert population.synthetic_accounts(session) == 0


def test_synthetic_certificates_are_told_apart(session: Session, courses: dict[str, Course]) -> None:
    _load(session, 200)
    number = session.scalars(select(Certificate.number)).first()
    assert number is not None
    result = certificates.verify_number(session, number)
    assert result.status == "synthetic" and result.certificate is not None


def test_copy_text_fields_are_escaped() -> None:
    """COPY's text format: a tab, newline or backslash inside a value must not split or shift the row."""
    assert population._pg_field("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    assert population._pg_field("Phường Hoàn Kiếm") == "Phường Hoàn Kiếm"
    assert [population._pg_field(v) for v in (None, True, False, 3, datetime(2025, 1, 2, 3, 4, 5))] == [
        "\\N", "t", "f", "3", "2025-01-02 03:04:05"]
