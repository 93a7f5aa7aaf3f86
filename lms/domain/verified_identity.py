"""What the platform accepts from VNeID: the checks of an OpenID Connect ID token (signature with the
provider's published keys, issuer, audience, expiry, nonce) and the verified identity read from its claims.

Pure: no Flask, no network. The raw ID number lives only in a `VerifiedIdentity`, in memory, during the
callback; its repr hides it, so it cannot leak into a log line or a traceback by accident.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from . import idnumber, textnorm
from .idnumber import Sex

ALGORITHMS = ("RS256",)  # what the provider announces; never "none", never a symmetric algorithm
LEEWAY = 30  # seconds of clock skew tolerated on exp/iat/nbf


class TokenRejected(Exception):
    """An ID token or identity the platform refuses. `reason` is a stable code: signature, issuer, audience,
    expired, nonce, claims or id_number. The message never contains claim values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_id_token(token: str, jwks: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str, now: int,
                    leeway: int = LEEWAY) -> dict[str, Any]:
    """The claims of `token` once its RS256 signature verifies with a key of `jwks` and its `iss`, `aud`,
    `exp`/`iat`, `nonce` and `sub` are right for this client and this authorization request."""
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError):
        raise TokenRejected("signature") from None
    claims: dict[str, Any] = dict(decoded.claims)
    if claims.get("iss") != issuer:
        raise TokenRejected("issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise TokenRejected("audience")
    try:
        JWTClaimsRegistry(now=now, leeway=leeway, exp={"essential": True}, iat={"essential": True},
                          sub={"essential": True}).validate(claims)
    except ExpiredTokenError:
        raise TokenRejected("expired") from None
    except JoseError:
        raise TokenRejected("claims") from None
    found = claims.get("nonce")
    if not isinstance(found, str) or not nonce or not hmac.compare_digest(found.encode(), nonce.encode()):
        raise TokenRejected("nonce")
    return claims


@dataclass(frozen=True)
class VerifiedIdentity:
    """A person as VNeID vouches for them. `number` is the raw personal ID number: keep it in memory only."""

    number: str = field(repr=False)
    name: str
    birth_date: date
    sex: Sex
    level: int  # VNeID account level: 1 basic, 2 full electronic identity
    province_code: str | None  # residence, new 2-digit province code
    commune_code: str | None  # residence, 5-digit commune code

    @property
    def masked(self) -> str:
        return idnumber.mask(self.number)

    def person_hash(self, key: bytes) -> str:
        """The keyed hash that recognises this person on the platform (HMAC-SHA256 under the identity key)."""
        return idnumber.keyed_hash(self.number, key)


def identity_from_claims(claims: Mapping[str, Any]) -> VerifiedIdentity:
    """The identity in the claims; refused ("claims") when one is missing or malformed, and ("id_number") when
    the personal ID number is not consistent with the birth date and sex (lms.domain.idnumber)."""
    number, name, born, sex, level = (claims.get(k) for k in (
        "vn_personal_id", "name", "birthdate", "gender", "vn_account_level"))
    residence = claims.get("vn_residence") or {}
    if not (isinstance(number, str) and isinstance(name, str) and name.strip() and isinstance(born, str)
            and sex in ("male", "female") and level in (1, 2) and not isinstance(level, bool)
            and isinstance(residence, dict)):
        raise TokenRejected("claims")
    try:
        birth_date = date.fromisoformat(born)
    except ValueError:
        raise TokenRejected("claims") from None
    if idnumber.problems(number, birth_date, sex):
        raise TokenRejected("id_number")
    try:
        name = textnorm.clean_text(name)
    except textnorm.UnsafeText:
        raise TokenRejected("claims") from None
    province, commune = residence.get("province_code"), residence.get("commune_code")
    return VerifiedIdentity(
        number=number, name=" ".join(name.split())[:120], birth_date=birth_date, sex=sex, level=int(level),
        province_code=province if isinstance(province, str) else None,
        commune_code=commune if isinstance(commune, str) else None)
