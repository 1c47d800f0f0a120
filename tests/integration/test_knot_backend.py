"""The knot driver against real knotd: knotc's own word, knotd's log and dnspython queries."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.name
import dns.rcode
import pytest

from tests.integration.conftest import (
    NamedFactory,
    NamedZoneSource,
    served_serial,
    soa_query,
    wait_for_serial,
)
from tests.integration.knot import Knot, KnotFactory, knot_factory, knot_target  # noqa: F401
from tests.integration.named import PrimaryZone, TsigSecret
from zonefleet.backends.base import BackendError, Master, ZoneRef
from zonefleet.backends.knot import BUSY_WAIT, KnotBackend
from zonefleet.dns.notify import NotifyRefusedError, send_notify


def zone_ref(name: str, serial: int = 1000) -> ZoneRef:
    return ZoneRef(str(uuid.uuid4()), dns.name.from_text(name), serial)


def remote_id(master: Master) -> str:
    return f"zonefleet-{master.host.replace('.', '-')}-{master.port}"


@pytest.fixture
def knot(knot_factory: KnotFactory) -> Knot:  # noqa: F811 - the fixture imported above
    return knot_factory()


@pytest.fixture
def driver(knot: Knot, zone_source: NamedZoneSource) -> KnotBackend:
    return KnotBackend(knot_target(knot, zone_source.masters))


def commits(knot: Knot) -> int:
    return knot.log().count("received command 'conf-commit'")


def test_ensure_twice_makes_knotd_transfer_and_serve_the_zone(
    knot: Knot, driver: KnotBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    driver.ensure_zone(zone)
    assert knot.zones() == ["contract.test."]
    # The second ensure found the zone as wanted and opened no transaction.
    assert commits(knot) == 1
    remote = remote_id(zone_source.masters[0])
    read = knot.knotc("conf-read", "zone[contract.test.]").stdout
    assert f"zone[contract.test.].master = {remote}" in read
    assert f"zone[contract.test.].acl = {remote}" in read
    read = knot.knotc("conf-read", f"remote[{remote}]").stdout
    assert f"remote[{remote}].address = 127.0.0.1@{zone_source.named.port}" in read
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    status = knot.knotc("zone-status", "contract.test.").stdout
    assert "role: slave" in status and "serial: 1000" in status
    knot.wait_for_log("[contract.test.] AXFR, incoming, remote 127.0.0.1@")


def test_ensure_with_other_masters_reconfigures_the_zone_and_keeps_its_data(
    knot: Knot, driver: KnotBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    moved = (Master("127.0.0.1", zone_source.named.port), Master("127.0.0.1", 5399))
    KnotBackend(knot_target(knot, moved)).ensure_zone(zone)
    read = knot.knotc("conf-read", "zone[contract.test.].master").stdout
    assert read.split(" = ")[1].split() == [remote_id(master) for master in moved]
    assert knot.zones() == ["contract.test."]
    assert served_serial(knot.host, knot.port, zone.name) == 1000


def test_remove_twice_unconfigures_and_purges_the_zone(knot: Knot, driver: KnotBackend) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    zone_file = knot.directory / "zones" / "contract.test.zone"
    deadline = time.monotonic() + 5
    while not zone_file.exists():  # knotd flushes the zone file after it serves the transfer
        assert time.monotonic() < deadline, f"knotd never wrote {zone_file}"
        time.sleep(0.02)
    driver.remove_zone(zone)
    driver.remove_zone(zone)
    assert knot.zones() == []
    assert "(no such zone found)" in knot.knotc("zone-status", "contract.test.").stdout
    assert soa_query(knot.host, knot.port, zone.name).rcode() == dns.rcode.REFUSED
    assert not zone_file.exists()
    assert knot.log().count("received command 'zone-purge'") == 1


def test_refresh_brings_the_new_serial_and_knotd_asks_for_ixfr(
    knot: Knot, driver: KnotBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    zone_source.publish(1001)
    driver.request_refresh(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1001, timeout=5.0)
    log = knot.log()
    assert "[contract.test.] control, received command 'zone-refresh'" in log
    assert "remote serial 1001, zone is outdated" in log
    # knotd asks IXFR for a zone it holds; the static BIND primary keeps no journal and
    # answers with the whole zone, which knotd reports as an AXFR-style IXFR.
    assert "[contract.test.] IXFR, incoming, remote" in log
    assert "receiving AXFR-style IXFR" in log


def test_the_configuration_survives_a_knotd_restart(knot: Knot, driver: KnotBackend) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    knot.stop()
    knot.start()
    assert knot.zones() == ["contract.test."]
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    driver.ensure_zone(zone)
    assert commits(knot) == 1


def test_a_failed_conf_set_aborts_the_transaction(
    knot: Knot, driver: KnotBackend, zone_source: NamedZoneSource
) -> None:
    broken = KnotBackend(knot_target(knot, zone_source.masters, tsigkey_name="missing-key."))
    with pytest.raises(BackendError, match=r"\(not exists\)") as caught:
        broken.ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is False
    assert "received command 'conf-abort'" in knot.log()
    # Nothing of the failed transaction stayed, and knotd takes a new one.
    assert knot.knotc("conf-read", "remote").stdout == ""
    driver.ensure_zone(zone_ref("contract.test."))
    assert knot.zones() == ["contract.test."]
    assert knot.knotc("conf-begin").returncode == 0
    assert knot.knotc("conf-abort").returncode == 0


def test_another_clients_open_transaction_is_retryable_and_left_alone(
    knot: Knot, driver: KnotBackend
) -> None:
    assert knot.knotc("conf-begin").returncode == 0
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"\(too many transactions\)") as caught:
        driver.ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is True
    assert time.monotonic() - started >= BUSY_WAIT  # it asked again until its wait ran out
    # The driver aborts only what it began: the other client still owns its transaction.
    assert "received command 'conf-abort'" not in knot.log()
    assert knot.knotc("conf-commit").returncode == 0
    driver.ensure_zone(zone_ref("contract.test."))
    assert knot.zones() == ["contract.test."]


def test_concurrent_ensures_in_one_process_take_turns_on_the_one_transaction(
    knot: Knot, driver: KnotBackend
) -> None:
    zones = [zone_ref(f"z{index}.contract.test.") for index in range(8)]
    with ThreadPoolExecutor(len(zones)) as pool:
        list(pool.map(driver.ensure_zone, zones))
    assert sorted(knot.zones()) == sorted(zone.name.to_text() for zone in zones)
    assert commits(knot) == len(zones)
    assert "too many transactions" not in knot.log()


def fill_backlog(path: str, clients: list[socket.socket]) -> None:
    """Idle clients on a control socket until its listen backlog refuses one more, and still
    does a moment later (a server may take one from the backlog while it is being filled)."""
    while len(clients) < 256:
        if backlog_takes_one(path, clients):
            continue
        time.sleep(0.2)
        if not backlog_takes_one(path, clients):
            return
    raise AssertionError(f"{path} took 256 idle clients without a full backlog")


def backlog_takes_one(path: str, clients: list[socket.socket]) -> bool:
    client = socket.socket(socket.AF_UNIX)
    client.setblocking(False)
    try:
        client.connect(path)
    except BlockingIOError:
        client.close()
        return False
    clients.append(client)
    return True


def close_all(clients: list[socket.socket]) -> None:
    for client in clients:
        client.close()


def test_a_full_control_backlog_that_drains_soon_is_waited_for(
    knot: Knot, driver: KnotBackend
) -> None:
    clients: list[socket.socket] = []
    timer = threading.Timer(0.3, close_all, (clients,))
    try:
        fill_backlog(str(knot.socket), clients)
        refused = knot.knotc("status")
        assert "OS lacked necessary resources" in refused.stdout + refused.stderr
        timer.start()
        driver.ensure_zone(zone_ref("contract.test."))
    finally:
        timer.cancel()
        close_all(clients)
    assert knot.zones() == ["contract.test."]


def test_a_control_backlog_that_stays_full_fails_retryably(
    knot: Knot, zone_source: NamedZoneSource, tmp_path: Path
) -> None:
    path = str(tmp_path / "full.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen(0)
        clients: list[socket.socket] = []
        try:
            fill_backlog(path, clients)
            target = knot_target(knot, zone_source.masters, socket=path)
            started = time.monotonic()
            with pytest.raises(BackendError, match="OS lacked necessary resources") as caught:
                KnotBackend(target).ensure_zone(zone_ref("contract.test."))
        finally:
            close_all(clients)
    assert caught.value.retryable is True
    assert BUSY_WAIT <= time.monotonic() - started < BUSY_WAIT + 2


def test_a_transaction_another_client_ends_soon_is_waited_for(
    knot: Knot, driver: KnotBackend
) -> None:
    assert knot.knotc("conf-begin").returncode == 0
    timer = threading.Timer(0.3, knot.knotc, ("conf-abort",))
    timer.start()
    try:
        driver.ensure_zone(zone_ref("contract.test."))
    finally:
        timer.join()
    assert knot.zones() == ["contract.test."]


def test_a_stopped_knotd_is_retryable(knot: Knot, driver: KnotBackend) -> None:
    knot.stop()
    for call in (driver.ensure_zone, driver.remove_zone, driver.request_refresh):
        with pytest.raises(BackendError, match="failed to connect to socket") as caught:
            call(zone_ref("contract.test."))
        assert caught.value.retryable is True


def test_a_missing_knotc_is_retryable(knot: Knot, zone_source: NamedZoneSource) -> None:
    target = knot_target(knot, zone_source.masters, knotc_path="/nonexistent/knotc")
    with pytest.raises(BackendError, match="cannot run /nonexistent/knotc") as caught:
        KnotBackend(target).ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is True


@pytest.fixture
def black_hole(tmp_path: Path) -> Iterator[str]:
    """A control socket that accepts connections and never answers, like a wedged knotd."""
    path = tmp_path / "bh.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen()
        yield str(path)


def test_a_silent_control_socket_times_out_retryably(
    knot: Knot, zone_source: NamedZoneSource, black_hole: str
) -> None:
    target = knot_target(knot, zone_source.masters, socket=black_hole, timeout=1)
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"timed out|connection timeout") as caught:
        KnotBackend(target).ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is True
    assert time.monotonic() - started < 3


UNSAFE = [
    "a]b.test.",
    "a[b.test.",
    'a"b.test.',
    "a'b.test.",
    "a\\032b.test.",
    "a\\.b.test.",
    "a\\010b.test.",
    "-b.test.",
    "--.",
    "*.test.",
]


def test_injection_attempts_never_reach_knotd(knot: Knot, driver: KnotBackend) -> None:
    names = [dns.name.from_text(text) for text in UNSAFE]
    names += [dns.name.from_text("example", origin=None), dns.name.root]
    before = knot.log().count("received command")
    for name in names:
        zone = ZoneRef(str(uuid.uuid4()), name, 1)
        for call in (driver.ensure_zone, driver.remove_zone, driver.request_refresh):
            with pytest.raises(BackendError, match="refusing zone name") as caught:
                call(zone)
            assert caught.value.retryable is False
    assert knot.log().count("received command") == before
    assert knot.zones() == []


def test_the_key_reaches_knotd_and_signs_the_transfer(
    named_factory: NamedFactory,
    knot_factory: KnotFactory,  # noqa: F811
) -> None:
    secret = TsigSecret.generate("xfer-key.")
    signed = PrimaryZone("signed.test.", 2000, allow_transfer='key "xfer-key.";')
    primary = named_factory(keys=[secret], zones=[signed])
    knot = knot_factory(keys=[secret])
    master = Master(primary.host, primary.port)
    # The target's own TSIG key names the knotd key when options.tsigkey_name is unset.
    target = knot_target(knot, [master], tsig=secret.key())
    zone = zone_ref("signed.test.", 2000)
    KnotBackend(target).ensure_zone(zone)
    remote = f"{remote_id(master)}-xfer-key"
    assert f"remote[{remote}].key = xfer-key." in knot.knotc("conf-read", "remote").stdout
    wait_for_serial(knot.host, knot.port, zone.name, 2000)
    primary.wait_for_log("transfer of 'signed.test/IN': AXFR ended")


def test_knotd_refuses_a_notify_from_outside_the_masters_so_refresh_uses_knotc(
    named_factory: NamedFactory,
    knot_factory: KnotFactory,  # noqa: F811
) -> None:
    primary = PrimaryZone("contract.test.", 1000)
    source = named_factory("127.0.0.2", zones=[primary])
    knot = knot_factory()
    driver = KnotBackend(knot_target(knot, [Master(source.host, source.port)]))
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1000)
    source.set_serial(primary, 1001)
    # The worker's NOTIFY leaves from 127.0.0.1, which is not the master: the zone's ACL denies it.
    with pytest.raises(NotifyRefusedError, match="NOTAUTH"):
        send_notify(zone.name, knot.host, knot.port, timeout=2.0)
    assert "notify, incoming" not in knot.log()
    assert served_serial(knot.host, knot.port, zone.name) == 1000
    driver.request_refresh(zone)
    wait_for_serial(knot.host, knot.port, zone.name, 1001, timeout=5.0)


def conf_sets(knot: Knot) -> int:
    return knot.log().count("received command 'conf-set'")


def test_a_new_zone_on_masters_defined_before_sets_only_the_zone(
    knot: Knot, driver: KnotBackend
) -> None:
    driver.ensure_zone(zone_ref("one.contract.test."))
    first = conf_sets(knot)
    driver.ensure_zone(zone_ref("two.contract.test."))
    # The zone, its masters and its ACL; the remote and its ACL were defined by the first.
    assert conf_sets(knot) - first == 3
    assert first > 3
    assert sorted(knot.zones()) == ["one.contract.test.", "two.contract.test."]


def test_a_remote_removed_behind_the_drivers_back_is_defined_again(
    knot: Knot, driver: KnotBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("two.contract.test.")
    driver.ensure_zone(zone_ref("one.contract.test."))
    driver.remove_zone(zone_ref("one.contract.test."))
    remote = remote_id(zone_source.masters[0])
    for command in (("conf-begin",), ("conf-unset", f"acl[{remote}]"),
                    ("conf-unset", f"remote[{remote}]"), ("conf-commit",)):  # fmt: skip
        assert knot.knotc(*command).returncode == 0, command
    assert knot.knotc("conf-read", "remote").stdout == ""

    driver.ensure_zone(zone)

    assert knot.zones() == ["two.contract.test."]
    read = knot.knotc("conf-read", f"remote[{remote}]").stdout
    assert f"remote[{remote}].address = 127.0.0.1@{zone_source.named.port}" in read
    # The first transaction trusted the remote, knotd refused it, and it was aborted.
    assert "received command 'conf-abort'" in knot.log()
