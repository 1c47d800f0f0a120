"""The whole chain against real BIND9: API write → worker → rndc/NOTIFY → BIND transfers
from mdns → BIND answers. BIND's own answers (dnspython queries) are the evidence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import dns.message
import dns.name
import dns.query
import dns.rcode
import pytest
from sqlalchemy import select

from tests.integration.conftest import NamedFactory, served_serial, wait_for_serial
from tests.integration.named import Named, bind_pool_yaml
from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.pools.load import parse_pools
from zonefleet.producer.tasks import DriftAudit
from zonefleet.service.pools import PoolService
from zonefleet.service.recordsets import RecordsetUpdate
from zonefleet.storage.models import Status, ZoneEvent


def load_pool(stack: Stack, servers: Sequence[Named], threshold: int = 100) -> None:
    """The default pool: each named a bind9 target and a nameserver, mdns their master."""
    mdns = stack.mdns.address
    text = bind_pool_yaml(servers, mdns.host, mdns.port, threshold=threshold)
    PoolService(stack.database).update_pools(parse_pools(text))


def answer(named: Named, name: str, rdtype: str) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return dns.query.udp(query, named.host, port=named.port, timeout=2)


def wait_until(check: Callable[[], bool], timeout: float = 10, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def bind(named_factory: NamedFactory) -> Named:
    return named_factory()


@pytest.fixture
def bind_stack(stack_factory: Callable[..., Stack], bind: Named) -> Stack:
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="2", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    load_pool(stack, [bind])
    return stack


def test_every_change_reaches_bind_and_only_then_shows_active(
    bind_stack: Stack, bind: Named
) -> None:
    services = bind_stack.services
    zone = make_zone(services, "example.org.")
    active = bind_stack.wait_for(zone.id, Status.ACTIVE)
    assert served_serial(bind.host, bind.port, dns.name.from_text("example.org.")) == active.serial
    assert "example.org" in bind.added_zones()

    www = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.example.org.", "A", "192.0.2.10")
    )
    wait_until(lambda: answer(bind, "www.example.org.", "A").answer != [], what="BIND to serve www")
    assert answer(bind, "www.example.org.", "A").answer[0][0].address == "192.0.2.10"
    bind_stack.wait_for(zone.id, Status.ACTIVE)

    services.recordsets.update_recordset(
        ctx(), zone.id, www.id, RecordsetUpdate(records=["192.0.2.11", "192.0.2.12"])
    )
    wait_until(
        lambda: len(answer(bind, "www.example.org.", "A").answer[:1][0] if answer(
            bind, "www.example.org.", "A").answer else []) == 2,
        what="BIND to serve the update",
    )  # fmt: skip
    services.recordsets.delete_recordset(ctx(), zone.id, www.id)
    wait_until(
        lambda: answer(bind, "www.example.org.", "A").rcode() == dns.rcode.NXDOMAIN,
        what="BIND to forget www",
    )
    final = bind_stack.wait_for(zone.id, Status.ACTIVE)
    assert served_serial(bind.host, bind.port, dns.name.from_text("example.org.")) == final.serial


def test_a_deleted_zone_leaves_bind(bind_stack: Stack, bind: Named) -> None:
    zone = make_zone(bind_stack.services, "gone.example.")
    bind_stack.wait_for(zone.id, Status.ACTIVE)
    bind_stack.services.zones.delete_zone(ctx(), zone.id)
    bind_stack.wait_for(zone.id, Status.DELETED)
    assert answer(bind, "gone.example.", "SOA").rcode() == dns.rcode.REFUSED
    assert "gone.example" not in bind.added_zones()
    # A plain delete leaves named's zone file; X-Designate-Hard-Delete (admin) removes it.
    assert (bind.directory / f"gone.example.{zone.id}.db").exists()
    hard = make_zone(bind_stack.services, "hard.example.")
    bind_stack.wait_for(hard.id, Status.ACTIVE)
    assert (bind.directory / f"hard.example.{hard.id}.db").exists()
    bind_stack.services.zones.delete_zone(ctx("p1", "admin", hard_delete=True), hard.id)
    bind_stack.wait_for(hard.id, Status.DELETED)
    assert "'delzone -clean hard.example.'" in bind.log()
    assert not (bind.directory / f"hard.example.{hard.id}.db").exists()


def test_bind_down_turns_error_naming_it_and_bind_back_turns_active(
    bind_stack: Stack, bind: Named
) -> None:
    zone = make_zone(bind_stack.services, "outage.example.")
    bind_stack.wait_for(zone.id, Status.ACTIVE)
    bind.stop()
    bind_stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.outage.example.", "A", "192.0.2.20")
    )
    assert bind_stack.zone(zone.id).status == Status.PENDING
    error = bind_stack.wait_for(zone.id, Status.ERROR, timeout=20)
    propagation = bind_stack.services.propagation.get_propagation(ctx(), zone.id)
    [nameserver] = propagation.nameservers
    assert (nameserver.host, nameserver.port, nameserver.state) == (
        bind.host, bind.port, "UNREACHABLE",
    )  # fmt: skip
    [target] = propagation.targets
    # BIND already held the zone: the retries are NOTIFYs, and the error names where they went.
    assert target.attempts >= 2 and f"{bind.host}:{bind.port}" in (target.last_error or "")
    with bind_stack.database.read() as session:
        reasons = session.scalars(
            select(ZoneEvent.detail).where(
                ZoneEvent.zone_id == zone.id, ZoneEvent.event == "status ERROR"
            )
        ).all()
    assert any(f"{bind.host}:{bind.port}" in (reason or "") for reason in reasons)
    bind.start()
    healed = bind_stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    assert healed.serial == error.serial
    wait_for_serial(bind.host, bind.port, dns.name.from_text("outage.example."), healed.serial)
    assert answer(bind, "www.outage.example.", "A").answer[0][0].address == "192.0.2.20"


def test_one_of_two_nameservers_down_keeps_the_zone_from_active(
    stack_factory: Callable[..., Stack], named_factory: NamedFactory
) -> None:
    first, second = named_factory("127.0.0.1"), named_factory("127.0.0.2")
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="1", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    load_pool(stack, [first, second])
    zone = make_zone(stack.services, "pair.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    second.stop()
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.pair.example.", "A", "192.0.2.30")
    )
    wait_until(
        lambda: answer(first, "www.pair.example.", "A").answer != [], what="the first to serve"
    )
    time.sleep(1.5)
    assert stack.zone(zone.id).status in (Status.PENDING, Status.ERROR)
    states = {
        (ns.host, ns.state)
        for ns in stack.services.propagation.get_propagation(ctx(), zone.id).nameservers
    }
    assert states == {("127.0.0.1", "SERVING"), ("127.0.0.2", "UNREACHABLE")}


def test_below_the_threshold_a_lagging_nameserver_stays_visible(
    stack_factory: Callable[..., Stack], named_factory: NamedFactory
) -> None:
    first, second = named_factory("127.0.0.1"), named_factory("127.0.0.2")
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="1", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    load_pool(stack, [first, second], threshold=50)
    zone = make_zone(stack.services, "half.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    second.stop()
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.half.example.", "A", "192.0.2.40")
    )
    active = stack.wait_for(zone.id, Status.ACTIVE)
    assert answer(first, "www.half.example.", "A").answer[0][0].address == "192.0.2.40"
    wait_until(
        lambda: (
            {
                (ns.host, ns.state)
                for ns in stack.services.propagation.get_propagation(ctx(), zone.id).nameservers
            }
            == {("127.0.0.1", "SERVING"), ("127.0.0.2", "UNREACHABLE")}
        ),
        what="the propagation view to show the lagging nameserver",
    )
    assert stack.zone(zone.id).serial == active.serial


def test_the_drift_audit_puts_back_a_zone_that_bind_lost(bind_stack: Stack, bind: Named) -> None:
    zone = make_zone(bind_stack.services, "drift.example.org.")
    active = bind_stack.wait_for(zone.id, Status.ACTIVE)
    name = dns.name.from_text(zone.name)
    audit = DriftAudit(bind_stack.database, bind_stack.settings, bind_stack.reconciler)
    asyncio.run(audit.run())
    assert audit.last_checked == 1 and audit.last_pushed == []

    bind.rndc("delzone", "drift.example.org")  # behind Zonefleet's back
    assert served_serial(bind.host, bind.port, name) is None
    asyncio.run(audit.run())
    assert audit.last_pushed == [zone.id]
    wait_for_serial(bind.host, bind.port, name, active.serial)
    assert bind_stack.zone(zone.id).status == Status.ACTIVE
    with bind_stack.database.read() as session:
        events = session.scalars(select(ZoneEvent).where(ZoneEvent.zone_id == zone.id)).all()
    drift = [event for event in events if event.event == "drift found"]
    assert len(drift) == 1 and "MISSING" in (drift[0].detail or "")


def test_a_change_to_a_zone_bind_lost_configures_it_again(
    stack_factory: Callable[..., Stack], bind: Named
) -> None:
    fast = {"ZONEFLEET_WORKER__POLL_TIMEOUT": "0.5", "ZONEFLEET_WORKER__QUERY_TIMEOUT": "0.3"}
    stack = stack_factory(**fast)
    load_pool(stack, [bind])
    zone = make_zone(stack.services, "lost.example.org.")
    stack.wait_for(zone.id, Status.ACTIVE)
    bind.rndc("delzone", "lost.example.org")  # behind Zonefleet's back
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.lost.example.org.", "A", "192.0.2.30")
    )
    healed = stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    wait_for_serial(bind.host, bind.port, dns.name.from_text(zone.name), healed.serial)
    assert answer(bind, "www.lost.example.org.", "A").answer[0][0].address == "192.0.2.30"


def test_a_zone_moved_to_another_pool_leaves_its_old_bind_for_the_new_one(
    stack_factory: Callable[..., Stack], named_factory: NamedFactory
) -> None:
    old, new = named_factory("127.0.0.1"), named_factory("127.0.0.2")
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="2", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    mdns = stack.mdns.address
    other = bind_pool_yaml([new], mdns.host, mdns.port).replace("name: default", "name: other")
    other = other.replace("ns1.zonefleet.test.", "ns1.other.test.")
    pools = parse_pools(bind_pool_yaml([old], mdns.host, mdns.port) + other)
    PoolService(stack.database).update_pools(pools)
    zone = make_zone(stack.services, "moved.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    assert "moved.example" in old.added_zones()
    [other_pool] = [p for p in PoolService(stack.database).list_pools() if p.name == "other"]
    assert other_pool.id is not None
    PoolService(stack.database, stack.services.zones.hints).move_zone(
        ctx("p1", "admin"), zone.id, other_pool.id
    )
    moved = stack.wait_for(zone.id, Status.ACTIVE)
    name = dns.name.from_text("moved.example.")
    assert served_serial(new.host, new.port, name) == moved.serial
    assert answer(new, "moved.example.", "NS").answer[0][0].target.to_text() == "ns1.other.test."
    wait_until(lambda: "moved.example" not in old.added_zones(), what="the old BIND to drop it")
    assert answer(old, "moved.example.", "SOA").rcode() == dns.rcode.REFUSED
    view = stack.services.propagation.get_propagation(ctx(), zone.id)
    assert [t.description for t in view.targets] == [f"{new.host}:{new.port}"]
    assert [(ns.host, ns.state) for ns in view.nameservers] == [(new.host, "SERVING")]
