"""Production and demo mode (LMS_MODE): the stub, the demo secrets and a missing public URL refuse to start in
production; demo mode (the suite, `.ci/serve`, the benchmarks) keeps the simulated VNeID."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lms import config, create_app
from lms.vneid_stub import default_client_secret

PRODUCTION: dict[str, Any] = {
    "LMS_MODE": "production", "SECRET_KEY": "a-real-secret-from-the-operator-0123456789",
    "PUBLIC_URL": "https://hocvuso.example.vn",
    "VNEID_DISCOVERY_URL": "https://id.example.vn/.well-known/openid-configuration",
    "VNEID_CLIENT_SECRET": "given-by-the-provider", "IDENTITY_KEY": "kept-by-the-operator-and-never-changed-0123",
}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LMS_MODE", "LMS_PUBLIC_URL", "LMS_VNEID_DISCOVERY_URL", "LMS_VNEID_CLIENT_SECRET",
                 "LMS_SECRET_KEY", "LMS_TRUSTED_HOSTS", "LMS_VNEID_STUB_ENABLED"):
        monkeypatch.delenv(name, raising=False)


def test_production_is_the_default_and_the_stub_is_off(tmp_path: Path) -> None:
    loaded = config.load(tmp_path, {k: v for k, v in PRODUCTION.items() if k != "LMS_MODE"})
    assert loaded["LMS_MODE"] == "production"
    assert loaded["VNEID_STUB_ENABLED"] is False
    assert loaded["TRUSTED_HOSTS"] == ["hocvuso.example.vn"]


@pytest.mark.parametrize(("change", "setting"), [
    ({"PUBLIC_URL": None}, "LMS_PUBLIC_URL"),
    ({"PUBLIC_URL": "hocvuso.example.vn"}, "LMS_PUBLIC_URL"),
    ({"VNEID_STUB_ENABLED": True}, "VNEID_STUB_ENABLED"),
    ({"VNEID_DISCOVERY_URL": "https://hocvuso.example.vn/vneid/.well-known/openid-configuration"},
     "LMS_VNEID_DISCOVERY_URL"),
    ({"VNEID_CLIENT_SECRET": None}, "LMS_VNEID_CLIENT_SECRET"),
    ({"SECRET_KEY": "test-secret"}, "LMS_SECRET_KEY"),
    ({"VNEID_CLIENT_SECRET": default_client_secret("a-real-secret-from-the-operator-0123456789")},
     "LMS_VNEID_CLIENT_SECRET"),
    ({"IDENTITY_KEY": "x"}, "LMS_IDENTITY_KEY"),
    ({"TRUSTED_PROXIES": "two"}, "LMS_TRUSTED_PROXIES"),
], ids=["no-public-url", "public-url-without-scheme", "stub-enabled", "discovery-at-the-stub", "derived-client-secret",
        "demo-secret-key", "demo-client-secret", "short-identity-key", "bad-proxy-count"])
def test_production_refuses_to_start(tmp_path: Path, change: dict[str, Any], setting: str) -> None:
    """Each unsafe production setting stops the start with a message that names it."""
    with pytest.raises(RuntimeError, match=setting):
        create_app({**PRODUCTION, **change}, instance_path=str(tmp_path / "instance"))


def test_production_starts_with_a_real_configuration(tmp_path: Path) -> None:
    app = create_app(dict(PRODUCTION), instance_path=str(tmp_path / "instance"))
    assert "vneid" not in app.blueprints
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    app.extensions["lms_db"].engine.dispose()


def test_production_without_vneid_starts_with_vneid_unavailable(tmp_path: Path) -> None:
    """No discovery URL in production: no VNeID at all (no stub in its place), so no login or verify button."""
    app = create_app({**PRODUCTION, "VNEID_DISCOVERY_URL": None, "VNEID_CLIENT_SECRET": None},
                     instance_path=str(tmp_path / "instance"))
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    assert "vneid" not in app.blueprints
    assert app.test_client().get("/auth/vneid/login").status_code == 404
    assert app.test_client().get("/vneid/").status_code == 404
    app.extensions["lms_db"].engine.dispose()


def test_environment_sets_mode_and_cookie_security(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LMS_MODE", "demo")
    monkeypatch.setenv("LMS_REMEMBER_COOKIE_SECURE", "true")
    loaded = config.load(tmp_path, {"SECRET_KEY": "s"})
    assert loaded["LMS_MODE"] == "demo" and loaded["VNEID_STUB_ENABLED"] is True
    assert loaded["REMEMBER_COOKIE_SECURE"] is True
    assert loaded["PUBLIC_URL"] == "http://127.0.0.1:5000"
    assert {"127.0.0.1", "localhost"} <= set(loaded["TRUSTED_HOSTS"])


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="LMS_MODE"):
        config.load(tmp_path, {"LMS_MODE": "prod", "SECRET_KEY": "s"})


def test_the_standalone_stub_runs_only_in_demo_mode(tmp_path: Path) -> None:
    from lms.vneid_stub import create_stub_app

    with pytest.raises(RuntimeError, match="LMS_MODE=demo"):
        create_stub_app(str(tmp_path / "instance"), dict(PRODUCTION))
