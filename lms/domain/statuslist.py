"""Revocation as a W3C Bitstring Status List (v1.0), the status method Open Badges 3.0 names.

Each certificate owns one bit of a published list: bit `statusListIndex` of list `n` is 1 once it is revoked.
The list is a `BitstringStatusListCredential` whose `encodedList` is multibase base64url ('u', no padding) of
the GZIP-compressed bitstring; bit 0 is the most significant bit of the first byte. A list holds
`LIST_SIZE` = 131,072 entries (16 KB, the minimum the specification sets for herd privacy): a verifier
downloads the whole list and the issuer never learns which certificate was checked.

Indexes are drawn at random within the list (not in issue order), so an index says nothing about when a
certificate was issued or how many were issued before it. The list is signed with the same
`eddsa-jcs-2022` proof as the certificates (lms.domain.openbadges).

A list is good for `VALIDITY` (one day) from its `validFrom`: it carries `validUntil` and the subject's `ttl`
(milliseconds, the specification's time to live), and `check` refuses a list past either — or older than
`MAX_AGE` when it has neither (lists signed before they had them) — so that a list fetched before a
revocation cannot be shown as "not revoked" later.
"""
from __future__ import annotations

import base64
import gzip
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from .certificates import iso_utc

LIST_SIZE = 131_072
PURPOSE = "revocation"
CONTEXT = ["https://www.w3.org/ns/credentials/v2"]
_MAX_DECODED = 16 * 1024 * 1024  # refuse a "GZIP bomb" beyond 16 MB of bits
VALIDITY = timedelta(days=1)  # validUntil - validFrom, and the ttl, of a list the platform signs
MAX_AGE = VALIDITY  # the longest a verifier here trusts any list, whatever it says
CLOCK_SKEW = timedelta(minutes=5)  # a validFrom this far ahead of the verifier's clock is still accepted


def list_url(base_url: str, list_number: int) -> str:
    return f"{base_url}/status/{PURPOSE}/{list_number}"


def entry(base_url: str, list_number: int, index: int) -> dict[str, str]:
    """The credential's `credentialStatus`: a BitstringStatusListEntry (the index is a string, per spec)."""
    url = list_url(base_url, list_number)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": PURPOSE,
            "statusListIndex": str(index), "statusListCredential": url}


def encode(indexes: Iterable[int], size: int = LIST_SIZE) -> str:
    """The `encodedList` with the bits of `indexes` set."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode("ascii").rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an `encodedList`; ValueError with the reason when it is not one."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url (it must start with 'u')")
    try:
        compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
        inflater = zlib.decompressobj(wbits=31)  # GZIP framing
        bits = inflater.decompress(compressed, _MAX_DECODED)
    except (ValueError, zlib.error) as err:
        raise ValueError(f"encodedList is not GZIP-compressed base64url ({err})") from err
    if inflater.unconsumed_tail:
        raise ValueError("encodedList is larger than 16 MB")
    if len(bits) < LIST_SIZE // 8:
        raise ValueError(f"the list has {len(bits) * 8} entries, fewer than the minimum {LIST_SIZE}")
    return bits


def bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


def build(base_url: str, list_number: int, revoked: Iterable[int], now: datetime) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential of list `list_number`."""
    url = list_url(base_url, list_number)
    return {
        "@context": list(CONTEXT),
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": base_url,
        "validFrom": iso_utc(now),
        "validUntil": iso_utc(now + VALIDITY),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": PURPOSE,
                              "encodedList": encode(revoked), "ttl": int(VALIDITY.total_seconds()) * 1000},
    }


def issuer_id(document: Mapping[str, Any]) -> str:
    issuer = document.get("issuer")
    return str(issuer.get("id", "")) if isinstance(issuer, Mapping) else str(issuer or "")


@dataclass(frozen=True)
class Status:
    """`revoked`, `not_revoked`, or `unchecked` with the reason in plain words; `list_date` is the list's
    validFrom once the list was found to be the credential's, signed and within its validity."""

    state: str
    reason: str = ""
    list_date: str = field(default="", compare=False)


def _moment(value: Any) -> datetime | None:
    """An RFC 3339 date-time as an aware datetime (UTC when it names no offset), None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def freshness(listing: Mapping[str, Any], subject: Mapping[str, Any], now: datetime) -> str:
    """'' when the list is within its validity at `now`, else why not: valid from validFrom until the
    earliest of validUntil, validFrom + ttl and validFrom + MAX_AGE."""
    start = _moment(listing.get("validFrom"))
    if start is None:
        return "the list has no valid validFrom date"
    if start > now + CLOCK_SKEW:
        return f"the list's validFrom {listing['validFrom']} is in the future"
    ends = [start + MAX_AGE]
    if "validUntil" in listing:
        until = _moment(listing.get("validUntil"))
        if until is None:
            return "the list's validUntil is not a date"
        ends.append(until)
    ttl = subject.get("ttl")
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
            return "the list's ttl is not a number of milliseconds"
        if ttl:  # 0: no time to live given
            ends.append(start + timedelta(milliseconds=ttl))
    if now >= min(ends):
        return f"expired list of {listing['validFrom']}"
    return ""


def status_entry(credential: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The credential's revocation BitstringStatusListEntry, if it has one."""
    status = credential.get("credentialStatus")
    for item in status if isinstance(status, list) else [status]:
        if isinstance(item, Mapping) and item.get("type") == "BitstringStatusListEntry" and \
                item.get("statusPurpose") == PURPOSE:
            return item
    return None


def check(credential: Mapping[str, Any], listing: Any, proof_ok: str, now: datetime) -> Status:
    """The revocation status of `credential` read from `listing` (a status list credential whose proof was
    checked by the caller: `proof_ok` is '' when it verified, else the reason it did not)."""
    found = status_entry(credential)
    if found is None:
        return Status("unchecked", "the credential has no BitstringStatusListEntry")
    if not isinstance(listing, Mapping):
        return Status("unchecked", "the list is not a JSON object")
    if proof_ok:
        return Status("unchecked", f"the list's {proof_ok}")
    if listing.get("id") != found.get("statusListCredential"):
        return Status("unchecked", "the list is not the one the credential names "
                                   f"({found.get('statusListCredential')})")
    if issuer_id(listing) != issuer_id(credential):
        return Status("unchecked", "the list was issued by someone other than the certificate's issuer")
    types = listing.get("type")
    subject = listing.get("credentialSubject")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types or \
            not isinstance(subject, Mapping) or subject.get("type") != "BitstringStatusList" or \
            subject.get("statusPurpose") != PURPOSE:
        return Status("unchecked", "the document is not a revocation BitstringStatusListCredential")
    stale = freshness(listing, subject, now)
    if stale:
        return Status("unchecked", stale)
    try:
        bits = decode(subject.get("encodedList"))  # type: ignore[arg-type]
        index = int(str(found.get("statusListIndex")))
    except ValueError as err:
        return Status("unchecked", str(err))
    if not 0 <= index < len(bits) * 8:
        return Status("unchecked", f"index {index} is outside the list")
    return Status("revoked" if bit(bits, index) else "not_revoked", list_date=str(listing["validFrom"]))
