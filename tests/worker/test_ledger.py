"""The ledger's leases on every engine: taken by a claim, given up by `release`."""

from __future__ import annotations

import time

from sqlalchemy import select

from tests.service.factories import make_zone
from tests.worker.witness import WitnessBackend
from zonefleet.api.deps import ApiServices
from zonefleet.settings import BindAddress, WorkerSettings
from zonefleet.storage.database import Database
from zonefleet.storage.models import DEFAULT_POOL_ID, PoolTarget, Status, ZoneEvent, ZoneTarget
from zonefleet.worker.ledger import Ledger, PushResult
from zonefleet.worker.serials import Served

MDNS = BindAddress("127.0.0.1", 5354)


def lease_owners(database: Database, zone_id: str) -> list[str | None]:
    with database.read() as session:
        rows = session.scalars(select(ZoneTarget).where(ZoneTarget.zone_id == zone_id))
        return [row.lease_owner for row in rows]


def test_a_stopping_worker_releases_its_leases_but_those_still_pushing(
    database: Database, services: ApiServices, witness: type[WitnessBackend]
) -> None:
    with database.write() as session:
        session.add(PoolTarget(id="t1", pool_id=DEFAULT_POOL_ID, type="witness",
                               options={"host": "127.0.0.1", "port": 53}, masters=[]))  # fmt: skip
    first, second = (make_zone(services, f"{n}.lease.example.") for n in ("one", "two"))
    worker = Ledger(database, WorkerSettings(), MDNS, "worker-a")
    for zone in (first, second):
        plan = worker.claim(zone.id, hinted=True)
        assert plan is not None and [c.target_id for c in plan.claimed] == ["t1"]
        assert lease_owners(database, zone.id) == ["worker-a"]

    other = Ledger(database, WorkerSettings(), MDNS, "worker-b")
    blocked = other.claim(first.id, hinted=True)
    assert blocked is not None and blocked.claimed == ()

    assert worker.release(keep={second.id}) == 1
    assert lease_owners(database, first.id) == [None]
    assert lease_owners(database, second.id) == ["worker-a"]
    taken = other.claim(first.id, hinted=True)
    assert taken is not None and [c.target_id for c in taken.claimed] == ["t1"]
    assert worker.release() == 1  # the other's lease on the first zone is not its own
    assert lease_owners(database, first.id) == ["worker-b"]


def test_a_result_written_back_after_the_lease_passed_to_another_worker_is_dropped(
    database: Database, services: ApiServices, witness: type[WitnessBackend]
) -> None:
    with database.write() as session:
        session.add(PoolTarget(id="t1", pool_id=DEFAULT_POOL_ID, type="witness",
                               options={"host": "127.0.0.1", "port": 53}, masters=[]))  # fmt: skip
    zone = make_zone(services, "late.lease.example.")
    slow = Ledger(database, WorkerSettings(lease_seconds=0.01), MDNS, "worker-slow")
    plan = slow.claim(zone.id, hinted=True)
    assert plan is not None and plan.claimed
    time.sleep(0.05)  # the slow worker's lease expires while it pushes
    fast = Ledger(database, WorkerSettings(), MDNS, "worker-fast")
    assert fast.claim(zone.id, hinted=True) is not None
    slow.record(plan, [PushResult("t1", removed=False, error="too late")])
    with database.read() as session:
        row = session.get(ZoneTarget, (zone.id, "t1"))
        assert row is not None
        assert (row.lease_owner, row.attempts, row.last_error) == ("worker-fast", 0, None)


def test_settle_writes_the_push_results_it_is_given_in_its_own_transaction(
    database: Database, services: ApiServices, witness: type[WitnessBackend]
) -> None:
    with database.write() as session:
        session.add(PoolTarget(id="t1", pool_id=DEFAULT_POOL_ID, type="witness",
                               options={"host": "127.0.0.1", "port": 53}, masters=[]))  # fmt: skip
    zone = make_zone(services, "merged.lease.example.")
    worker = Ledger(database, WorkerSettings(), MDNS, "worker-a")
    plan = worker.claim(zone.id, hinted=True)
    assert plan is not None and [c.target_id for c in plan.claimed] == ["t1"]
    pushed = PushResult("t1", removed=False)
    served = {nameserver: Served(zone.serial, reachable=True) for nameserver in plan.nameservers}
    time.sleep(0.01)  # the settle comes later than the push
    assert worker.settle(plan, served, final=True, results=[pushed]) == Status.ACTIVE
    with database.read() as session:
        row = session.get(ZoneTarget, (zone.id, "t1"))
        assert row is not None
        assert (row.lease_owner, row.serial, row.present, row.attempts) == (
            None, zone.serial, True, 0,
        )  # fmt: skip
        events = session.scalars(
            select(ZoneEvent).where(ZoneEvent.zone_id == zone.id).order_by(ZoneEvent.id)
        ).all()
    steps = [(event.event, event.subject) for event in events if event.role != "api"]
    assert steps[:2] == [("claimed", "worker-a"), ("pushed", "t1")]
    assert steps[-1] == ("status ACTIVE", None)
    claimed = events[[e.event for e in events].index("claimed")]
    assert (claimed.detail, claimed.request_id) == (
        "push to 1 of 1 targets, woken by a hint from the bus",
        "req-test",
    )
    # The push's own time, not the settle's.
    assert events[[e.event for e in events].index("pushed")].at == pushed.at.replace(
        tzinfo=events[0].at.tzinfo
    )
