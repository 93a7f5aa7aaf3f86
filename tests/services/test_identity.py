"""The identity service on its own: what a verified identity writes on an account, the residence rules, the
one-person-one-account rule and the masked contact shown in the recovery message."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest
from sqlalchemy.orm import Session

from lms.domain.verified_identity import VerifiedIdentity
from lms.models import User
from lms.services import identity as identities
from lms.services.identity import IdentityRecord, IdentityRefused
from lms.vneid_stub.registry import DemoCitizen
from tests import factories
from tests.web.identity import A, B

KEY = b"identity-key"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def verified(citizen: DemoCitizen = A, **changes: str | None) -> VerifiedIdentity:
    """The identity VNeID vouches for `citizen`, with `changes` (e.g. another residence)."""
    identity = VerifiedIdentity(number=citizen.id_number, name=citizen.name, birth_date=citizen.birthdate,
                                sex=citizen.gender, level=citizen.level,
                                province_code=citizen.residence["province_code"],
                                commune_code=citizen.residence["commune_code"])
    return dataclasses.replace(identity, **changes)


def account(session: Session, email: str = "an@example.vn", phone: str | None = None) -> User:
    return factories.make_user(session, email, phone=phone, password=None)


def test_link_writes_hashes_and_display_data_only(session: Session) -> None:
    user = identities.link(session, account(session), IdentityRecord.of(verified(), KEY), NOW)
    assert user.person_hash == verified().person_hash(KEY) and user.id_masked == "********" + A.id_number[-4:]
    assert (user.id_level, user.full_name) == (2, A.name)
    assert (user.birth_date, user.sex) == (date(1990, 5, 2), "female")
    assert user.verified_at == NOW
    assert A.id_number not in repr(IdentityRecord.of(verified(), KEY).to_json())


@pytest.mark.parametrize(("province", "commune", "expected"), [
    ("79", "26740", ("79", "26740")),  # both in the official list
    ("79", "99999", ("79", None)),  # a commune we do not list: the province, no commune
    ("99", "00070", ("01", None)),  # a province we do not know: keep the account's, clear the commune
    (None, None, ("01", None)),
])
def test_residence_rules(session: Session, province: str | None, commune: str | None,
                         expected: tuple[str, str | None]) -> None:
    record = IdentityRecord.of(verified(province_code=province, commune_code=commune), KEY)
    user = identities.link(session, account(session), record, NOW)
    assert (user.province_code, user.commune_code) == expected


def test_one_person_one_account(session: Session) -> None:
    first = identities.link(session, account(session), IdentityRecord.of(verified(), KEY), NOW)
    second = account(session, email="binh@example.vn")
    with pytest.raises(IdentityRefused) as info:
        identities.link(session, second, IdentityRecord.of(verified(), KEY), NOW)
    assert info.value.reason == "person_taken" and info.value.owner is first
    assert second.person_hash is None
    with pytest.raises(IdentityRefused) as other:
        identities.link(session, first, IdentityRecord.of(verified(B), KEY), NOW)
    assert other.value.reason == "other_person"
    with pytest.raises(IdentityRefused):
        identities.create_account(session, IdentityRecord.of(verified(), KEY), target_group=3,
                                  province_code=None, commune_code=None, email=None, phone=None, locale="vi",
                                  now=NOW)


def test_the_same_person_under_another_identity_key_is_another_hash() -> None:
    """The keyed hash depends on the instance key: without it, a hash reveals nothing and matches nothing."""
    assert verified().person_hash(KEY) != verified().person_hash(b"another-key")


def test_account_created_from_an_identity_has_no_password(session: Session) -> None:
    user = identities.create_account(session, IdentityRecord.of(verified(B), KEY), target_group=5,
                                     province_code=None, commune_code=None, email=None,
                                     phone="+84 912 345 678", locale="vi", now=NOW)
    assert (user.full_name, user.phone) == (B.name, "0912345678")
    assert (user.province_code, user.commune_code) == ("79", "26740")
    assert not identities.has_password(user)
    identities.set_password(user, "mat-khau-dai-123")
    assert identities.has_password(user)


@pytest.mark.parametrize(("email", "phone", "shown"), [
    ("an@example.vn", None, "a***@example.vn"),
    (None, "0912345678", "091****678"),
    (None, None, None),
])
def test_masked_contact(email: str | None, phone: str | None, shown: str | None) -> None:
    user = User(full_name="x", email=email, phone=phone, password_hash="", target_group=1, province_code="01")
    assert identities.masked_contact(user) == shown
