"""The client's checks of an ID token and of the identity it carries, with tokens signed by the stub's own
key (lms.vneid_stub.keys) and then altered one property at a time. No app, no network."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from lms.domain import idnumber
from lms.domain.verified_identity import (TokenRejected, VerifiedIdentity, identity_from_claims,
                                          verify_id_token)
from lms.vneid_stub import keys
from tests.web.identity import A

ISSUER = "http://localhost/vneid"
CLIENT = "hocvuso-lms"
NONCE = "n-0S6_WzA2Mj"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> RSAKey:
    return keys.load_or_create(tmp_path_factory.mktemp("stub-keys"))


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict[str, Any]:
    return keys.jwks(key)


def claims(**changes: Any) -> dict[str, Any]:
    """The claims the stub puts in an ID token for citizen A, with `changes` (None removes a claim)."""
    base: dict[str, Any] = {
        "iss": ISSUER, "aud": CLIENT, "sub": "pairwise-subject", "iat": NOW - 5, "exp": NOW + 295,
        "nonce": NONCE, "vn_personal_id": A.id_number, "name": A.name, "birthdate": A.birthdate.isoformat(),
        "gender": A.gender, "vn_account_level": A.level, "vn_residence": dict(A.residence)}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: RSAKey, body: dict[str, Any], alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, body, key, algorithms=[alg])


def check(token: str, jwks: dict[str, Any], **expect: Any) -> dict[str, Any]:
    options = {"issuer": ISSUER, "client_id": CLIENT, "nonce": NONCE, "now": NOW, **expect}
    return verify_id_token(token, jwks, **options)


def rejected(token: str, jwks: dict[str, Any], **expect: Any) -> str:
    with pytest.raises(TokenRejected) as info:
        check(token, jwks, **expect)
    return info.value.reason


def test_a_right_token_gives_its_claims(key: RSAKey, jwks: dict[str, Any]) -> None:
    """A token signed by the provider's key, for this client, in time, with our nonce is accepted."""
    found = check(sign(key, claims()), jwks)
    assert found["vn_personal_id"] == A.id_number and found["name"] == A.name


def test_tampered_payload_fails_the_signature(key: RSAKey, jwks: dict[str, Any]) -> None:
    """Changing the payload after signing (here: the account level) breaks the signature."""
    header, payload, signature = sign(key, claims(vn_account_level=1)).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["vn_account_level"] = 2
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert rejected(f"{header}.{forged}.{signature}", jwks) == "signature"


def test_altered_signature_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    header, payload, signature = sign(key, claims()).split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    assert rejected(f"{header}.{payload}.{flipped}", jwks) == "signature"


def test_a_token_signed_by_another_key_is_refused(tmp_path: Path, jwks: dict[str, Any]) -> None:
    """A key the provider does not publish (someone else's stub) cannot sign for it."""
    stranger = keys.load_or_create(tmp_path)
    assert rejected(sign(stranger, claims()), jwks) == "signature"


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_or_symmetric_tokens_are_refused(key: RSAKey, jwks: dict[str, Any], alg: str) -> None:
    """'none' and the HS256-with-the-public-key confusion never pass: only RS256 is accepted."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": alg, "kid": key.kid}).encode()
    signing_input = f"{b64(header)}.{b64(json.dumps(claims()).encode())}"
    if alg == "none":
        token = f"{signing_input}."
    else:  # made by hand: joserfc itself refuses to use a public key as an HMAC secret
        mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64(mac)}"
    assert rejected(token, jwks) == "signature"


def test_wrong_issuer_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    assert rejected(sign(key, claims(iss="http://evil.example/vneid")), jwks) == "issuer"
    assert rejected(sign(key, claims(iss=None)), jwks) == "issuer"


@pytest.mark.parametrize("aud", ["another-app", ["another-app"], ["another-app", CLIENT], None])
def test_wrong_audience_is_refused(key: RSAKey, jwks: dict[str, Any], aud: Any) -> None:
    """Issued for another client (or for several without naming us as the authorized party) is refused."""
    assert rejected(sign(key, claims(aud=aud)), jwks) == "audience"


def test_expired_token_is_refused_beyond_the_leeway(key: RSAKey, jwks: dict[str, Any]) -> None:
    """Expiry has a small leeway for clock skew (30 s), and no more."""
    assert rejected(sign(key, claims(exp=NOW - 31)), jwks) == "expired"
    assert check(sign(key, claims(exp=NOW - 29)), jwks)["sub"] == "pairwise-subject"
    assert rejected(sign(key, claims(exp=None)), jwks) == "claims"
    assert rejected(sign(key, claims(iat=NOW + 3600)), jwks) == "claims"


@pytest.mark.parametrize("nonce", ["another-nonce", None])
def test_wrong_or_missing_nonce_is_refused(key: RSAKey, jwks: dict[str, Any], nonce: str | None) -> None:
    """A token from another authorization request (a replayed token) carries another nonce."""
    assert rejected(sign(key, claims(nonce=nonce)), jwks) == "nonce"


def test_an_empty_expected_nonce_matches_nothing(key: RSAKey, jwks: dict[str, Any]) -> None:
    assert rejected(sign(key, claims(nonce="")), jwks, nonce="") == "nonce"


def test_garbage_is_refused(jwks: dict[str, Any]) -> None:
    assert rejected("not.a.token", jwks) == "signature"
    assert rejected("", jwks) == "signature"


def test_identity_from_the_claims() -> None:
    """The claims become a VerifiedIdentity whose repr never shows the number."""
    identity = identity_from_claims(claims())
    assert identity == VerifiedIdentity(number=A.id_number, name=A.name, birth_date=A.birthdate, sex=A.gender,
                                        level=2, province_code="01", commune_code="00070")
    assert identity.masked == "********" + A.id_number[-4:]
    assert A.id_number not in repr(identity) and A.id_number not in str(identity)
    assert identity.person_hash(b"k") == idnumber.keyed_hash(A.id_number, b"k")


@pytest.mark.parametrize("changes", [
    {"gender": "male"},  # the century/sex digit says female
    {"birthdate": "1991-05-02"},  # the year digits say 1990
    {"birthdate": "2090-05-02"},  # the century digit says the 1900s
    {"vn_personal_id": "999" + A.id_number[3:]},  # no such province code
    {"vn_personal_id": A.id_number[:-1]},  # 11 digits
])
def test_an_inconsistent_id_number_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(TokenRejected) as info:
        identity_from_claims(claims(**changes))
    assert info.value.reason == "id_number"
    assert A.id_number not in str(info.value)


@pytest.mark.parametrize("changes", [
    {"vn_personal_id": None}, {"name": " "}, {"birthdate": "2.5.1990"}, {"gender": "x"},
    {"vn_account_level": 3}, {"vn_account_level": True}, {"vn_residence": "01/00070"},
])
def test_missing_or_malformed_claims_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(TokenRejected) as info:
        identity_from_claims(claims(**changes))
    assert info.value.reason == "claims"


def test_identity_without_residence_has_no_place() -> None:
    identity = identity_from_claims(claims(vn_residence=None))
    assert (identity.province_code, identity.commune_code) == (None, None)
    assert identity.birth_date == date(1990, 5, 2)
