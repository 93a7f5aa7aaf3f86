"""The token and userinfo endpoints: the full code flow with PKCE S256, an ID token that verifies against
the JWKS with every claim, and the refusals (missing or wrong verifier, reused or expired code, wrong
redirect URI or client secret, bad bearer tokens)."""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.vneid.conftest import A, B, Provider


def verify(provider: Provider, id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of an ID token, its RS256 signature checked with the published JWKS."""
    token = jwt.decode(id_token, KeySet.import_key_set(provider.jwks()), algorithms=["RS256"])
    return token.header, token.claims


def test_full_code_flow(any_provider: Provider) -> None:
    """Login, consent, code + S256 verifier -> access token and a signed ID token with all the claims."""
    auth, body = any_provider.tokens(A)
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 300, "openid profile vneid")
    assert "refresh_token" not in body
    header, claims = verify(any_provider, body["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == any_provider.stub.key.kid
    now = any_provider.stub.clock()
    assert claims["iss"] == "http://localhost/vneid"
    assert claims["aud"] == "hocvuso-lms"
    assert claims["nonce"] == auth.nonce
    assert claims["exp"] == claims["iat"] + 300 and abs(claims["iat"] - now) < 5
    assert claims["vn_personal_id"] == "001190012345"
    assert claims["name"] == "Nguyễn Thị Lan"
    assert claims["birthdate"] == "1990-05-02"
    assert claims["gender"] == "female"
    assert claims["vn_account_level"] == 2
    assert claims["vn_residence"] == {"province_code": "01", "commune_code": "00070"}
    assert len(claims["sub"]) == 64 and "001190012345" not in claims["sub"]  # pairwise, not the number
    # at_hash binds the access token to this ID token (OIDC core 3.1.3.6).
    digest = hashlib.sha256(body["access_token"].encode("ascii")).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def test_userinfo_with_bearer_token(any_provider: Provider) -> None:
    """The access token reads the same identity at /userinfo (GET and POST)."""
    _auth, body = any_provider.tokens(B)
    _header, claims = verify(any_provider, body["id_token"])
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    info = any_provider.client.get("/vneid/userinfo", headers=headers)
    assert info.status_code == 200
    names = ("sub", "name", "birthdate", "gender", "vn_personal_id", "vn_account_level", "vn_residence")
    expected = {k: claims[k] for k in names}
    assert info.get_json() == expected
    assert expected["vn_account_level"] == 1 and expected["gender"] == "male"
    assert any_provider.client.post("/vneid/userinfo", headers=headers).get_json() == expected


def test_scope_limits_the_claims(provider: Provider) -> None:
    """With only `openid profile` the ID token and userinfo carry no ID number, level or residence."""
    _auth, body = provider.tokens(A, scope="openid profile")
    _header, claims = verify(provider, body["id_token"])
    assert {"name", "birthdate", "gender"} <= set(claims)
    assert not {"vn_personal_id", "vn_account_level", "vn_residence"} & set(claims)
    info = provider.client.get("/vneid/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert set(info.get_json()) == {"sub", "name", "birthdate", "gender"}


def test_client_secret_post(provider: Provider) -> None:
    """The client may authenticate with its secret in the form body instead of HTTP Basic."""
    auth, code = provider.code()
    response = provider.exchange(code, auth.verifier, basic=False)
    assert response.status_code == 200 and "id_token" in response.get_json()


def test_pairwise_subject(tmp_path_factory: pytest.TempPathFactory, registry_json: Any) -> None:
    """The subject is stable for a citizen and client, and differs between clients and citizens."""
    from lms.vneid_stub import create_stub_app
    from tests.vneid.conftest import SECRET_KEY, install_registry

    clients = [{"client_id": cid, "client_secret": f"secret-{cid}",
                "redirect_uris": [f"https://{cid}.example/cb"]} for cid in ("one", "two")]
    app = create_stub_app(str(tmp_path_factory.mktemp("pairwise")),
                          {"TESTING": True, "SECRET_KEY": SECRET_KEY, "VNEID_STUB_CLIENTS": clients})
    install_registry(app, registry_json)
    subjects = {}
    for cid in ("one", "two"):
        for citizen, round_ in ((A, 1), (A, 2), (B, 1)):
            rp = Provider(app, app.test_client())
            rp.client_id, rp.client_secret = cid, f"secret-{cid}"
            rp.redirect_uri = f"https://{cid}.example/cb"
            _auth, body = rp.tokens(citizen)
            subjects[cid, citizen.label, round_] = verify(rp, body["id_token"])[1]["sub"]
    app.extensions["vneid"].dispose()
    assert subjects["one", "A", 1] == subjects["one", "A", 2]
    assert subjects["two", "A", 1] == subjects["two", "A", 2]
    assert subjects["one", "A", 1] != subjects["two", "A", 1]
    assert subjects["one", "A", 1] != subjects["one", "B", 1]


def _error(response: Any) -> str:
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    assert "id_token" not in response.get_data(as_text=True)
    return str(json.loads(response.get_data(as_text=True))["error"])


def test_missing_verifier_is_refused(provider: Provider) -> None:
    """PKCE is checked at the token endpoint: no code_verifier, no token."""
    _auth, code = provider.code()
    assert _error(provider.exchange(code, None)) == "invalid_request"


def test_wrong_verifier_is_refused(provider: Provider) -> None:
    """A verifier that does not hash to the challenge gets invalid_grant."""
    _auth, code = provider.code()
    other = provider.authorization().verifier
    assert _error(provider.exchange(code, other)) == "invalid_grant"


def test_code_is_single_use(provider: Provider) -> None:
    """A second use of a code fails, and the token the first use gave is revoked (RFC 6749 §4.1.2)."""
    auth, code = provider.code()
    first = provider.exchange(code, auth.verifier)
    assert first.status_code == 200
    bearer = {"Authorization": f"Bearer {first.get_json()['access_token']}"}
    assert provider.client.get("/vneid/userinfo", headers=bearer).status_code == 200
    assert _error(provider.exchange(code, auth.verifier)) == "invalid_grant"
    assert provider.client.get("/vneid/userinfo", headers=bearer).status_code == 401


def test_code_expires_after_its_ttl(provider: Provider) -> None:
    """A code is good for VNEID_STUB_CODE_TTL (60 s) on the stub's clock, then refused. The clock stands
    still while a code is made, so a slow machine cannot age the code before the test moves the clock."""
    issued = provider.stub.clock()
    provider.stub.clock = lambda: issued
    auth, code = provider.code()
    provider.stub.clock = lambda: issued + 61
    assert _error(provider.exchange(code, auth.verifier)) == "invalid_grant"
    auth, code = provider.code()  # made at issued + 61
    provider.stub.clock = lambda: issued + 61 + 59
    assert provider.exchange(code, auth.verifier).status_code == 200


def test_code_ttl_is_configurable(tmp_path_factory: pytest.TempPathFactory, registry_json: Any) -> None:
    """VNEID_STUB_CODE_TTL = 0 makes every code expired at once."""
    from lms.vneid_stub import create_stub_app
    from tests.vneid.conftest import SECRET_KEY, install_registry

    app = create_stub_app(str(tmp_path_factory.mktemp("ttl")),
                          {"TESTING": True, "SECRET_KEY": SECRET_KEY, "VNEID_STUB_CODE_TTL": 0})
    install_registry(app, registry_json)
    rp = Provider(app, app.test_client())
    auth, code = rp.code()
    assert _error(rp.exchange(code, auth.verifier)) == "invalid_grant"
    app.extensions["vneid"].dispose()


def test_wrong_redirect_uri_at_token_endpoint(provider: Provider) -> None:
    """The token request must repeat the redirect_uri the code was issued for."""
    auth, code = provider.code()
    other = "http://localhost:8080/auth/vneid/callback"  # registered too, but not the one used
    assert _error(provider.exchange(code, auth.verifier, redirect_uri=other)) == "invalid_grant"
    assert provider.exchange(code, auth.verifier).status_code == 200  # the refusal did not burn the code


def test_wrong_client_secret(provider: Provider) -> None:
    """A client that cannot authenticate gets invalid_client (401 with HTTP Basic)."""
    auth, code = provider.code()
    response = provider.exchange(code, auth.verifier, secret="not-the-secret")
    assert response.status_code == 401 and _error(response) == "invalid_client"


def test_unknown_code(provider: Provider) -> None:
    """A made-up code is invalid_grant."""
    assert _error(provider.exchange("x" * 48, provider.authorization().verifier)) == "invalid_grant"


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_userinfo_needs_a_valid_bearer_token(provider: Provider, header: str | None) -> None:
    """Without a valid bearer token /userinfo answers 401 and reveals nothing."""
    headers = {"Authorization": header} if header else {}
    response = provider.client.get("/vneid/userinfo", headers=headers)
    assert response.status_code in (400, 401)
    assert "vn_personal_id" not in response.get_data(as_text=True)


def test_access_token_expires(provider: Provider) -> None:
    """The access token lives 300 s on the stub's clock."""
    _auth, body = provider.tokens()
    issued = provider.stub.clock()
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    provider.stub.clock = lambda: issued + 301
    response = provider.client.get("/vneid/userinfo", headers=bearer)
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_token_endpoint_answers_are_not_cached(any_provider: Provider) -> None:
    """Token responses carry Cache-Control: no-store."""
    auth, code = any_provider.code()
    response = any_provider.exchange(code, auth.verifier)
    assert response.headers["Cache-Control"] == "no-store"
