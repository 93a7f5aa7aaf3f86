"""Pieces of the provider without a request: redirect URI matching, clients, scopes and the keys."""
from __future__ import annotations

from pathlib import Path

import pytest

from lms.vneid_stub import default_client_secret, keys
from lms.vneid_stub.clients import Client, load_clients, redirect_uri_matches

ANY_PORT = "http://127.0.0.1:*/auth/vneid/callback"


@pytest.mark.parametrize("uri, ok", [
    ("http://127.0.0.1:5000/auth/vneid/callback", True),
    ("http://127.0.0.1:8123/auth/vneid/callback", True),
    ("http://127.0.0.1/auth/vneid/callback", True),
    ("https://127.0.0.1:5000/auth/vneid/callback", False),  # another scheme
    ("http://127.0.0.2:5000/auth/vneid/callback", False),  # another host
    ("http://127.0.0.1:5000/auth/vneid/callback/x", False),  # another path
    ("http://127.0.0.1:5000/auth/vneid/callback?next=/x", False),  # extra query
    ("http://127.0.0.1:5000/auth/vneid/callback#frag", False),
    ("http://127.0.0.1:5000@evil.example/auth/vneid/callback", False),  # user-info trick
    ("http://evil.example/?http://127.0.0.1:5000/auth/vneid/callback", False),
    ("http://127.0.0.1:abc/auth/vneid/callback", False),
])
def test_redirect_uri_with_any_port(uri: str, ok: bool) -> None:
    """`host:*` accepts any port on exactly that scheme, host and path; nothing else gets through."""
    assert redirect_uri_matches(ANY_PORT, uri) is ok


def test_exact_redirect_uri() -> None:
    """A registered URI without a wildcard matches only itself."""
    assert redirect_uri_matches("https://lms.example/cb", "https://lms.example/cb")
    assert not redirect_uri_matches("https://lms.example/cb", "https://lms.example:444/cb")


def test_default_client() -> None:
    """Without VNEID_STUB_CLIENTS there is one client whose secret derives from SECRET_KEY."""
    clients = load_clients({"SECRET_KEY": "k1", "VNEID_STUB_CLIENTS": None})
    client = clients["hocvuso-lms"]
    assert client.client_secret == default_client_secret("k1") != default_client_secret("k2")
    assert len(client.client_secret) == 64
    assert client.check_client_secret(default_client_secret("k1"))
    assert not client.check_client_secret(default_client_secret("k2"))
    assert client.check_redirect_uri("http://localhost:5000/auth/vneid/callback")
    assert not client.check_redirect_uri("http://localhost:5000/elsewhere")


@pytest.mark.parametrize("requested, allowed", [
    ("openid profile vneid", "openid profile vneid"),
    ("openid", "openid"),
    ("profile openid openid", "profile openid"),
    ("profile vneid", None),  # not an OpenID request
    (None, None),
])
def test_allowed_scope(requested: str | None, allowed: str | None) -> None:
    """Only OpenID requests are served, with the known scopes."""
    client = Client("c", "s", ("https://rp.example/cb",), "RP")
    assert client.get_allowed_scope(requested) == allowed


def test_signing_key_is_made_once(tmp_path: Path) -> None:
    """The key is generated on first use into the instance folder (mode 0600) and reused; kid = thumbprint;
    the JWKS carries only the public part."""
    first = keys.load_or_create(tmp_path / "keys")
    second = keys.load_or_create(tmp_path / "keys")
    assert first.kid == second.kid == first.thumbprint()
    assert (tmp_path / "keys" / "rs256.pem").stat().st_mode & 0o077 == 0
    (jwk,) = keys.jwks(first)["keys"]
    assert jwk["kid"] == first.kid and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    assert keys.subject_key(tmp_path / "keys") == keys.subject_key(tmp_path / "keys")
