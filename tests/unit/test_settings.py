"""Settings: TOML plus ZONEFLEET_SECTION__KEY overrides, errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from zonefleet.settings import BindAddress, SettingsError, load_settings, sample


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.api.bind == BindAddress("127.0.0.1", 9001)
    assert settings.mdns.bind == BindAddress("127.0.0.1", 5354)
    assert settings.api.auth_strategy == "noauth"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("zonefleet.sqlite3")


def test_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "zonefleet.toml"
    path.write_text('[api]\nbind = "127.0.0.1:8000"\n[database]\nurl = "sqlite:///a.db"\n')
    settings = load_settings(path, environ={"ZONEFLEET_DATABASE__URL": "sqlite:///b.db"})
    assert str(settings.api.bind) == "127.0.0.1:8000"
    assert settings.database_url == "sqlite:///b.db"


def test_environment_lists_and_ipv6() -> None:
    settings = load_settings(
        environ={
            "ZONEFLEET_ZONES__SUPPORTED_RECORD_TYPES": "A,AAAA",
            "ZONEFLEET_API__BIND": "[::1]:9001",
        }
    )
    assert settings.zones.supported_record_types == ("A", "AAAA")
    assert str(settings.api.bind) == "[::1]:9001"


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"ZONEFLEET_API__BIND": "localhost"}, "api.bind"),
        ({"ZONEFLEET_API__BIND": "example.org:80"}, "api.bind"),
        ({"ZONEFLEET_MDNS__BIND": "127.0.0.1:70000"}, "mdns.bind"),
        ({"ZONEFLEET_API__AUTH_STRATEGY": "keystone"}, "api.auth_strategy"),
        ({"ZONEFLEET_QUOTAS__ZONES": "many"}, "quotas.zones"),
        ({"ZONEFLEET_API__NO_SUCH": "1"}, "api.no_such"),
        ({"ZONEFLEET_ZONES__SOA_REFRESH_MIN": "4000"}, "zones"),
        ({"ZONEFLEET_JOURNAL__MAX_SERIALS": "0"}, "journal.max_serials"),
    ],
)
def test_bad_values_name_the_key(environ: dict[str, str], key: str) -> None:
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        load_settings(environ=environ)


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[api\n")
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(bad, environ={})


def test_unknown_record_types_are_refused() -> None:
    with pytest.raises(SettingsError, match=r"zones\.supported_record_types"):
        load_settings(environ={"ZONEFLEET_ZONES__SUPPORTED_RECORD_TYPES": "[A"})
    types = load_settings(environ={"ZONEFLEET_ZONES__SUPPORTED_RECORD_TYPES": '["A", "MX"]'})
    assert types.zones.supported_record_types == ("A", "MX")


def test_sample_lists_every_option_and_parses_as_toml() -> None:
    text = sample()
    parsed = tomllib.loads(text)
    assert parsed["api"]["bind"] == "127.0.0.1:9001"
    assert parsed["quotas"]["zones"] == 10
    assert "ZONEFLEET_DATABASE__URL" in text
    assert "ZONEFLEET_API__AUTH_STRATEGY" in text
    assert parsed["journal"]["max_serials"] == 100
    for section in ("database", "api", "mdns", "journal", "zones", "quotas", "pools"):
        assert section in parsed
