"""`zonefleet doctor` against real breakage: each failure mode is produced for real with
BIND9 (named's own answers and log say it is broken), and one doctor call must name the
link and its evidence. The healthy case exits 0; everything down finishes in its timeouts.

The worker in these tests is the stack's real reconciler; it heartbeats as a `worker`
process would (Heartbeat.beat), so doctor's worker link reads a real row.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.name
import pytest

from tests.integration.conftest import NamedFactory, served_serial
from tests.integration.named import Named, bind_pool_yaml, free_port
from tests.integration.test_propagation_bind import load_pool, wait_until
from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.cli.main import main
from zonefleet.pools.load import parse_pools
from zonefleet.producer.heartbeat import Heartbeat
from zonefleet.service.pools import PoolService
from zonefleet.storage.models import ServiceState, Status

Run = Callable[..., tuple[int, dict[str, Any]]]
SILENT_AFTER_HALF_A_SECOND = {
    "ZONEFLEET_HEARTBEAT__DOWN_AFTER": "0.5",
    "ZONEFLEET_HEARTBEAT__INTERVAL": "0.2",
}


@pytest.fixture
def doctor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """`zonefleet doctor … --json` against a stack's database and mdns address."""

    def bound(stack: Stack, **env: str) -> Run:
        def run(*args: str) -> tuple[int, dict[str, Any]]:
            monkeypatch.setenv("ZONEFLEET_DATABASE__URL", str(stack.database.url))
            monkeypatch.setenv("ZONEFLEET_MDNS__BIND", str(stack.mdns.address))
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            capsys.readouterr()
            status = main(["doctor", *args, "--json", "--timeout", "1", "--grace", "0"])
            return status, json.loads(capsys.readouterr().out)

        return run

    return bound


def beat(stack: Stack) -> None:
    """The stack's worker's heartbeat, as `zonefleet worker` writes it."""
    heart = Heartbeat(stack.database, stack.settings.heartbeat, "worker")
    heart.beat(ServiceState.UP, stack.reconciler.stats())


def flushed(stack: Stack) -> Stack:
    """mdns's pending timeline steps written now rather than at its next flush."""
    stack.mdns.steps.flush()
    return stack


def findings(report: dict[str, Any], link: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["link"] == link]


@pytest.fixture
def bind_stack(stack_factory: Callable[..., Stack]) -> Callable[..., Stack]:
    def build(*servers: Named, **env: str) -> Stack:
        stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="1",
                              ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3", **env)  # fmt: skip
        load_pool(stack, servers)
        beat(stack)
        return stack

    return build


def test_a_healthy_zone_is_healthy_with_each_targets_own_word(
    named_factory: NamedFactory, bind_stack: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    bind = named_factory()
    stack = bind_stack(bind)
    zone = make_zone(stack.services, "healthy.example.")
    active = stack.wait_for(zone.id, Status.ACTIVE)
    status, report = doctor(flushed(stack))("healthy.example.")
    assert (status, report["verdict"], report["first_broken"]) == (0, "healthy", None)
    [control] = findings(report, "control channel")
    assert control["evidence"][0].startswith("rndc status: BIND 9.")
    [transfer] = findings(report, "transfer permission")
    said = "\n".join(transfer["evidence"])
    assert f"rndc zonestatus: type secondary, serial {active.serial}" in said
    assert f"transfer served to {bind.host}: AXFR" in said
    [nameserver] = findings(report, "nameservers")
    assert nameserver["summary"] == f"nameserver {bind.host}:{bind.port} serves every zone's serial"


def test_a_master_that_is_not_where_mdns_listens_is_named(
    named_factory: NamedFactory, stack_factory: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    bind = named_factory()
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="1")
    elsewhere = free_port("127.0.0.1")  # the pools.yaml masters say this port; mdns is not there
    PoolService(stack.database).update_pools(
        parse_pools(bind_pool_yaml([bind], "127.0.0.1", elsewhere))
    )
    beat(stack)
    zone = make_zone(stack.services, "moved.example.")
    wait_until(lambda: "moved.example" in bind.added_zones(), what="the zone on named")  # fmt: skip
    status, report = doctor(stack)("moved.example.")
    first = report["first_broken"]
    assert (status, first["link"]) == (1, "mdns reachability")
    assert (
        f"from 127.0.0.1:{elsewhere}, but mdns listens on {stack.mdns.address}" in first["summary"]
    )
    assert served_serial(bind.host, bind.port, dns.name.from_text("moved.example.")) != zone.serial


def test_mdns_is_found_where_its_heartbeat_says_it_listens(
    named_factory: NamedFactory, stack_factory: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    """In a cluster doctor runs elsewhere: its own mdns.bind names no mdns (nothing answers
    there), yet the mdns process's heartbeat says where it listens."""
    bind = named_factory()
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="1")
    elsewhere = free_port("127.0.0.1")
    PoolService(stack.database).update_pools(
        parse_pools(bind_pool_yaml([bind], "127.0.0.1", elsewhere))
    )
    beat(stack)
    listen = {"listen": str(stack.mdns.address)}
    Heartbeat(stack.database, stack.settings.heartbeat, "mdns", capabilities=listen).beat(
        ServiceState.UP, {}
    )
    make_zone(stack.services, "clustered.example.")
    nowhere = f"127.0.0.1:{free_port('127.0.0.1')}"
    status, report = doctor(stack, ZONEFLEET_MDNS__BIND=nowhere)("clustered.example.")
    first = report["first_broken"]
    assert (status, first["link"]) == (1, "mdns reachability")
    assert first["summary"].endswith(f"but mdns listens on {stack.mdns.address}")


def test_a_transfer_acl_refusing_the_targets_source_is_named(
    named_factory: NamedFactory, bind_stack: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    # named answers on 127.0.0.2 but transfers from 127.0.0.3, which the pool does not list.
    bind = named_factory("127.0.0.2", transfer_source="127.0.0.3")
    stack = bind_stack(bind)
    zone = make_zone(stack.services, "acl.example.")
    wait_until(lambda: "REFUSED" in bind.log_path.read_text(), what="named to be refused")
    status, report = doctor(flushed(stack))("acl.example.")
    first = report["first_broken"]
    assert (status, first["link"]) == (1, "transfer permission")
    assert first["summary"].startswith("mdns refuses transfers to ")
    assert "127.0.0.3" in first["summary"].split(":")[0]
    assert first["summary"].endswith("is not a pool host nor in mdns.allow_transfer")
    assert "mdns.allow_transfer" in first["fix"]
    assert any("transfer refused to 127.0.0.3" in line for line in first["evidence"])
    # The target's own finding: its address is allowed, and named's word on the zone.
    [own] = [f for f in findings(report, "transfer permission") if f != first]
    assert own["verdict"] == "ok" and own["summary"].startswith("mdns lets target")
    assert any(
        line.startswith("the target") and "rndc zonestatus" in line for line in own["evidence"]
    ), own["evidence"]
    assert stack.zone(zone.id).status != Status.ACTIVE


def test_a_pools_yaml_edited_but_not_loaded_is_named_with_the_difference(
    named_factory: NamedFactory,
    bind_stack: Callable[..., Stack],
    doctor: Callable[..., Run],
    tmp_path: Path,
) -> None:
    bind = named_factory()
    stack = bind_stack(bind)
    stack.wait_for(make_zone(stack.services, "edited.example.").id, Status.ACTIVE)
    mdns = stack.mdns.address
    path = tmp_path / "pools.yaml"
    path.write_text(bind_pool_yaml([bind], mdns.host, mdns.port))
    assert doctor(stack)("edited.example.", "--pools-file", str(path))[1]["first_broken"] is None
    path.write_text(bind_pool_yaml([bind], mdns.host, mdns.port, threshold=50))
    status, report = doctor(stack)("edited.example.", "--pools-file", str(path))
    first = report["first_broken"]
    assert (status, first["link"]) == (1, "pool config")
    assert "but was not loaded; run `zonefleet pool update --file" in first["summary"]
    assert any("threshold_percentage" in line and "50" in line for line in first["evidence"])


def test_a_nameserver_down_during_a_push_is_named_by_its_control_channel_and_serial(
    named_factory: NamedFactory, bind_stack: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    up, down = named_factory("127.0.0.1"), named_factory("127.0.0.2")
    stack = bind_stack(up, down)
    zone = make_zone(stack.services, "down.example.")
    active = stack.wait_for(zone.id, Status.ACTIVE)
    down.stop()
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.down.example.", "A", "192.0.2.1")
    )
    origin = dns.name.from_text("down.example.")
    wait_until(lambda: served_serial(up.host, up.port, origin) != active.serial,
               what="the live named to take the change")  # fmt: skip
    status, report = doctor(stack)("down.example.")
    first = report["first_broken"]
    assert (status, first["link"]) == (1, "control channel")
    assert f"{down.host}:{down.port}" in first["summary"] and "fails" in first["summary"]
    by_server = {f["summary"].split()[1]: f for f in findings(report, "nameservers")}
    assert by_server[f"{up.host}:{up.port}"]["verdict"] == "ok"
    lagging = by_server[f"{down.host}:{down.port}"]
    assert lagging["verdict"] == "broken" and "last error" in lagging["summary"]


def test_divergent_serials_across_the_pools_nameservers_are_named(
    named_factory: NamedFactory, bind_stack: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    # ns2 is a nameserver of the pool but no target: a secondary of ns1 by its own
    # configuration (a hidden-primary layout). ns1 sends no NOTIFY, so ns2 keeps the serial
    # it first took while ns1 moves on.
    ns1, ns2 = named_factory("127.0.0.1"), named_factory("127.0.0.2")
    stack = bind_stack(ns1)
    mdns = stack.mdns.address
    text = bind_pool_yaml([ns1], mdns.host, mdns.port).replace(
        "  nameservers:", f"  nameservers:\n    - {{host: {ns2.host}, port: {ns2.port}}}", 1
    )
    PoolService(stack.database).update_pools(parse_pools(text))
    zone = make_zone(stack.services, "diverge.example.")
    origin = dns.name.from_text("diverge.example.")
    wait_until(lambda: served_serial(ns1.host, ns1.port, origin) == zone.serial, what="ns1")
    config = f'{{ type secondary; primaries {{ {ns1.host} port {ns1.port}; }}; file "d.db"; }};'
    assert ns2.rndc("addzone", "diverge.example", config).returncode == 0
    first = stack.wait_for(zone.id, Status.ACTIVE)
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.diverge.example.", "A", "192.0.2.1")
    )
    wait_until(lambda: served_serial(ns1.host, ns1.port, origin) != first.serial, what="ns1")
    status, report = doctor(stack)("diverge.example.")
    broken = report["first_broken"]
    assert (status, broken["link"]) == (1, "nameservers")
    assert broken["summary"].startswith(f"nameserver {ns2.host}:{ns2.port} lags on 1 of 1")
    assert f"serves {first.serial}, desired {stack.zone(zone.id).serial}" in broken["summary"]
    by_server = {f["summary"].split()[1]: f["verdict"] for f in findings(report, "nameservers")}
    assert by_server[f"{ns1.host}:{ns1.port}"] == "ok"


def test_no_worker_running_is_named(
    named_factory: NamedFactory, bind_stack: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    bind = named_factory()
    stack = bind_stack(bind)  # fmt: skip
    zone = make_zone(stack.services, "unworked.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    stack.stop()  # as a crash: the worker (and mdns) go, their heartbeat row grows old
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.unworked.example.", "A", "192.0.2.1")
    )
    time.sleep(0.6)
    status, report = doctor(stack, **SILENT_AFTER_HALF_A_SECOND)("unworked.example.")
    first = report["first_broken"]
    assert (status, first["link"]) == (1, "workers")
    assert first["summary"] == "no worker is running: changes are stored, never pushed"
    assert first["evidence"][0].startswith("the last, worker on ")
    assert "zonefleet worker" in first["fix"]


def test_with_everything_down_doctor_still_finishes_within_its_timeouts(
    named_factory: NamedFactory, bind_stack: Callable[..., Stack], doctor: Callable[..., Run]
) -> None:
    servers = [named_factory("127.0.0.1"), named_factory("127.0.0.2")]
    stack = bind_stack(*servers)
    zone = make_zone(stack.services, "dark.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    for named in servers:
        assert named.process is not None
        named.process.send_signal(signal.SIGSTOP)  # alive but silent: every query times out
    try:
        stack.stop()
        started = time.monotonic()
        time.sleep(0.6)
        status, report = doctor(stack, **SILENT_AFTER_HALF_A_SECOND)("dark.example.")
        took = time.monotonic() - started
    finally:
        for named in servers:
            assert named.process is not None
            named.process.send_signal(signal.SIGCONT)
    # Bounded by doctor's 1 s checks (rndc's own 3 s timeout lowered to it), not hanging on
    # the silent servers; the time itself is bench/doctor.py's to measure.
    assert status == 1 and took < 10, took
    broken = {f["link"] for f in report["findings"] if f["verdict"] == "broken"}
    assert {"workers", "mdns reachability", "control channel", "nameservers"} <= broken
