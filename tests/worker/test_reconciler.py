"""The reconciler against mdns as the nameserver, with a witness backend as the target."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import dns.message
import dns.query
import dns.rcode
import pytest
from sqlalchemy import select, update

from tests.service.factories import ctx, make_zone, rs_request, zone_request
from tests.stack import Stack
from tests.worker.witness import WitnessBackend
from zonefleet.errors import ZoneNotFound
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    Action,
    PoolNameserver,
    PoolTarget,
    Status,
    Zone,
    ZoneEvent,
    ZoneNameserver,
    ZoneTarget,
)


def add_target(database: Database, stack: Stack, target_id: str) -> None:
    """A witness target whose DNS side is mdns itself, so SOA checks ask mdns."""
    address = stack.mdns.address
    with database.write() as session:
        session.add(
            PoolTarget(
                id=target_id,
                pool_id=DEFAULT_POOL_ID,
                type="witness",
                options={"host": address.host, "port": address.port},
                masters=[],
            )
        )


def test_a_zone_goes_active_on_the_embedded_default(stack: Stack) -> None:
    zone = make_zone(stack.services, "example.org.")
    active = stack.wait_for(zone.id, Status.ACTIVE)
    assert active.action == Action.NONE
    rs = stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.example.org.", "A", "192.0.2.1")
    )
    stack.wait_for(zone.id, Status.ACTIVE)
    deadline = time.monotonic() + 5
    while stack.services.recordsets.get_recordset(ctx(), zone.id, rs.id).status != "ACTIVE":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with stack.database.read() as session:
        row = session.scalars(select(ZoneNameserver).where(ZoneNameserver.zone_id == zone.id)).one()
    assert row.nameserver == str(stack.mdns.address)
    assert (row.state, row.serial) == ("SERVING", stack.zone(zone.id).serial)
    assert ("worker", None, "status ACTIVE") in stack.events(zone.id)


def test_a_lost_wake_up_only_delays(stack: Stack) -> None:
    silent = stack.services.zones
    hints, silent.hints = silent.hints, _Deaf()
    try:
        zone = make_zone(stack.services, "quiet.example.")
    finally:
        silent.hints = hints
    assert stack.zone(zone.id).status == Status.PENDING
    stack.wait_for(zone.id, Status.ACTIVE, timeout=3)


class _Deaf:
    def zone_changed(self, zone_id: str) -> None:
        return None


def test_a_deleted_zone_leaves_every_target_before_it_is_marked_deleted(
    stack: Stack, witness: type[WitnessBackend]
) -> None:
    add_target(stack.database, stack, "t1")
    zone = make_zone(stack.services, "gone.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    assert witness.operations("gone.example.")[:2] == ["ensure", "refresh"]
    stack.services.zones.delete_zone(ctx(), zone.id)
    gone = stack.wait_for(zone.id, Status.DELETED)
    assert gone.deleted == zone.id
    assert witness.operations("gone.example.")[-1] == "remove"
    with pytest.raises(ZoneNotFound):
        stack.services.zones.get_zone(ctx(), zone.id)
    with stack.database.read() as session:
        assert session.scalars(select(ZoneTarget).where(ZoneTarget.zone_id == zone.id)).all() == []


def test_a_failing_target_is_retried_with_its_error_recorded(
    stack: Stack, witness: type[WitnessBackend]
) -> None:
    add_target(stack.database, stack, "t-broken")
    witness.failing.add("t-broken")
    zone = make_zone(stack.services, "broken.example.")
    deadline = time.monotonic() + 5
    while witness.operations("broken.example.").count("ensure") < 2:
        assert time.monotonic() < deadline, "the failing target was not retried"
        time.sleep(0.01)
    with stack.database.read() as session:
        row = session.get(ZoneTarget, (zone.id, "t-broken"))
        assert row is not None and row.attempts >= 1
        assert "witness t-broken refuses ensure" in (row.last_error or "")
    assert ("target", "t-broken", "push failed") in stack.events(zone.id)


def test_a_silent_nameserver_turns_the_zone_error_and_its_return_active(stack: Stack) -> None:
    with stack.database.write() as session:
        session.add(PoolNameserver(pool_id=DEFAULT_POOL_ID, host="127.0.0.1", port=free_port()))
    zone = make_zone(stack.services, "silent.example.")
    error = stack.wait_for(zone.id, Status.ERROR)
    assert error.action == Action.CREATE
    with stack.database.read() as session:
        row = session.scalars(select(ZoneNameserver).where(ZoneNameserver.zone_id == zone.id)).one()
        assert row.state == "UNREACHABLE"
    assert any(event == "status ERROR" for _, _, event in stack.events(zone.id))
    with stack.database.write() as session:
        session.execute(update(PoolNameserver).values(port=stack.mdns.address.port))
    stack.wait_for(zone.id, Status.ACTIVE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_recreated_name_is_not_removed_by_the_old_zones_deletion(
    stack: Stack, witness: type[WitnessBackend]
) -> None:
    add_target(stack.database, stack, "t1")
    old = make_zone(stack.services, "again.example.")
    stack.wait_for(old.id, Status.ACTIVE)
    witness.failing.add("remove")
    stack.services.zones.delete_zone(ctx(), old.id)
    deadline = time.monotonic() + 5
    while "remove" not in witness.operations("again.example."):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    new = stack.services.zones.create_zone(ctx(), zone_request("again.example."))
    assert new.serial > stack.zone(old.id).serial
    witness.failing.clear()
    stack.wait_for(new.id, Status.ACTIVE)
    stack.wait_for(old.id, Status.DELETED)
    operations = witness.operations("again.example.")
    first_ensure_after_recreate = next(
        index for index, call in enumerate(witness.calls)
        if call[2] == "again.example." and call[3] == new.serial
    )  # fmt: skip
    later = [call[0] for call in witness.calls[first_ensure_after_recreate:]]
    assert "remove" not in later, operations


def test_zones_leave_a_retired_target_and_the_target_goes(
    stack: Stack, witness: type[WitnessBackend]
) -> None:
    add_target(stack.database, stack, "old-target")
    zone = make_zone(stack.services, "moved.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    add_target(stack.database, stack, "new-target")
    with stack.database.write() as session:
        session.execute(
            update(PoolTarget)
            .where(PoolTarget.id == "old-target")
            .values(retired=True, options={"host": "192.0.2.99", "port": 53})
        )
        session.execute(update(Zone).where(Zone.id == zone.id).values(status=Status.PENDING))
    stack.reconciler.zone_changed(zone.id)
    stack.wait_for(zone.id, Status.ACTIVE)
    deadline = time.monotonic() + 5
    while True:
        with stack.database.read() as session:
            if session.get(PoolTarget, "old-target") is None:
                break
        assert time.monotonic() < deadline, "the retired target was not deleted"
        time.sleep(0.01)
    calls = [(op, target) for op, target, name, _ in witness.calls if name == "moved.example."]
    assert ("remove", "old-target") in calls
    assert ("ensure", "new-target") in calls


def test_rounds_need_no_work_once_converged(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory()
    zone = make_zone(stack.services, "still.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    rounds = stack.reconciler.rounds
    time.sleep(0.5)
    assert stack.reconciler.rounds == rounds


def test_the_timeline_holds_the_api_write_with_its_request_id_then_the_worker_steps(
    stack: Stack,
) -> None:
    zone = make_zone(stack.services, "timeline.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    with stack.database.read() as session:
        events = session.scalars(
            select(ZoneEvent).where(ZoneEvent.zone_id == zone.id).order_by(ZoneEvent.id)
        ).all()
    first = events[0]
    assert (first.role, first.event, first.request_id) == ("api", "zone created", "req-test")
    assert first.serial == zone.serial
    assert [event.event for event in events][-1] == "status ACTIVE"


def test_a_change_to_a_held_zone_sends_one_notify_per_target(
    stack: Stack, witness: type[WitnessBackend]
) -> None:
    add_target(stack.database, stack, "t1")
    zone = make_zone(stack.services, "notify.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    before = witness.operations("notify.example.")
    for index in range(3):
        stack.services.recordsets.create_recordset(
            ctx(), zone.id, rs_request(f"h{index}.notify.example.", "A", "192.0.2.1")
        )
        stack.wait_for(zone.id, Status.ACTIVE)
    time.sleep(0.1)
    after = witness.operations("notify.example.")[len(before) :]
    assert after.count("refresh") == 3, after
    assert "ensure" not in after


def test_create_change_and_delete_converge_on_every_engine(
    engine_stack: Stack, witness: type[WitnessBackend]
) -> None:
    stack = engine_stack
    add_target(stack.database, stack, "t-engine")
    zone = make_zone(stack.services, "engine.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.engine.example.", "A", "192.0.2.1")
    )
    active = stack.wait_for(zone.id, Status.ACTIVE)
    with stack.database.read() as session:
        row = session.get(ZoneTarget, (zone.id, "t-engine"))
        assert row is not None
        assert (row.present, row.serial, row.lease_owner) == (True, active.serial, None)
    stack.services.zones.delete_zone(ctx(), zone.id)
    stack.wait_for(zone.id, Status.DELETED)
    assert witness.operations("engine.example.")[-1] == "remove"


class StaleNameserver:
    """A nameserver that answers REFUSED, as from a stale cache, until the target has been
    asked to refresh `refreshes` times; then it answers as mdns does (it asks mdns)."""

    def __init__(self, mdns: tuple[str, int], zone: str, refreshes: int) -> None:
        self.mdns, self.zone, self.refreshes = mdns, zone, refreshes
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                wire, client = self.socket.recvfrom(65535)
            except OSError:
                return  # closed
            query = dns.message.from_wire(wire)
            if WitnessBackend.operations(self.zone).count("refresh") >= self.refreshes:
                host, port = self.mdns
                answer = dns.query.udp(query, host, port=port, timeout=2)
            else:
                answer = dns.message.make_response(query)
                answer.set_rcode(dns.rcode.REFUSED)
            self.socket.sendto(answer.to_wire(), client)

    def close(self) -> None:
        self.socket.close()


def test_a_nameserver_still_behind_after_the_push_gets_its_target_nudged(
    stack_factory: Callable[..., Stack], witness: type[WitnessBackend]
) -> None:
    # Without the nudge this zone would wait out the whole 10 s attempt, then back off.
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="10",
                          ZONEFLEET_WORKER__NUDGE_AFTER="0.2",
                          ZONEFLEET_WORKER__RETRY_BACKOFF_MAX="30")  # fmt: skip
    add_target(stack.database, stack, "t1")
    address = stack.mdns.address
    stale = StaleNameserver((address.host, address.port), "nudged.example.", refreshes=2)
    try:
        with stack.database.write() as session:
            session.add(PoolNameserver(pool_id=DEFAULT_POOL_ID, host="127.0.0.1", port=stale.port))
        started = time.monotonic()
        zone = make_zone(stack.services, "nudged.example.")
        stack.wait_for(zone.id, Status.ACTIVE, timeout=5)
        assert time.monotonic() - started < 3
    finally:
        stale.close()
    assert witness.operations("nudged.example.") == ["ensure", "refresh", "refresh"]
    assert ("target", "t1", "nudged") in stack.events(zone.id)
    with stack.database.read() as session:
        [detail] = session.scalars(
            select(ZoneEvent.detail).where(ZoneEvent.zone_id == zone.id,
                                           ZoneEvent.event == "nudged")
        ).all()  # fmt: skip
    assert detail is not None and "refresh requested again" in detail
    assert f"127.0.0.1:{stale.port} missing" in detail


def test_a_target_that_took_a_new_zone_is_told_once_it_is_served(
    stack: Stack, witness: type[WitnessBackend]
) -> None:
    add_target(stack.database, stack, "t1")
    zone = make_zone(stack.services, "told.example.")
    created = stack.wait_for(zone.id, Status.ACTIVE)
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.told.example.", "A", "192.0.2.1")
    )
    changed = stack.wait_for(zone.id, Status.ACTIVE)
    assert changed.serial != created.serial
    # Told for the push that configured the zone, not for the change after it.
    assert witness.served == [("t1", "told.example.", created.serial)]
    with stack.database.read() as session:
        details = session.scalars(
            select(ZoneEvent.detail)
            .where(ZoneEvent.zone_id == zone.id, ZoneEvent.event == "pushed")
            .order_by(ZoneEvent.id)
        ).all()
    assert len(details) == 2
    assert details[0] == "witness: zone configured, refresh requested, witness: told it is served"
    assert details[1] is not None and "told" not in details[1]


def test_a_target_is_told_once_its_own_nameserver_serves_though_another_lags(
    stack_factory: Callable[..., Stack], witness: type[WitnessBackend]
) -> None:
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="0.5", ZONEFLEET_WORKER__NUDGE_AFTER="0")
    add_target(stack.database, stack, "t1")  # its nameserver is mdns itself
    address = stack.mdns.address
    lagging = StaleNameserver((address.host, address.port), "lagging.example.", refreshes=1000)
    try:
        with stack.database.write() as session:
            for port in (address.port, lagging.port):
                session.add(PoolNameserver(pool_id=DEFAULT_POOL_ID, host="127.0.0.1", port=port))
        zone = make_zone(stack.services, "lagging.example.")
        deadline = time.monotonic() + 5
        while not witness.served:
            assert time.monotonic() < deadline, "the target was never told"
            time.sleep(0.02)
    finally:
        lagging.close()
    assert witness.served == [("t1", "lagging.example.", stack.zone(zone.id).serial)]
    assert stack.zone(zone.id).status != Status.ACTIVE  # the other nameserver never served
