"""Registry files for tests: the stub's real format, with a cheap passcode hash so many logins stay fast."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from flask import Flask
from werkzeug.security import generate_password_hash

from lms.vneid_stub import registry as stub_registry


def write_cheap_registry(path: Path, count: int, seed: int) -> Path:
    """Demo citizens + `count` random ones (seeded) with a PBKDF2 passcode hash that `check_password_hash` reads."""
    cheap = generate_password_hash(stub_registry.DEMO_PASSCODE, method="pbkdf2:sha256:1000")
    stub_registry.write(path, [dataclasses.replace(c, passcode_hash=cheap)
                               for c in stub_registry.generate(count, seed=seed)])
    return path


def install_registry(app: Flask, source: Path) -> None:
    """Put a registry file where the app's embedded (or standalone) stub reads it."""
    target = Path(app.instance_path) / "vneid" / "registry.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
