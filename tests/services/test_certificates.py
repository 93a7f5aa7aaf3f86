"""Certificate use cases on a real database: signing keys and rotation, issuing only to verified people who
completed, exactly once per person and course (also under concurrent requests), the hook in the learning
flow, issuing pending certificates after a verification, revoking and checking numbers."""
from __future__ import annotations

import json
import stat
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lms.db import make_engine, write_intent
from lms.domain import certificates as certs
from lms.domain import openbadges
from lms.models import Certificate, Course, QuizAttempt, SigningKey, User
from lms.services import certificates, learning
from tests.factories import NOW, SCAM, VNEID, PersonFactory, complete, id_number
from tests.web.conftest import answers


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Certificate)) or 0


# --- keys --------------------------------------------------------------------------------------------------

def test_first_key_is_generated_into_the_keys_folder(session: Session,
                                                     settings: certificates.Settings) -> None:
    """The first use makes a key: a 0600 PEM named by its RFC 7638 thumbprint, and the public JWK recorded."""
    row, key = certificates.active_key(session, settings.keys_dir, NOW)
    session.commit()
    path = settings.keys_dir / f"{row.kid}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert row.kid == certs.public_jwk(key)["kid"] == certs.thumbprint(row.public_jwk)
    assert "d" not in row.public_jwk  # never the private part
    again, _ = certificates.active_key(session, settings.keys_dir, NOW + timedelta(days=1))
    assert again.kid == row.kid and len(list(settings.keys_dir.iterdir())) == 1


def test_missing_private_key_is_a_clear_error(session: Session, settings: certificates.Settings) -> None:
    """A key recorded in the database but absent from this server's folder is reported by name."""
    row, _ = certificates.active_key(session, settings.keys_dir, NOW)
    session.commit()
    (settings.keys_dir / f"{row.kid}.pem").rename(settings.keys_dir / "elsewhere.pem")
    certificates._loaded.clear()
    with pytest.raises(certificates.CertificateError, match=row.kid):
        certificates.active_key(session, settings.keys_dir, NOW)


def test_rotation_keeps_old_certificates_valid(session: Session, courses: dict[str, Course],
                                               person: PersonFactory,
                                               settings: certificates.Settings) -> None:
    """After a rotation, new certificates use the new key; old ones still verify, by number and offline."""
    first_user, second_user = person(1), person(2)
    complete(session, first_user, courses[SCAM])
    complete(session, second_user, courses[SCAM])
    old = certificates.issue_if_eligible(session, first_user, courses[SCAM], NOW, settings)
    session.commit()
    new_key = certificates.rotate(session, settings.keys_dir, NOW + timedelta(days=1))
    session.commit()
    later = NOW + timedelta(days=1)
    new = certificates.issue_if_eligible(session, second_user, courses[SCAM], later, settings)
    session.commit()
    assert old is not None and new is not None
    assert new.key_id == new_key.kid != old.key_id
    retired = session.get(SigningKey, old.key_id)
    assert retired is not None and retired.retired_at is not None
    published = certificates.jwks(session)
    assert {k["kid"] for k in published["keys"]} == {old.key_id, new.key_id}
    keys = {k["kid"]: k for k in published["keys"]}
    for cert in (old, new):
        assert certificates.verify_number(session, cert.number).status == "valid"
        assert openbadges.check(json.loads(cert.credential), keys).ok


# --- issuing -----------------------------------------------------------------------------------------------

def test_issue_to_a_verified_person_who_completed(session: Session, courses: dict[str, Course],
                                                  person: PersonFactory,
                                                  settings: certificates.Settings) -> None:
    """The certificate carries the verified name, course, competencies, level, date, issuer and a valid
    signature over the canonical payload; the credential holds nothing derived from the ID number."""
    user = person(7)
    course = courses[SCAM]
    complete(session, user, course)
    cert = certificates.issue_if_eligible(session, user, course, NOW, settings)
    session.commit()
    assert cert is not None and cert.number.startswith("HVS-2026-")
    assert certs.parse_number(cert.number) == cert.number
    assert (cert.holder_name, cert.course_title, cert.level, cert.issuer_name) == (
        "Nguyễn Thị Ánh Hường", "Nhận diện lừa đảo trực tuyến", 2, "Học Vụ Số")
    assert cert.competencies == ["1.2", "2.1", "4.2"] and cert.issued_at == NOW
    key = session.get(SigningKey, cert.key_id)
    assert key is not None and certs.verify_payload(key.public_jwk, cert.payload, cert.signature)
    document = json.loads(cert.credential)
    assert "identifier" not in document["credentialSubject"]
    assert id_number(7) not in cert.credential and id_number(7) not in json.dumps(cert.payload)


@pytest.mark.parametrize("level,verified,completed", [(1, True, True), (2, False, True), (2, True, False)])
def test_not_issued_without_level_2_verification_and_completion(
        session: Session, courses: dict[str, Course], person: PersonFactory, settings: certificates.Settings,
        level: int, verified: bool, completed: bool) -> None:
    """Level 1, unverified, or not completed: no certificate."""
    user = person(3, level=level, verified=verified)
    if completed:
        complete(session, user, courses[SCAM])
    assert certificates.issue_if_eligible(session, user, courses[SCAM], NOW, settings) is None
    assert count(session) == 0


def test_minimum_level_is_a_setting(session: Session, courses: dict[str, Course], person: PersonFactory,
                                    settings: certificates.Settings) -> None:
    """With CERTIFICATE_MIN_LEVEL 1, a level-1 account gets its certificate."""
    user = person(4, level=1)
    complete(session, user, courses[SCAM])
    lenient = certificates.Settings(settings.base_url, settings.keys_dir, settings.issuer_name, min_level=1)
    assert certificates.issue_if_eligible(session, user, courses[SCAM], NOW, lenient) is not None


def test_settings_from_config(tmp_path: Any) -> None:
    """PUBLIC_URL wins over the request URL; the issuer name and level come from the configuration."""
    config = {"PUBLIC_URL": "https://hvs.example/", "CERTIFICATE_KEYS_DIR": str(tmp_path),
              "CERTIFICATE_ISSUER_NAME": "Sở GD&ĐT Hà Nội", "CERTIFICATE_MIN_LEVEL": 1}
    built = certificates.Settings.from_config(config, "http://127.0.0.1:8000/")
    assert (built.base_url, built.issuer_name, built.min_level) == (
        "https://hvs.example", "Sở GD&ĐT Hà Nội", 1)
    fallback = certificates.Settings.from_config({**config, "PUBLIC_URL": None}, "http://127.0.0.1:8000/")
    assert fallback.base_url == "http://127.0.0.1:8000"


def test_issued_once_per_person_and_course(session: Session, courses: dict[str, Course],
                                           person: PersonFactory, settings: certificates.Settings) -> None:
    """Calling again returns the same certificate; another course gets its own."""
    user = person(5)
    complete(session, user, courses[SCAM])
    complete(session, user, courses[VNEID])
    first = certificates.issue_if_eligible(session, user, courses[SCAM], NOW, settings)
    again = certificates.issue_if_eligible(session, user, courses[SCAM], NOW + timedelta(hours=1), settings)
    other = certificates.issue_if_eligible(session, user, courses[VNEID], NOW, settings)
    session.commit()
    assert first is not None and again is not None and other is not None
    assert first.id == again.id != other.id and count(session) == 2


def test_issue_pending_after_verification(session: Session, courses: dict[str, Course], person: PersonFactory,
                                          settings: certificates.Settings) -> None:
    """A learner who completed before verifying gets every certificate when the verification arrives."""
    from tests.factories import verify_identity

    user = person(6, verified=False)
    complete(session, user, courses[SCAM])
    complete(session, user, courses[VNEID], NOW + timedelta(days=1))
    assert certificates.issue_pending(session, user, NOW, settings) == []
    verify_identity(user, id_number(6))
    issued = certificates.issue_pending(session, user, NOW + timedelta(days=2), settings)
    session.commit()
    assert sorted(c.course_id for c in issued) == sorted([courses[SCAM].id, courses[VNEID].id])
    assert [c.id for c in certificates.issue_pending(session, user, NOW + timedelta(days=3), settings)] == \
        [c.id for c in issued]


def test_learning_flow_issues_the_certificate(session: Session, clean_db: Engine, courses: dict[str, Course],
                                              person: PersonFactory, settings: certificates.Settings) -> None:
    """Finishing the lessons and passing the quiz through the learning service issues the certificate."""
    user = person(8)
    course = courses[SCAM]
    assert course.published is not None
    for lesson in course.published.lessons:
        learning.mark_done(session, user, course, lesson.slug, NOW, settings)
    assert count(session) == 0  # the quiz is still required
    quiz = course.published.quizzes[0]
    attempt = learning.start_attempt(session, user, course, quiz, NOW)
    session.commit()
    form = answers(clean_db, attempt.id, right=True)
    learning.submit_attempt(session, user, attempt.id, form, NOW, settings)
    session.commit()
    cert = session.scalars(select(Certificate)).one()
    assert (cert.user_id, cert.course_id) == (user.id, course.id)
    assert session.get(QuizAttempt, attempt.id).passed  # type: ignore[union-attr]


def test_number_collision_draws_another(session: Session, courses: dict[str, Course], person: PersonFactory,
                                        settings: certificates.Settings) -> None:
    """If a drawn number is taken, issuing draws again instead of failing."""
    first_user, second_user = person(9), person(10)
    for user in (first_user, second_user):
        complete(session, user, courses[SCAM])
    taken = certificates.issue_if_eligible(session, first_user, courses[SCAM], NOW, settings)
    session.commit()
    assert taken is not None
    drawn = iter([taken.number, certs.new_number(2026)])
    second = certificates.issue_if_eligible(session, second_user, courses[SCAM], NOW, settings,
                                            draw=lambda year: next(drawn))
    session.commit()
    assert second is not None and second.number != taken.number and count(session) == 2


def test_concurrent_requests_issue_exactly_once(clean_db: Engine, database_url: str,
                                                courses: dict[str, Course],
                                                person: PersonFactory, session: Session,
                                                settings: certificates.Settings) -> None:
    """Eight threads, each with its own connection and session, issue for the same person and course at once:
    one certificate exists afterwards and every thread got that same one."""
    user = person(11)
    course_id = courses[SCAM].id
    complete(session, user, courses[SCAM])
    certificates.active_key(session, settings.keys_dir, NOW)  # the key exists before the race, as in service
    session.commit()
    sqlite = database_url.startswith("sqlite")
    engine = make_engine(database_url) if sqlite else make_engine(database_url, pool_size=10)
    start = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def issue() -> None:
        token = write_intent.set(True)  # as for a POST request
        try:
            with Session(engine, expire_on_commit=False) as s:
                start.wait()
                me = s.get(User, user.id)
                course = s.get(Course, course_id)
                assert me is not None and course is not None
                cert = certificates.issue_if_eligible(s, me, course, NOW, settings)
                s.commit()
                assert cert is not None
                results.append(cert.number)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            write_intent.reset(token)

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert not errors, errors
    session.expire_all()
    assert count(session) == 1
    assert len(results) == 8 and len(set(results)) == 1


# --- revoking and checking ---------------------------------------------------------------------------------

def test_verify_number_states_and_revocation(session: Session, courses: dict[str, Course],
                                             person: PersonFactory, settings: certificates.Settings) -> None:
    """valid → revoked (with date and reason, kept on a second revoke) ; unknown and malformed numbers."""
    user = person(12)
    complete(session, user, courses[SCAM])
    cert = certificates.issue_if_eligible(session, user, courses[SCAM], NOW, settings)
    session.commit()
    assert cert is not None
    assert certificates.verify_number(session, cert.number.lower()).status == "valid"
    certificates.revoke(session, cert.number, "  Gian lận khi làm bài  ", NOW + timedelta(days=1))
    session.commit()
    result = certificates.verify_number(session, cert.number)
    assert result.status == "revoked" and result.certificate is not None
    assert result.certificate.revoked_reason == "Gian lận khi làm bài"
    certificates.revoke(session, cert.number, "another reason", NOW + timedelta(days=2))
    assert result.certificate.revoked_reason == "Gian lận khi làm bài"
    assert result.certificate.revoked_at == NOW + timedelta(days=1)
    assert certificates.verify_number(session, certs.new_number(2026)).status == "unknown"
    assert certificates.verify_number(session, "not a number").status == "unknown"
    with pytest.raises(certificates.CertificateError, match="unknown_number"):
        certificates.revoke(session, certs.new_number(2026), "x", NOW)
    with pytest.raises(certificates.CertificateError, match="empty_reason"):
        certificates.revoke(session, cert.number, "   ", NOW)


@pytest.mark.parametrize("column,value", [("holder_name", "Người Khác"), ("course_title", "Khóa khác"),
                                          ("level", 8), ("competencies", ["1.1"]),
                                          ("issued_at", NOW - timedelta(days=400))])
def test_a_record_altered_in_the_database_is_invalid(session: Session, courses: dict[str, Course],
                                                     person: PersonFactory, settings: certificates.Settings,
                                                     column: str, value: Any) -> None:
    """Editing a stored certificate outside the platform breaks its signature: the check says invalid."""
    user = person(13)
    complete(session, user, courses[SCAM])
    cert = certificates.issue_if_eligible(session, user, courses[SCAM], NOW, settings)
    session.commit()
    assert cert is not None
    session.execute(update(Certificate).where(Certificate.id == cert.id).values({column: value}))
    session.commit()
    session.expire_all()
    assert certificates.verify_number(session, cert.number).status == "invalid"
