"""Registration and sign-in: unique contacts, phone normalisation, hashed passwords."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.models import User
from lms.services import accounts
from lms.services.accounts import Registration, normalize_phone
from lms.services.learning import Refused

PASSWORD = "mat-khau-dai-123"


def registration(email: str | None = "an@example.vn", phone: str | None = None,
                 **fields: object) -> Registration:
    data: dict[str, object] = dict(full_name="  Nguyễn   Văn  An ", email=email, phone=phone,
                                   password=PASSWORD, target_group=3, province_code="01",
                                   commune_code="00070")
    data.update(fields)
    return Registration(**data)  # type: ignore[arg-type]


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.parametrize(("text", "expected"), [
    ("0912345678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("(091) 234-5678", "0912345678"),
    ("091234567", None),
    ("09123456789", None),
    ("+1 555 010 0100", None),
    ("an@example.vn", None),
    ("", None),
])
def test_normalize_phone(text: str, expected: str | None) -> None:
    """Vietnamese numbers in any common spelling become 0xxxxxxxxx; anything else is not a phone."""
    assert normalize_phone(text) == expected


def test_register_stores_a_clean_user(session: Session, now: datetime) -> None:
    """E-mail is lower-cased, the name's spacing tidied, the phone normalised, and the password hashed."""
    user = accounts.register(session, registration(email=" An@Example.VN ", phone="+84 912 345 678"), now)
    session.commit()
    stored = session.get(User, user.id)
    assert stored is not None
    assert (stored.full_name, stored.email, stored.phone) == ("Nguyễn Văn An", "an@example.vn", "0912345678")
    assert (stored.target_group, stored.province_code, stored.commune_code, stored.role, stored.active) == \
        (3, "01", "00070", "learner", True)
    assert stored.created_at == now


def test_password_is_stored_hashed(session: Session, now: datetime) -> None:
    """The database holds a salted scrypt hash, never the password."""
    first = accounts.register(session, registration(email="a@example.vn"), now)
    second = accounts.register(session, registration(email="b@example.vn"), now)
    session.commit()
    assert PASSWORD not in first.password_hash
    assert first.password_hash.startswith("scrypt:")
    assert first.password_hash != second.password_hash  # salted


@pytest.mark.parametrize(("first", "second", "reason"), [
    (registration(email="an@example.vn"), registration(email="AN@example.vn"), "email_taken"),
    (registration(email="an@example.vn"), registration(email="  an@example.vn"), "email_taken"),
    (registration(email=None, phone="0912345678"), registration(email=None, phone="+84 912 345 678"),
     "phone_taken"),
    (registration(email="a@example.vn", phone="0912345678"),
     registration(email="b@example.vn", phone="84912345678"), "phone_taken"),
])
def test_duplicate_contact_is_refused(session: Session, now: datetime, first: Registration,
                                      second: Registration, reason: str) -> None:
    """A second account with the same e-mail or phone (in any spelling) is refused and not created."""
    accounts.register(session, first, now)
    session.commit()
    with pytest.raises(Refused) as refused:
        accounts.register(session, second, now)
    assert refused.value.reason == reason
    session.commit()
    assert user_count(session) == 1


def test_authenticate_by_email_or_phone(session: Session, make_user: Callable[..., User]) -> None:
    """A learner signs in with their e-mail (any case) or phone (any spelling)."""
    user = make_user(email="an@example.vn", phone="0912345678")
    for login in ("an@example.vn", "  AN@Example.vn ", "0912345678", "+84 912 345 678", "84912345678"):
        found = accounts.authenticate(session, login, PASSWORD)
        assert found is not None and found.id == user.id, login


def test_authenticate_refuses_wrong_credentials(session: Session, make_user: Callable[..., User]) -> None:
    """A wrong password or an unknown login gives no user."""
    make_user(email="an@example.vn", phone="0912345678")
    for login, password in [("an@example.vn", "mat-khau-sai"), ("an@example.vn", PASSWORD.upper()),
                            ("an@example.vn", ""), ("0912345678", "mat-khau-sai"),
                            ("ai@example.vn", PASSWORD), ("0999999999", PASSWORD)]:
        assert accounts.authenticate(session, login, password) is None, (login, password)


def test_authenticate_refuses_inactive_user(session: Session, make_user: Callable[..., User]) -> None:
    """A deactivated account cannot sign in, even with the right password."""
    user = make_user()
    user.active = False
    session.commit()
    assert accounts.authenticate(session, "an@example.vn", PASSWORD) is None
