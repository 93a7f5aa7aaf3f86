"""Certificates without a database: human-friendly numbers, the canonical payload, Ed25519 keys and
signatures. Nothing here is derived from the national ID number: the person is referred to through the keyed
identity hash only (person_ref).

Canonical form: RFC 8785 (JCS) for the JSON values we sign — objects with keys sorted by UTF-16 code units,
no insignificant whitespace, UTF-8, strings escaped as JSON requires. Numbers are limited to integers (the
only numbers we emit), so JCS's floating-point rules never come into play; a float is refused.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "HVS"
# Crockford's base32: digits and letters without I, L, O and U: a number read aloud or typed is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_CHARS = 7  # 35 random bits per year, plus one check character
# What people mistype: Crockford decoding maps look-alikes to the digit they resemble.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
PAYLOAD_VERSION = 1


# --- numbers -----------------------------------------------------------------------------------------------

def check_char(body: str) -> str:
    """The Luhn mod 32 check character of `body` (characters of ALPHABET): it catches every single wrong
    character and most swaps of two neighbours."""
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_number(year: int, token: str | None = None) -> str:
    """A fresh number such as 'HVS-2026-7K3M-9QXD': the year, 7 random characters and a check character."""
    body = token or "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_CHARS))
    if len(body) != _RANDOM_CHARS or any(c not in ALPHABET for c in body):
        raise ValueError("token must be 7 characters of the Crockford alphabet")
    code = body + check_char(f"{year:04d}{body}")
    return f"{PREFIX}-{year:04d}-{code[:4]}-{code[4:]}"


def parse_number(text: str) -> str | None:
    """The canonical form of a number as a person may type it (any case, spaces or dashes anywhere, O for 0,
    I or L for 1), or None when it is not a well-formed number with a correct check character."""
    compact = "".join(c for c in text.upper() if c not in " -\t").translate(_LOOKALIKES)
    if not compact.startswith(PREFIX):
        return None
    rest = compact[len(PREFIX):]
    if len(rest) != 4 + _RANDOM_CHARS + 1 or not rest[:4].isdigit() or any(c not in ALPHABET for c in rest):
        return None
    year, code = rest[:4], rest[4:]
    if check_char(year + code[:-1]) != code[-1]:
        return None
    return f"{PREFIX}-{year}-{code[:4]}-{code[4:]}"


# --- canonical JSON (RFC 8785) -----------------------------------------------------------------------------

def canonical(value: Any) -> bytes:
    """The JCS serialisation of `value` as UTF-8 bytes.

    Our documents (string keys in ASCII, no floats) take a fast path: for them `json.dumps` with sorted keys,
    no spaces and UTF-8 kept is byte for byte the JCS form (its string escapes are those of RFC 8785, and
    sorting ASCII keys by code point is sorting them by UTF-16 code unit). Anything else goes through the
    general serialiser; tests/domain/test_certificates.py checks the two agree."""
    if _fast(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return _jcs(value).encode("utf-8")


def _fast(value: Any) -> bool:
    """True when `value` holds only None, bools, ints, strings, lists and dicts with ASCII string keys."""
    if isinstance(value, dict):
        return all(type(k) is str and k.isascii() and _fast(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_fast(v) for v in value)
    return value is None or type(value) in (str, int, bool)


def _jcs(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not used in signed documents")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(str(k))}:{_jcs(value[k])}" for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


# --- keys and signatures -----------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the file's permissions (0600) protect it."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def public_jwk(key: Ed25519PublicKey | Ed25519PrivateKey) -> dict[str, str]:
    """The public key as an RFC 8037 OKP JWK with its RFC 7638 thumbprint as `kid`."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    return {**jwk, "kid": thumbprint(jwk), "alg": "EdDSA", "use": "sig"}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an OKP key: SHA-256 over its required members in canonical order."""
    required = {k: jwk[k] for k in ("crv", "kty", "x")}
    return b64url(hashlib.sha256(canonical(required)).digest())


def load_public_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(b64url_decode(str(jwk["x"])))


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The Ed25519 signature of `data`, base64url without padding."""
    return b64url(key.sign(data))


def verify(jwk: Mapping[str, Any], data: bytes, signature: str) -> bool:
    """Whether `signature` (base64url) is the key's signature of `data`; any malformed input is False."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        return False
    return _verify_raw(jwk["x"], data, signature)


@lru_cache(maxsize=4096)
def _verify_raw(x: str, data: bytes, signature: str) -> bool:
    """Ed25519 verification, remembered per exact (key, data, signature): the verification page checks the
    same stored certificates again and again, and the answer for identical inputs never changes."""
    try:
        Ed25519PublicKey.from_public_bytes(b64url_decode(x)).verify(b64url_decode(signature), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# --- the signed payload ------------------------------------------------------------------------------------

def person_ref(person_hash: str) -> str:
    """A stable reference to the person derived from the keyed identity hash (never from the ID number), so
    a published payload does not even reveal the platform's own identity hash."""
    return hashlib.sha256(f"hvs-certificate-person:{person_hash}".encode("ascii")).hexdigest()[:32]


def iso_utc(moment: datetime) -> str:
    """RFC 3339 in UTC to the second, e.g. '2026-11-25T09:30:00Z'."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate states; the same facts feed the payload, the credential, the page and the PDF."""

    number: str
    holder_name: str
    course_slug: str
    course_title: str
    competencies: tuple[str, ...]
    level: int
    issued_at: datetime
    issuer_name: str
    person_hash: str
    key_id: str


def payload(facts: CertificateFacts) -> dict[str, Any]:
    """The payload that is signed, as a JSON object."""
    return {
        "v": PAYLOAD_VERSION,
        "number": facts.number,
        "holder": facts.holder_name,
        "course": {"slug": facts.course_slug, "title": facts.course_title},
        "competencies": list(facts.competencies),
        "level": facts.level,
        "issued": iso_utc(facts.issued_at),
        "issuer": facts.issuer_name,
        "person": person_ref(facts.person_hash),
        "kid": facts.key_id,
    }


def sign_payload(key: Ed25519PrivateKey, body: Mapping[str, Any]) -> str:
    return sign(key, canonical(body))


def verify_payload(jwk: Mapping[str, Any], body: Mapping[str, Any], signature: str) -> bool:
    return verify(jwk, canonical(body), signature)


def competency_codes(codes: Sequence[str]) -> tuple[str, ...]:
    """Codes in framework order ('1.2' before '1.10'), without duplicates."""
    return tuple(sorted(set(codes), key=lambda c: tuple(int(p) if p.isdigit() else 0 for p in c.split("."))))
