"""A unit's quarterly report, frozen and signed (docs/reporting.md, "Quarterly reports").

When an official closes a quarter for their unit, the figures as of that moment are written into a document
that later events cannot change, signed with the platform's Ed25519 key over its canonical JSON (RFC 8785,
the same as a certificate's payload), and verifiable like a certificate with the published keys. A corrected
resubmission is a new version that names the one it supersedes; the earlier one is kept.

Figures are whole numbers (counts, the target in percent, the population) or None: no floats enter a signed
document (a rate is its numerator and denominator, shown as a percentage by whoever reads it).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import certificates as certs
from .quarters import Quarter

DOCUMENT_TYPE = "HVSQuarterlyReport"
VERSION = 1
FIGURE_KEYS = ("group", "registered", "verified", "started", "completed", "achieved", "population",
               "population_source", "target_percent")


class ReportError(ValueError):
    """A report that cannot be built as given (the message says what is wrong)."""


def report_id(unit_code: str, quarter: Quarter, version: int) -> str:
    """The report's stable identifier, e.g. `HVS-R-00070-2025Q3-v2`."""
    return f"HVS-R-{unit_code}-{quarter}-v{version}"


def _figure(row: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(row) - set(FIGURE_KEYS)
    if unknown:
        raise ReportError(f"unknown figure fields: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key in FIGURE_KEYS:
        value = row.get(key)
        if key == "population_source":
            if value is not None and not isinstance(value, str):
                raise ReportError("population_source must be text")
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ReportError(f"{key} must be a whole number ≥ 0 or empty, not {value!r}")
        out[key] = value
    if out["group"] is None:
        raise ReportError("every figure row names its target group")
    return out


def build(*, unit_code: str, unit_name: str, quarter: Quarter, cutoff: datetime, figures: Sequence[Mapping[str, Any]],
          submitted_by: str, version: int, supersedes: str | None, program: str | None, key_id: str,
          issuer: str) -> dict[str, Any]:
    """The document to sign. `cutoff` is the moment the figures hold (the closing), `figures` one row per
    target group (FIGURE_KEYS), `version` 1 for the first submission."""
    if version < 1 or (version == 1) != (supersedes is None):
        raise ReportError("version 1 supersedes nothing; a later version names the one it corrects")
    rows = [_figure(row) for row in figures]
    groups = [row["group"] for row in rows]
    if len(set(groups)) != len(groups):
        raise ReportError("a target group appears twice")
    return {
        "type": DOCUMENT_TYPE,
        "v": VERSION,
        "id": report_id(unit_code, quarter, version),
        "unit": {"code": unit_code, "name": unit_name},
        "quarter": str(quarter),
        "cutoff": certs.iso_utc(cutoff),
        "program": program,
        "figures": sorted(rows, key=lambda r: r["group"]),
        "submitted_by": submitted_by,
        "version": version,
        "supersedes": supersedes,
        "issuer": issuer,
        "kid": key_id,
    }


def sign(key: Ed25519PrivateKey, document: Mapping[str, Any]) -> str:
    return certs.sign_payload(key, document)


def verify(document: Mapping[str, Any], signature: str, keys: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether `signature` is the platform's signature of exactly `document`, by the key it names (`keys`:
    kid -> public JWK, retired keys included)."""
    if document.get("type") != DOCUMENT_TYPE:
        return False
    jwk = keys.get(str(document.get("kid", "")))
    if jwk is None:
        return False
    try:
        return certs.verify_payload(jwk, document, signature)
    except (TypeError, ValueError):
        return False
