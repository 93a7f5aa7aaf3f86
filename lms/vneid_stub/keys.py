"""The stub's secrets, generated on first use into the instance folder (never committed): its RS256 signing
key `<instance>/vneid/keys/rs256.pem` (key id = RFC 7638 thumbprint, so a verifier can pick it from the JWKS)
and the key of its pairwise subject identifiers `<instance>/vneid/keys/subject.key`."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

from ..files import create_once

ALGORITHM = "RS256"
KEY_FILE = "rs256.pem"
SUBJECT_KEY_FILE = "subject.key"


def load_or_create(directory: Path) -> RSAKey:
    """The private signing key in `directory`, created (RSA 2048) if there is none."""
    pem = create_once(directory / KEY_FILE, lambda: RSAKey.generate_key(2048).as_pem(private=True))
    thumbprint = RSAKey.import_key(pem).thumbprint()
    return RSAKey.import_key(pem, {"kid": thumbprint, "use": "sig", "alg": ALGORITHM})


def jwks(key: RSAKey) -> dict[str, Any]:
    """The public JSON Web Key Set that verifies the stub's ID tokens."""
    return KeySet([key]).as_dict(private=False)


def subject_key(directory: Path) -> bytes:
    """The secret under which the stub derives pairwise subject identifiers (one per citizen and client)."""
    return create_once(directory / SUBJECT_KEY_FILE, lambda: secrets.token_bytes(32))
