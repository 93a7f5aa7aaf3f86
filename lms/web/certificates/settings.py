"""The certificate issuing settings of this app (CERTIFICATE_*, PUBLIC_URL), for views that issue or sign."""
from __future__ import annotations

from flask import current_app

from ...services import certificates
from ..helpers import public_url


def certificate_settings() -> certificates.Settings:
    """The issuing settings: every URL from PUBLIC_URL, never from the request's Host."""
    return certificates.Settings.from_config(current_app.config, public_url())
