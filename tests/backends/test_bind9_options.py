"""The bind9 driver without named: its options, the rndc argument lists, error mapping."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dns.name
import dns.tsig
import pytest
from pydantic import ValidationError

from tests.backends.fake_rndc import FakeRndc
from zonefleet.backends.base import (
    BackendError,
    BackendOptions,
    Master,
    TargetSpec,
    ZoneRef,
    backend_class,
)
from zonefleet.backends.bind9 import RESET_TRIES, Bind9Backend, Bind9Options
from zonefleet.errors import InvalidPoolsError
from zonefleet.pools.schema import validate_pools

ZONE = ZoneRef(
    id="6f1c2a4e-0d3b-4e57-9b0a-1c2d3e4f5a6b", name=dns.name.from_text("example.test."), serial=1
)
MASTERS = (Master("192.0.2.1", 5354), Master("2001:db8::1", 5354))
SECONDARY = (
    "{ type secondary; primaries { 192.0.2.1 port 5354; 2001:db8::1 port 5354; }; "
    'file "example.test.6f1c2a4e-0d3b-4e57-9b0a-1c2d3e4f5a6b.db"; };'
)


@pytest.fixture
def rndc(tmp_path: Path) -> FakeRndc:
    return FakeRndc(tmp_path / "bin")


def backend(
    rndc: FakeRndc,
    masters: tuple[Master, ...] = MASTERS,
    tsig: dns.tsig.Key | None = None,
    **options: Any,
) -> Bind9Backend:
    settings = Bind9Options.model_validate({"rndc_bin_path": str(rndc.path), **options})
    return Bind9Backend(TargetSpec("t1", "bind9", settings, masters, tsig))


def test_the_entry_point_names_the_driver() -> None:
    assert backend_class("bind9") is Bind9Backend
    assert Bind9Backend.Options is Bind9Options


def test_defaults_are_designates() -> None:
    options = Bind9Options()
    assert (options.rndc_host, options.rndc_port, options.rndc_bin_path) == (
        "127.0.0.1",
        953,
        "rndc",
    )
    assert (options.rndc_timeout, options.clean_zonefile) == (10, False)
    assert options.rndc_config_file is options.rndc_key_file is options.zone_file_path is None
    assert options.view is None


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"rndc_port": 0}, "rndc_port"),
        ({"rndc_port": 65536}, "rndc_port"),
        ({"rndc_host": "ns1 ; rm"}, "rndc_host"),
        ({"rndc_host": "-x"}, "rndc_host"),
        ({"rndc_timeout": 0}, "rndc_timeout"),
        ({"zone_file_path": '/var/cache/bind"; }; zone'}, "zone_file_path"),
        ({"zone_file_path": "/var/cache/bind\nx"}, "zone_file_path"),
        ({"zone_file_path": "C:\\bind"}, "zone_file_path"),
        ({"zone_file_path": ""}, "zone_file_path"),
        ({"view": "ext view"}, "view"),
        ({"view": 'a"b'}, "view"),
        ({"view": "-clean"}, "view"),
        ({"rndc_hots": "127.0.0.1"}, "rndc_hots"),
    ],
)
def test_bad_options_are_refused_naming_the_key(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Bind9Options.model_validate(options)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_good_options_are_kept() -> None:
    options = Bind9Options.model_validate(
        {"rndc_host": "ns1.example.net", "view": "external", "zone_file_path": "/var/cache/bind"}
    )
    assert (options.rndc_host, options.view) == ("ns1.example.net", "external")
    assert Bind9Options(rndc_host="::1").rndc_host == "::1"


def test_ensure_runs_addzone_with_the_secondary_config(rndc: FakeRndc, tmp_path: Path) -> None:
    backend(rndc, rndc_host="192.0.2.53", rndc_port=9530, rndc_key_file="/k").ensure_zone(ZONE)
    expected = ["-s", "192.0.2.53", "-p", "9530", "-k", "/k", "addzone", "example.test.", SECONDARY]
    assert rndc.calls() == [expected]


def test_view_config_file_and_zone_file_path_reach_rndc(rndc: FakeRndc) -> None:
    driver = backend(rndc, view="ext", rndc_config_file="/etc/rndc.conf", zone_file_path="/z/")
    driver.ensure_zone(ZONE)
    driver.remove_zone(ZONE)
    add, delete = rndc.calls()
    assert add[:8] == [
        "-s",
        "127.0.0.1",
        "-p",
        "953",
        "-c",
        "/etc/rndc.conf",
        "addzone",
        "example.test.",
    ]
    assert add[8:10] == ["IN", "ext"]
    assert 'file "/z/example.test.6f1c2a4e-0d3b-4e57-9b0a-1c2d3e4f5a6b.db";' in add[10]
    assert delete == [
        "-s",
        "127.0.0.1",
        "-p",
        "953",
        "-c",
        "/etc/rndc.conf",
        "delzone",
        "example.test.",
        "IN",
        "ext",
    ]


def test_the_tsig_key_goes_with_every_primary(rndc: FakeRndc) -> None:
    key = dns.tsig.Key("xfer-key.", base64.b64encode(b"s" * 32).decode(), dns.tsig.HMAC_SHA256)
    backend(rndc, tsig=key).ensure_zone(ZONE)
    config = rndc.calls()[0][-1]
    assert (
        'primaries { 192.0.2.1 port 5354 key "xfer-key."; 2001:db8::1 port 5354 key "xfer-key."; }'
        in config
    )


def test_remove_runs_delzone_and_clean_when_asked(rndc: FakeRndc) -> None:
    backend(rndc).remove_zone(ZONE)
    backend(rndc, clean_zonefile=True).remove_zone(ZONE)
    assert [call[4:] for call in rndc.calls()] == [
        ["delzone", "example.test."],
        ["delzone", "-clean", "example.test."],
    ]


def test_already_exists_turns_into_modzone_and_not_found_is_success(rndc: FakeRndc) -> None:
    rndc.answer(1, "rndc: 'addzone' failed: already exists\n")
    # This stand-in answers modzone the same way, so the driver reports modzone's failure.
    with pytest.raises(BackendError, match=r"rndc modzone example\.test\."):
        backend(rndc).ensure_zone(ZONE)
    addzone, modzone = rndc.calls()[-2:]
    assert addzone[addzone.index("addzone") :][1:] == modzone[modzone.index("modzone") :][1:]
    rndc.answer(
        1, "rndc: 'delzone' failed: not found\nno matching zone 'example.test.' in any view\n"
    )
    backend(rndc).remove_zone(ZONE)


def test_an_unknown_view_is_not_a_missing_zone(rndc: FakeRndc) -> None:
    rndc.answer(1, "rndc: 'delzone' failed: not found\nno matching view 'ext'\n")
    with pytest.raises(BackendError, match="no matching view 'ext'") as caught:
        backend(rndc, view="ext").remove_zone(ZONE)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    "stderr",
    [
        "rndc: connect failed: 127.0.0.1#953: connection refused\n",
        "rndc: recv failed: timed out\n",
        "rndc: connect failed: 127.0.0.1#953: host unreachable\n",
    ],
)
def test_an_unreachable_named_is_retryable_and_named(rndc: FakeRndc, stderr: str) -> None:
    rndc.answer(1, stderr)
    with pytest.raises(BackendError) as caught:
        backend(rndc).ensure_zone(ZONE)
    assert caught.value.retryable is True
    assert "127.0.0.1:953" in str(caught.value)
    assert stderr.strip() in str(caught.value)


@pytest.mark.parametrize(
    ("stderr", "runs"),
    [
        ("rndc: recv failed: connection reset\n", RESET_TRIES),
        ("rndc: send failed: connection reset\n", RESET_TRIES),
        ("rndc: connect failed: 127.0.0.1#953: connection reset\n", RESET_TRIES),
        ("rndc: connect failed: ::1#953: connection reset\n", RESET_TRIES),
        ("rndc: connect failed: 127.0.0.1#953: connection refused\n", 1),
    ],
)
def test_a_connection_named_resets_is_sent_again_and_nothing_else_is(
    rndc: FakeRndc, stderr: str, runs: int
) -> None:
    rndc.answer(1, stderr)
    with pytest.raises(BackendError) as caught:
        backend(rndc).ensure_zone(ZONE)
    assert caught.value.retryable is True
    assert len(rndc.calls()) == runs


def test_named_refusing_the_command_is_not_retryable(rndc: FakeRndc) -> None:
    rndc.answer(1, "rndc: 'addzone' failed: permission denied\n")
    expected = r"addzone example\.test\. at 127\.0\.0\.1:953 failed: .*permission denied"
    with pytest.raises(BackendError, match=expected) as caught:
        backend(rndc).ensure_zone(ZONE)
    assert caught.value.retryable is False


def test_a_hung_rndc_is_killed_at_the_timeout(rndc: FakeRndc) -> None:
    rndc.answer(0, "", sleep=5)
    with pytest.raises(BackendError, match=r"127\.0\.0\.1:953 timed out after 0\.3s") as caught:
        backend(rndc, rndc_timeout=0.3).ensure_zone(ZONE)
    assert caught.value.retryable is True


def test_a_missing_rndc_binary_is_reported(tmp_path: Path) -> None:
    options = Bind9Options(rndc_bin_path=str(tmp_path / "no-rndc"))
    driver = Bind9Backend(TargetSpec("t1", "bind9", options, MASTERS))
    with pytest.raises(BackendError, match="no-rndc") as caught:
        driver.ensure_zone(ZONE)
    assert caught.value.retryable is False


def test_base_options_are_read_as_bind9_options(rndc: FakeRndc) -> None:
    driver = Bind9Backend(TargetSpec("t1", "bind9", BackendOptions(host="192.0.2.9"), MASTERS))
    assert driver.options == Bind9Options(host="192.0.2.9")


UNSAFE_NAMES = {
    "quote": dns.name.from_text('a"b.test.'),
    "semicolon": dns.name.from_text("a;b.test."),
    "brace": dns.name.from_text("a{b.test."),
    "space": dns.name.from_text("a\\032b.test."),
    "backslash": dns.name.from_text("a\\\\b.test."),
    "newline": dns.name.from_text("a\\010b.test."),
    "wildcard": dns.name.from_text("*.test."),
    "relative": dns.name.from_text("example", origin=None),
    "root": dns.name.root,
}


@pytest.mark.parametrize("name", UNSAFE_NAMES.values(), ids=UNSAFE_NAMES.keys())
def test_unsafe_zone_names_never_reach_rndc(rndc: FakeRndc, name: dns.name.Name) -> None:
    zone = ZoneRef(id="z1", name=name, serial=1)
    for call in (backend(rndc).ensure_zone, backend(rndc).remove_zone):
        with pytest.raises(BackendError, match="refusing zone name") as caught:
            call(zone)
        assert caught.value.retryable is False
    assert rndc.calls() == []


@pytest.mark.parametrize(
    ("masters", "key_name", "zone_id"),
    [
        ((Master("ns1.example.net", 53),), "k.", "z1"),
        ((Master("192.0.2.1 port 1; 10.0.0.1", 53),), "k.", "z1"),
        ((Master("192.0.2.1", "53; }"),), "k.", "z1"),  # type: ignore[arg-type]
        ((Master("192.0.2.1", 0),), "k.", "z1"),
        ((), "k.", "z1"),
        (MASTERS, 'k"; }; also-notify { 10.0.0.1', "z1"),
        (MASTERS, "k.", '1"; }; zone "x'),
        (MASTERS, "k.", "../../etc/passwd"),
    ],
)
def test_unsafe_config_parts_never_reach_rndc(
    rndc: FakeRndc, masters: tuple[Master, ...], key_name: str, zone_id: str
) -> None:
    key = dns.tsig.Key(key_name, base64.b64encode(b"s" * 32).decode(), dns.tsig.HMAC_SHA256)
    zone = ZoneRef(id=zone_id, name=ZONE.name, serial=1)
    with pytest.raises(BackendError, match=r"refusing|no masters") as caught:
        backend(rndc, masters, key).ensure_zone(zone)
    assert caught.value.retryable is False
    assert rndc.calls() == []


def test_pools_yaml_load_reports_every_bad_bind9_option_by_key() -> None:
    target = {
        "type": "bind9",
        "masters": [{"host": "127.0.0.1", "port": 5354}],
        "options": {"view": "a b", "rndc_port": 0, "rndc_host": "10.0.0.1"},
    }
    pool = {"name": "default", "ns_records": [{"hostname": "ns1.example.org.", "priority": 1}]}
    with pytest.raises(InvalidPoolsError) as caught:
        validate_pools([{**pool, "targets": [target]}])
    paths = [reason.path[-1] for reason in caught.value.reasons]
    assert paths == ["rndc_port", "view"]
