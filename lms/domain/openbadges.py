"""Open Badges 3.0 credentials for certificates, secured with an embedded Data Integrity proof
(`DataIntegrityProof`, cryptosuite `eddsa-jcs-2022`) so that they verify offline with a published key.

Why this proof and not a VC-JWT: the credential stays a plain JSON document that the 1EdTech schema validates
as it is, readable by people and wallets, and the proof needs nothing but JCS, SHA-256 and Ed25519 — no
JSON-LD processing and no network. The algorithm (W3C "Data Integrity EdDSA Cryptosuites v1.0", §3.3):
hash = SHA-256(JCS(proof options + the document's @context)) ‖ SHA-256(JCS(document without proof)), signed
with Ed25519; `proofValue` is the signature in multibase base58btc ('z…').
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .certificates import CertificateFacts, canonical, iso_utc, load_public_jwk

CONTEXT = ["https://www.w3.org/ns/credentials/v2",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
FRAMEWORK_NAME = "Thông tư 02/2025/TT-BGDĐT"
CRYPTOSUITE = "eddsa-jcs-2022"
KEYS_PATH = "/.well-known/hvs-certificate-keys.json"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# The form of the credential a certificate carries. 1: up to November 2026, with an IdentityObject holding a
# salted SHA-256 of the national ID number (guessable offline: an ID number has little entropy) and the
# platform's own status URL. 2: no ID-derived data at all, revocation as a BitstringStatusListEntry.
# Credentials of an older form are re-issued by `lms certificates reissue`.
CREDENTIAL_FORM = 2


def credential_id(base_url: str, number: str) -> str:
    return f"{base_url}/certificates/{number}"


def verification_method(base_url: str, kid: str) -> str:
    """Where the key is published: the JWKS document, with the key id as fragment."""
    return f"{base_url}{KEYS_PATH}#{kid}"


def build(facts: CertificateFacts, base_url: str, status: Mapping[str, Any] | None,
          competency_name: Callable[[str], str], description: str) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential: issuer profile, the holder as AchievementSubject identified by the
    verified name only, the course as an Achievement aligned to the framework codes, and `status` (a
    BitstringStatusListEntry, lms.domain.statuslist.entry) as its credentialStatus.

    Nothing derived from the ID number is put in: a salted SHA-256 (Open Badges' IdentityObject) of a
    12-digit ID number is found by trying every number in seconds to hours. Whether a credential belongs to
    the person with ID X is answered by the issuer's server (keyed hash, rate limited, audited)."""
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "name": facts.holder_name}
    subject["achievement"] = {
        "id": f"{base_url}/courses/{facts.course_slug}/",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": facts.course_title,
        "description": description,
        "criteria": {"narrative": "Hoàn thành tất cả bài học và đạt các bài kiểm tra bắt buộc của khóa học "
                                  f"(mức {facts.level} theo {FRAMEWORK_NAME})."},
        "inLanguage": "vi",
        "alignment": [{
            "type": ["Alignment"],
            "targetName": competency_name(code),
            "targetCode": code,
            "targetFramework": FRAMEWORK_NAME,
            "targetType": "CFItem",
            "targetUrl": f"{base_url}/courses?domain={code.split('.')[0]}",
        } for code in facts.competencies],
        "tag": [f"level-{facts.level}"],
    }
    issued = iso_utc(facts.issued_at)
    return {
        "@context": list(CONTEXT),
        "id": credential_id(base_url, facts.number),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{facts.course_title} — {facts.number}",
        "issuer": {"id": base_url, "type": ["Profile"], "name": facts.issuer_name, "url": base_url},
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": subject,
        **({"credentialStatus": dict(status)} if status is not None else {}),
    }


def _hash_data(document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    config = {k: v for k, v in options.items() if k != "proofValue"}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(unsecured)).digest()


def add_proof(document: Mapping[str, Any], key: Ed25519PrivateKey, method: str,
              created: datetime) -> dict[str, Any]:
    """A copy of `document` with an eddsa-jcs-2022 proof appended (as a list: OB 3.0's schema wants one)."""
    options: dict[str, Any] = {
        "type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": iso_utc(created),
        "verificationMethod": method, "proofPurpose": "assertionMethod", "@context": document["@context"],
    }
    signature = key.sign(_hash_data(document, options))
    secured = copy.deepcopy(dict(document))
    secured["proof"] = [{**options, "proofValue": "z" + base58_encode(signature)}]
    return secured


REASONS = {
    "no_proof": "no proof: the document carries no DataIntegrityProof",
    "unsupported_proof": "the proof is not exactly one eddsa-jcs-2022 DataIntegrityProof for assertionMethod",
    "context_mismatch": "the proof's @context differs from the document's",
    "unknown_key": "unknown key id: the proof names a key that is not among the given keys",
    "bad_signature": "the signature does not match",
}


@dataclass(frozen=True)
class Check:
    """The outcome of checking a credential's proof: `ok`, and else a stable reason code."""

    ok: bool
    reason: str = ""
    kid: str = ""
    number: str = ""


def check(document: Any, keys: Mapping[str, Mapping[str, Any]]) -> Check:
    """Check a credential's proof against `keys` (kid -> public JWK). Every byte of the document other than
    the proof value is covered: any change to it, or to the proof options, fails."""
    proofs = document.get("proof") if isinstance(document, dict) else None
    if proofs is None:
        return Check(False, "no_proof")
    if not isinstance(proofs, list) or len(proofs) != 1:
        return Check(False, "unsupported_proof")
    proof = document["proof"][0]
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof" or \
            proof.get("cryptosuite") != CRYPTOSUITE or proof.get("proofPurpose") != "assertionMethod":
        return Check(False, "unsupported_proof")
    if proof.get("@context") != document.get("@context"):
        return Check(False, "context_mismatch")
    method = proof.get("verificationMethod")
    kid = method.rsplit("#", 1)[-1] if isinstance(method, str) and "#" in method else ""
    number = str(document.get("id", "")).rsplit("/", 1)[-1]
    if kid not in keys:
        return Check(False, "unknown_key", kid, number)
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return Check(False, "bad_signature", kid, number)
    try:
        signature = base58_decode(value[1:])
        load_public_jwk(keys[kid]).verify(signature, _hash_data(document, proof))
    except (InvalidSignature, ValueError, TypeError, KeyError):
        return Check(False, "bad_signature", kid, number)
    return Check(True, "", kid, number)


def base58_encode(data: bytes) -> str:
    """Bitcoin base58 (the alphabet multibase 'z' denotes)."""
    value = int.from_bytes(data, "big")
    out = ""
    while value:
        value, rem = divmod(value, 58)
        out = _B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58_decode(text: str) -> bytes:
    value = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError("not base58")
        value = value * 58 + index
    body = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body
