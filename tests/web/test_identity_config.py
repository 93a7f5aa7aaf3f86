"""The client's settings: the identity key made once per instance (shared by every worker), the default
client secret matching the embedded stub's, and the environment overrides for a real provider."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lms import config
from lms.vneid_stub import default_client_secret


def test_identity_key_is_made_once_into_the_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LMS_IDENTITY_KEY", raising=False)
    first = config.load(tmp_path, {"SECRET_KEY": "s"})
    second = config.load(tmp_path, {"SECRET_KEY": "s"})
    key_file = tmp_path / "identity_key"
    assert first["IDENTITY_KEY"] == second["IDENTITY_KEY"] == key_file.read_text(encoding="ascii").strip()
    assert len(first["IDENTITY_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["IDENTITY_KEY"] != config.load(tmp_path / "other", {"SECRET_KEY": "s"})["IDENTITY_KEY"]


def test_default_client_matches_the_embedded_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LMS_VNEID_DISCOVERY_URL", "LMS_VNEID_CLIENT_ID", "LMS_VNEID_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    loaded = config.load(tmp_path, {"SECRET_KEY": "abc"})
    assert loaded["VNEID_DISCOVERY_URL"] is None
    assert loaded["VNEID_CLIENT_ID"] == "hocvuso-lms"
    assert loaded["VNEID_CLIENT_SECRET"] == default_client_secret("abc")
    assert loaded["CERTIFICATE_MIN_LEVEL"] == 2


def test_environment_configures_a_real_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LMS_VNEID_DISCOVERY_URL", "https://id.example.vn/.well-known/openid-configuration")
    monkeypatch.setenv("LMS_VNEID_CLIENT_ID", "hocvuso-prod")
    monkeypatch.setenv("LMS_VNEID_CLIENT_SECRET", "from-the-provider")
    monkeypatch.setenv("LMS_IDENTITY_KEY", "shared-by-every-server")
    loaded = config.load(tmp_path, {"SECRET_KEY": "s"})
    assert loaded["VNEID_DISCOVERY_URL"] == "https://id.example.vn/.well-known/openid-configuration"
    assert (loaded["VNEID_CLIENT_ID"], loaded["VNEID_CLIENT_SECRET"]) == ("hocvuso-prod", "from-the-provider")
    assert loaded["IDENTITY_KEY"] == "shared-by-every-server"
    assert not (tmp_path / "identity_key").exists()
