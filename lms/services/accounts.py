"""Registration and sign-in. Passwords are hashed with scrypt (werkzeug's default)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User
from . import facts
from .learning import Refused

# A real hash to compare against when the login is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not a password")


def normalize_phone(text: str) -> str | None:
    """Vietnamese mobile numbers as 0xxxxxxxxx; '+84 912 345 678' -> '0912345678'. None if not a phone."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"0\d{9}", digits) else None


def normalize_login(text: str) -> str:
    text = text.strip()
    return text.lower() if "@" in text else (normalize_phone(text) or text)


@dataclass(frozen=True)
class Registration:
    full_name: str
    email: str | None
    phone: str | None
    password: str
    target_group: int
    province_code: str
    commune_code: str | None
    locale: str | None = None


def register(session: Session, data: Registration, now: datetime) -> User:
    """Create a learner; refused with 'email_taken' or 'phone_taken' when the contact is in use."""
    email = data.email.strip().lower() if data.email else None
    phone = normalize_phone(data.phone) if data.phone else None
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise Refused("email_taken")
    if phone and session.scalar(select(User.id).where(User.phone == phone)):
        raise Refused("phone_taken")
    user = User(full_name=" ".join(data.full_name.split()), email=email, phone=phone,
                password_hash=generate_password_hash(data.password), target_group=data.target_group,
                province_code=data.province_code, commune_code=data.commune_code or None, locale=data.locale,
                created_at=now)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # registered concurrently with the same contact
        raise Refused("email_taken" if email else "phone_taken") from None
    facts.registered(session, user, now)
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is this account's password (an account without one matches nothing)."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this e-mail or phone and password, else None."""
    user = session.scalars(User.by_login(normalize_login(login))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def move(session: Session, user: User, province_code: str, commune_code: str, now: datetime) -> None:
    """The account's place is now this commune of this province (checked by the caller against the tree in
    force: lms.services.units.places); the person's figures follow them from this quarter on."""
    user.province_code = province_code
    user.commune_code = commune_code
    facts.moved(session, user, now)
