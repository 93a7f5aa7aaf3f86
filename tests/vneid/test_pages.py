"""The authorization endpoint's pages: discovery and keys, login (wrong passcode, unknown or malformed number,
locked account), consent listing exactly the shared attributes, deny and cancel, and refused requests."""
from __future__ import annotations

import re

import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.conftest import csrf_token
from tests.vneid.conftest import ALL_SCOPES, A, B, C, Provider

CLAIM_ROW = re.compile(r'<span class="vn-claim-label">([^<]+)</span>')


def test_discovery_document(any_provider: Provider) -> None:
    """The metadata has the contract's values and passes Authlib's OpenID Provider Metadata validation."""
    response = any_provider.client.get("/vneid/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.get_json()
    OpenIDProviderMetadata(doc).validate()
    issuer = "http://localhost/vneid"
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert doc["jwks_uri"] == f"{issuer}/jwks.json"
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["scopes_supported"] == ["openid", "profile", "vneid"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert {"sub", "name", "birthdate", "gender", "vn_personal_id", "vn_account_level", "vn_residence"} \
        <= set(doc["claims_supported"])


def test_jwks(provider: Provider) -> None:
    """One RS256 public key whose kid is its RFC 7638 thumbprint; no private members."""
    (key,) = provider.jwks()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] == provider.stub.key.thumbprint()
    assert "d" not in key


def test_login_page_is_vneid_style_and_labelled(any_provider: Provider) -> None:
    """The page says it is a simulation, names the client and labels both inputs."""
    page = any_provider.client.get(any_provider.authorization().url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "VNeID — Định danh điện tử" in html and "(mô phỏng)" in html
    assert "Học Vụ Số" in html
    assert '<label for="id_number">Số định danh cá nhân</label>' in html
    assert '<label for="passcode">Mật mã (passcode)</label>' in html
    assert 'lang="vi"' in html
    assert "<script" not in html


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="vn-error" id="{field}-error">([^<]+)</p>', html)
    assert match, f"no error next to {field}"
    assert f'aria-describedby="{field}-hint {field}-error"' in html
    return match.group(1)


@pytest.mark.parametrize("number, passcode", [
    (A.id_number, "654321"),  # wrong passcode
    ("001190099999", "123456"),  # unknown (well-formed) number
])
def test_wrong_credentials(provider: Provider, number: str, passcode: str) -> None:
    """Either mistake gets the same message next to the passcode, and no login."""
    auth = provider.authorization()
    response = provider.login(auth, number, passcode)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _field_error(html, "passcode") == "Số định danh cá nhân hoặc mật mã không đúng."
    assert "Đồng ý" not in provider.client.get(auth.url).get_data(as_text=True)


@pytest.mark.parametrize("number, message", [
    ("12345", "Số định danh cá nhân gồm đúng 12 chữ số."),
    # No birth-registration province 999:
    ("999190012345", "Số định danh cá nhân không hợp lệ. Vui lòng kiểm tra lại 12 chữ số."),
    ("", "Vui lòng nhập số định danh cá nhân."),
])
def test_malformed_number(provider: Provider, number: str, message: str) -> None:
    """A number that cannot be one is flagged next to its field before any registry look-up."""
    response = provider.login(provider.authorization(), number)
    assert _field_error(response.get_data(as_text=True), "id_number") == message


def test_locked_account(provider: Provider) -> None:
    """The locked citizen with the right passcode is told the account is locked; no consent, no code."""
    auth = provider.authorization()
    response = provider.login(auth, C.id_number, C.passcode)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="alert" id="locked"' in html and "đang bị khóa" in html
    follow = provider.client.get(auth.url).get_data(as_text=True)
    assert "Đồng ý chia sẻ thông tin" not in follow and 'name="id_number"' in follow


@pytest.mark.parametrize("scope, labels", [
    (ALL_SCOPES, ["Họ, chữ đệm và tên", "Ngày, tháng, năm sinh", "Giới tính", "Số định danh cá nhân",
                  "Mức độ tài khoản định danh điện tử", "Nơi thường trú (tỉnh/thành phố, xã/phường)"]),
    ("openid profile", ["Họ, chữ đệm và tên", "Ngày, tháng, năm sinh", "Giới tính"]),
    ("openid", []),
])
def test_consent_lists_exactly_the_shared_attributes(any_provider: Provider, scope: str,
                                                     labels: list[str]) -> None:
    """After login the consent page lists the attributes of the requested scope, nothing more or less."""
    auth = any_provider.authorization(scope=scope)
    assert any_provider.login(auth, A.id_number).status_code == 303
    html = any_provider.client.get(auth.url).get_data(as_text=True)
    assert "Đồng ý chia sẻ thông tin" in html
    assert CLAIM_ROW.findall(html) == labels
    if scope == ALL_SCOPES:
        assert "********2345" in html and A.id_number not in html  # masked on screen
        assert "Phường Hoàn Kiếm, Thành phố Hà Nội" in html and "02/05/1990" in html and "Nữ" in html


def test_consent_form_may_post_to_the_client(provider: Provider) -> None:
    """Browsers apply CSP form-action to the redirect after a form: the stub allows the client's origin."""
    auth = provider.authorization()
    provider.login(auth, A.id_number)
    csp = provider.client.get(auth.url).headers["Content-Security-Policy"]
    assert "form-action 'self' http://localhost;" in csp
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_deny_returns_access_denied(any_provider: Provider) -> None:
    """"Từ chối" sends the citizen back with error=access_denied and the state, and no code."""
    auth = any_provider.authorization()
    any_provider.login(auth, B.id_number)
    params = any_provider.callback(any_provider.decide(auth, "deny"))
    assert (params["error"], params["state"]) == ("access_denied", auth.state)
    assert "code" not in params


def test_cancel_on_login_returns_access_denied(provider: Provider) -> None:
    """"Hủy" on the login page also ends at the client with access_denied."""
    auth = provider.authorization()
    token = csrf_token(provider.client, auth.url)
    response = provider.client.post(auth.url, data={"cancel": "Hủy", "csrf_token": token})
    params = provider.callback(response)
    assert (params["error"], params["state"]) == ("access_denied", auth.state)
    assert "code" not in params


def test_login_is_bound_to_its_request(provider: Provider) -> None:
    """A login made for one authorization request does not skip the login of another one."""
    first = provider.authorization()
    provider.login(first, A.id_number)
    other = provider.authorization()
    assert 'name="id_number"' in provider.client.get(other.url).get_data(as_text=True)


def test_forms_need_their_csrf_token(any_provider: Provider) -> None:
    """The login form is CSRF-protected (the token endpoint is the only exempt POST)."""
    auth = any_provider.authorization()
    response = any_provider.client.post(auth.url, data={"id_number": A.id_number, "passcode": "123456"})
    assert response.status_code == 400
    assert "Đồng ý" not in any_provider.client.get(auth.url).get_data(as_text=True)


@pytest.mark.parametrize("change, error", [
    ({"drop": ("code_challenge", "code_challenge_method")}, "invalid_request"),  # PKCE is required
    ({"code_challenge_method": "plain"}, "invalid_request"),  # and only S256
    ({"drop": ("nonce",)}, "invalid_request"),
    ({"drop": ("state",)}, "invalid_request"),
    ({"scope": "profile vneid"}, "invalid_scope"),  # no openid
    ({"scope": "openid email"}, "invalid_scope"),  # unknown scope
    ({"response_type": "token"}, "unsupported_response_type"),
])
def test_bad_requests_go_back_with_an_error(provider: Provider, change: dict, error: str) -> None:
    """A request from a known client to its own redirect URI but otherwise wrong returns an error there,
    before any login page."""
    auth = provider.authorization(**change)
    params = provider.callback(provider.client.get(auth.url))
    assert params["error"] == error
    assert "code" not in params


@pytest.mark.parametrize("change", [
    {"redirect_uri": "https://evil.example/auth/vneid/callback"},
    {"client_id": "nobody"},
    {"drop": ("redirect_uri",)},
])
def test_unverifiable_requests_are_shown_not_redirected(provider: Provider, change: dict) -> None:
    """An unknown client or an unregistered redirect URI gets an error page: no open redirector."""
    response = provider.client.get(provider.authorization(**change).url)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Không thể đăng nhập" in response.get_data(as_text=True)


def test_replayed_nonce_is_refused(provider: Provider) -> None:
    """A nonce that already produced a code cannot be used again by the same client."""
    auth, _code = provider.code()
    again = provider.authorization(nonce=auth.nonce)
    assert provider.callback(provider.client.get(again.url))["error"] == "invalid_request"
