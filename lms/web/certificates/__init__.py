"""The certificate pages (`views`), with their rate limits (`limits`), forms (`forms`), display helpers
(`formatting`) and the issuing settings (`settings`)."""
from __future__ import annotations

from .formatting import competency_names, level_label
from .settings import certificate_settings
from .views import bp

# The names bench/certificates.py imports.
_competencies, _level_label = competency_names, level_label

__all__ = ["bp", "certificate_settings", "competency_names", "level_label"]
