"""How a certificate's facts are shown: competency names, the level label, the local date, URLs and the
status JSON of the public check."""
from __future__ import annotations

from datetime import timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from ...domain import certificates as certs
from ...domain.framework import framework
from ...models import Certificate
from ...services import certificates
from ..helpers import external_url


def competency_names(codes: list[str], locale: str = "vi") -> list[tuple[str, str]]:
    items = framework().competencies
    return [(code, items[code].name(locale) if code in items else code) for code in codes]


def level_label(level: int, locale: str = "vi") -> str:
    try:
        return f"{framework().tier_of(level).name(locale)} – {level}"
    except StopIteration:
        return str(level)


def local_date(cert: Certificate) -> str:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return cert.issued_at.astimezone(zone).strftime("%d/%m/%Y")


def verify_url(number: str) -> str:
    return external_url("certificates.verify", number=number)


def status_json(result: certificates.Verification) -> dict[str, Any]:
    body: dict[str, Any] = {"number": result.number, "status": result.status}
    cert = result.certificate
    if cert is not None and result.status in ("valid", "revoked"):
        body.update({
            "holder": cert.holder_name, "course": cert.course_title, "issued": certs.iso_utc(cert.issued_at),
            "issuer": cert.issuer_name, "level": cert.level,
            "competencies": [{"code": c, "name": n} for c, n in competency_names(cert.competencies)],
        })
        if cert.revoked_at is not None:
            body["revoked"] = {"at": certs.iso_utc(cert.revoked_at.astimezone(timezone.utc)),
                               "reason": cert.revoked_reason}
    return body
