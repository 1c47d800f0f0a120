"""The bind9 driver against real named: rndc's own word and dnspython queries are the evidence."""

from __future__ import annotations

import contextlib
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.name
import dns.rcode
import pytest

from tests.integration.conftest import (
    NamedFactory,
    NamedZoneSource,
    bind9_target,
    served_serial,
    soa_query,
    wait_for_serial,
)
from tests.integration.named import Named, PrimaryZone, TsigSecret, program
from zonefleet.backends.base import BackendError, Master, ZoneRef
from zonefleet.backends.bind9 import RESET_TRIES, Bind9Backend


def zone_ref(name: str, serial: int = 1000) -> ZoneRef:
    return ZoneRef(str(uuid.uuid4()), dns.name.from_text(name), serial)


@pytest.fixture
def secondary(named_factory: NamedFactory) -> Named:
    return named_factory()


@pytest.fixture
def driver(secondary: Named, zone_source: NamedZoneSource) -> Bind9Backend:
    return Bind9Backend(bind9_target(secondary, zone_source.masters))


def test_ensure_twice_leaves_one_secondary_zone_as_named_holds_it(
    secondary: Named, driver: Bind9Backend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    driver.ensure_zone(zone)
    assert secondary.added_zones() == ["contract.test"]
    shown = secondary.rndc("showzone", "contract.test.")
    assert shown.returncode == 0, shown.stderr
    assert "type secondary;" in shown.stdout
    assert f"primaries {{ 127.0.0.1 port {zone_source.named.port}; }};" in shown.stdout
    assert f'file "contract.test.{zone.id}.db";' in shown.stdout
    wait_for_serial(secondary.host, secondary.port, zone.name, 1000)
    status = secondary.rndc("zonestatus", "contract.test.")
    assert "type: secondary" in status.stdout and "serial: 1000" in status.stdout


def test_ensure_again_with_other_masters_reconfigures_the_zone_and_keeps_its_data(
    secondary: Named, driver: Bind9Backend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(secondary.host, secondary.port, zone.name, 1000)
    moved = (Master("127.0.0.1", zone_source.named.port), Master("127.0.0.1", 5399))
    Bind9Backend(bind9_target(secondary, moved)).ensure_zone(zone)
    shown = secondary.rndc("showzone", "contract.test.")
    assert "127.0.0.1 port 5399;" in shown.stdout, shown.stdout
    assert secondary.added_zones() == ["contract.test"]
    assert served_serial(secondary.host, secondary.port, zone.name) == 1000


def test_remove_twice_leaves_named_without_the_zone(secondary: Named, driver: Bind9Backend) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(secondary.host, secondary.port, zone.name, 1000)
    driver.remove_zone(zone)
    driver.remove_zone(zone)
    shown = secondary.rndc("showzone", "contract.test.")
    assert shown.returncode != 0 and "no matching zone" in shown.stderr
    assert secondary.added_zones() == []
    assert soa_query(secondary.host, secondary.port, zone.name).rcode() == dns.rcode.REFUSED


def test_remove_of_a_zone_never_added_is_success(secondary: Named, driver: Bind9Backend) -> None:
    driver.remove_zone(zone_ref("never-added.test."))
    assert secondary.log().count("'delzone never-added.test.'") == 1


UNSAFE = [
    'a"b.test.',
    "a;b.test.",
    "a{b.test.",
    "a\\032b.test.",
    "a\\\\b.test.",
    "a\\010b.test.",
    "*.test.",
]


def test_injection_attempts_never_reach_named(secondary: Named, driver: Bind9Backend) -> None:
    names = [dns.name.from_text(text) for text in UNSAFE]
    names.append(dns.name.from_text("example", origin=None))
    for name in names:
        zone = ZoneRef(str(uuid.uuid4()), name, 1)
        for call in (driver.ensure_zone, driver.remove_zone):
            with pytest.raises(BackendError, match="refusing zone name") as caught:
                call(zone)
            assert caught.value.retryable is False
    log = secondary.log()
    assert "addzone" not in log and "delzone" not in log
    assert secondary.added_zones() == []


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never answers, like a wedged named."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_silent_control_channel_times_out_retryably(
    secondary: Named, zone_source: NamedZoneSource, black_hole: int
) -> None:
    target = bind9_target(secondary, zone_source.masters, rndc_port=black_hole, rndc_timeout=1)
    started = time.monotonic()
    with pytest.raises(BackendError, match=f"127.0.0.1:{black_hole} timed out") as caught:
        Bind9Backend(target).ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is True
    assert time.monotonic() - started < 5


class ResettingProxy:
    """A TCP relay to named's control channel that resets its first `resets` connections
    (an RST: SO_LINGER 0, then close) and relays the others both ways."""

    def __init__(self, upstream: tuple[str, int], resets: int) -> None:
        self.upstream, self.resets, self.accepted = upstream, resets, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            if self.accepted <= self.resets:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def resetting(secondary: Named) -> Iterator[Callable[[int], ResettingProxy]]:
    """`resetting(n)`: a relay to the secondary's control channel resetting its first n
    connections; closed after the test."""
    proxies: list[ResettingProxy] = []

    def make(resets: int) -> ResettingProxy:
        proxies.append(ResettingProxy((secondary.host, secondary.rndc_port), resets))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def test_a_control_connection_named_resets_is_tried_again(
    secondary: Named, zone_source: NamedZoneSource, resetting: Callable[[int], ResettingProxy]
) -> None:
    proxy = resetting(1)
    target = bind9_target(secondary, zone_source.masters, rndc_port=proxy.port)
    Bind9Backend(target).ensure_zone(zone_ref("contract.test."))
    assert proxy.accepted == 2
    assert secondary.added_zones() == ["contract.test"]
    wait_for_serial(secondary.host, secondary.port, dns.name.from_text("contract.test."), 1000)


def test_a_control_channel_that_keeps_resetting_fails_retryably(
    secondary: Named, zone_source: NamedZoneSource, resetting: Callable[[int], ResettingProxy]
) -> None:
    proxy = resetting(10)
    target = bind9_target(secondary, zone_source.masters, rndc_port=proxy.port)
    with pytest.raises(BackendError, match="connection reset") as caught:
        Bind9Backend(target).ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is True
    assert proxy.accepted == RESET_TRIES
    assert secondary.added_zones() == []


def test_a_wrong_rndc_key_is_not_retryable(
    secondary: Named, zone_source: NamedZoneSource, tmp_path: Path
) -> None:
    other_key = tmp_path / "other-rndc.key"
    argv = [program("rndc-confgen"), "-a", "-k", "rndc-key", "-c", str(other_key)]
    subprocess.run(argv, check=True, capture_output=True)
    target = bind9_target(secondary, zone_source.masters, rndc_key_file=str(other_key))
    with pytest.raises(BackendError, match="connection to remote host closed") as caught:
        Bind9Backend(target).ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is False
    assert f"127.0.0.1:{secondary.rndc_port}" in str(caught.value)


def test_a_stopped_named_is_retryable_and_a_restarted_one_works(
    secondary: Named, driver: Bind9Backend
) -> None:
    before = zone_ref("contract.test.")
    driver.ensure_zone(before)
    secondary.stop()
    with pytest.raises(BackendError) as caught:
        driver.ensure_zone(zone_ref("during.test."))
    assert caught.value.retryable is True
    assert f"at 127.0.0.1:{secondary.rndc_port} failed" in str(caught.value)
    assert "connection refused" in str(caught.value)
    secondary.start()
    driver.ensure_zone(zone_ref("after.test."))
    # Zones added by rndc live in named's NZD database and survive the restart.
    assert sorted(secondary.added_zones()) == ["after.test", "contract.test"]
    wait_for_serial(secondary.host, secondary.port, before.name, 1000)


def test_the_tsig_key_reaches_named_and_signs_the_transfer(named_factory: NamedFactory) -> None:
    secret = TsigSecret.generate("xfer-key.")
    signed = PrimaryZone("signed.test.", 2000, allow_transfer='key "xfer-key.";')
    primary = named_factory(keys=[secret], zones=[signed])
    secondary = named_factory(keys=[secret])
    masters = [Master(primary.host, primary.port)]
    zone = zone_ref("signed.test.", 2000)
    Bind9Backend(bind9_target(secondary, masters, tsig=secret.key())).ensure_zone(zone)
    shown = secondary.rndc("showzone", "signed.test.")
    assert f'primaries {{ 127.0.0.1 port {primary.port} key "xfer-key."; }};' in shown.stdout
    wait_for_serial(secondary.host, secondary.port, zone.name, 2000)

    # Without the key the same primary refuses: the key is what let the transfer through.
    unsigned = named_factory()
    Bind9Backend(bind9_target(unsigned, masters)).ensure_zone(zone)
    primary.wait_for_log("zone transfer 'signed.test/AXFR/IN' denied")
    assert soa_query(unsigned.host, unsigned.port, zone.name).rcode() == dns.rcode.SERVFAIL


def test_a_notify_signed_with_the_target_key_is_obeyed(named_factory: NamedFactory) -> None:
    secret = TsigSecret.generate("xfer-key.")
    signed = PrimaryZone("signed.test.", 2000, allow_transfer='key "xfer-key.";')
    primary = named_factory(keys=[secret], zones=[signed])
    secondary = named_factory(keys=[secret])
    zone = zone_ref("signed.test.", 2000)
    target = bind9_target(secondary, [Master(primary.host, primary.port)], tsig=secret.key())
    Bind9Backend(target).ensure_zone(zone)
    wait_for_serial(secondary.host, secondary.port, zone.name, 2000)
    primary.set_serial(signed, 2001)
    Bind9Backend(target).request_refresh(zone)
    secondary.wait_for_log("received notify for zone 'signed.test': TSIG 'xfer-key'")
    wait_for_serial(secondary.host, secondary.port, zone.name, 2001, timeout=5.0)


def wait_for_file(path: Path, present: bool, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while path.exists() != present:
        if time.monotonic() > deadline:
            pytest.fail(f"{path} {'never appeared' if present else 'is still there'}")
        time.sleep(0.05)


def test_zone_files_land_in_zone_file_path_and_clean_removes_them(
    secondary: Named, zone_source: NamedZoneSource
) -> None:
    zones = secondary.directory / "zones"
    zones.mkdir()
    target = bind9_target(
        secondary, zone_source.masters, zone_file_path=str(zones), clean_zonefile=True
    )
    driver = Bind9Backend(target)
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_file(zones / f"contract.test.{zone.id}.db", present=True)
    driver.remove_zone(zone)
    wait_for_file(zones / f"contract.test.{zone.id}.db", present=False)
    assert "'delzone -clean contract.test.'" in secondary.log()


def test_without_clean_the_file_stays_in_named_directory(
    secondary: Named, driver: Bind9Backend
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_file(secondary.directory / f"contract.test.{zone.id}.db", present=True)
    driver.remove_zone(zone)
    assert secondary.rndc("showzone", "contract.test.").returncode != 0
    assert (secondary.directory / f"contract.test.{zone.id}.db").exists()
