"""Verified identity on the platform: one person ↔ one account.

A person is recognised by `person_hash` (HMAC of the ID number under the instance identity key); the account
shows `id_masked`. The raw number never reaches this module: the web layer turns a `VerifiedIdentity` into an
`IdentityRecord` (hashes and display data only) before calling it. Like every service, nothing here commits.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..domain.areas import provinces
from ..domain.verified_identity import VerifiedIdentity
from ..models import User
from . import facts
from .accounts import normalize_phone
from .learning import Refused

NO_PASSWORD = ""  # password_hash of an account made through VNeID: no password matches it until one is set


class IdentityRefused(Refused):
    """A verification the one-person-one-account rule refuses. `reason`: person_taken (another account is
    this person; `owner` is that account) or other_person (this account is verified as someone else)."""

    def __init__(self, reason: str, owner: User | None = None) -> None:
        super().__init__(reason)
        self.owner = owner


@dataclass(frozen=True)
class IdentityRecord:
    """What the platform keeps of a verified identity: no raw ID number, only its keyed hash and its masked
    form (no unkeyed hash of any kind: an ID number is found from one by trying every number)."""

    person_hash: str
    id_masked: str
    level: int
    name: str
    birth_date: date
    sex: str
    province_code: str | None
    commune_code: str | None

    @classmethod
    def of(cls, identity: VerifiedIdentity, key: bytes) -> IdentityRecord:
        """The record of `identity`."""
        return cls(person_hash=identity.person_hash(key), id_masked=identity.masked, level=identity.level,
                   name=identity.name, birth_date=identity.birth_date, sex=identity.sex,
                   province_code=identity.province_code, commune_code=identity.commune_code)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IdentityRecord:
        known = {f for f in cls.__dataclass_fields__}  # a record saved by an older version may hold more
        return cls(**{**{k: v for k, v in data.items() if k in known},
                      "birth_date": date.fromisoformat(data["birth_date"])})

    def place(self) -> tuple[str | None, str | None]:
        """(province, commune) of the residence in the official list (lms.domain.areas): an unknown province
        gives (None, None), an unknown commune (province, None)."""
        province = provinces().get(self.province_code or "")
        if province is None:
            return None, None
        known = {c.code for c in province.communes}
        return province.code, self.commune_code if self.commune_code in known else None


def owner(session: Session, person_hash: str) -> User | None:
    """The account already linked to this person, if any."""
    return session.scalars(select(User).where(User.person_hash == person_hash)).first()


def _fill(user: User, record: IdentityRecord, now: datetime) -> None:
    user.person_hash = record.person_hash
    user.id_masked = record.id_masked
    user.id_level = record.level
    user.verified_at = now
    user.full_name = record.name
    user.birth_date = record.birth_date
    user.sex = record.sex
    province, commune = record.place()
    if province is not None:
        user.province_code = province
    user.commune_code = commune  # an unknown residence keeps the province, not a commune of another place


def _flush_as(session: Session, user: User, person_hash: str) -> None:
    """Flush; a concurrent link of the same person (unique person_hash) becomes IdentityRefused, a
    concurrent account with the same contact Refused("email_taken" / "phone_taken")."""
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        with session.no_autoflush:
            found = owner(session, person_hash)
        if found is not None:
            raise IdentityRefused("person_taken", found) from None
        raise Refused("email_taken" if user.email else "phone_taken") from None


def link(session: Session, user: User, record: IdentityRecord, now: datetime) -> User:
    """Mark `user` as the verified person of `record`: the identity columns, the verified name, birth date,
    sex and residence. Verifying again as the same person refreshes them (e.g. level 1 → 2)."""
    if user.person_hash is not None and user.person_hash != record.person_hash:
        raise IdentityRefused("other_person")
    found = owner(session, record.person_hash)
    if found is not None and found.id != user.id:
        raise IdentityRefused("person_taken", found)
    _fill(user, record, now)
    _flush_as(session, user, record.person_hash)
    facts.verified(session, user, now)
    return user


def create_account(session: Session, record: IdentityRecord, *, target_group: int, province_code: str | None,
                   commune_code: str | None, email: str | None, phone: str | None, locale: str | None,
                   now: datetime) -> User:
    """A new learner account for a verified person who has none, with no password (they log in with VNeID
    and may set a password later). The place comes from the residence when it is known, else from the form."""
    found = owner(session, record.person_hash)
    if found is not None:
        raise IdentityRefused("person_taken", found)
    email = email.strip().lower() if email else None
    phone = normalize_phone(phone) if phone else None
    if email and session.scalar(select(User.id).where(User.email == email)):
        raise Refused("email_taken")
    if phone and session.scalar(select(User.id).where(User.phone == phone)):
        raise Refused("phone_taken")
    user = User(full_name=record.name, email=email, phone=phone, password_hash=NO_PASSWORD,
                target_group=target_group, province_code=province_code or "", commune_code=commune_code,
                locale=locale, created_at=now)
    _fill(user, record, now)
    if record.place()[0] is None:  # a residence we do not know: the place chosen on the form stays
        user.province_code, user.commune_code = province_code or "", commune_code
    _flush_as(session, user, record.person_hash)
    facts.verified(session, user, now)
    return user


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


def set_password(user: User, password: str) -> None:
    """Give an account made through VNeID a password (it then logs in with its e-mail or phone, too)."""
    user.password_hash = generate_password_hash(password)


def masked_contact(user: User) -> str | None:
    """The account's e-mail or phone with most of it hidden ('a***@example.vn', '091****678'), so a person
    can recognise their first account without the page disclosing it."""
    if user.email:
        local, _, domain = user.email.partition("@")
        return f"{local[:1]}***@{domain}"
    if user.phone:
        return f"{user.phone[:3]}****{user.phone[-3:]}"
    return None
