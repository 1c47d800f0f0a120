"""The producer's database tasks on every engine: deleted zones purged after their grace,
the zone journal pruned, silent processes shown DOWN and forgotten, heartbeats written and
ended."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

from tests.conftest import make_settings
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.cli import assembly
from zonefleet.producer import tasks
from zonefleet.producer.heartbeat import Heartbeat
from zonefleet.producer.tasks import (
    DriftAudit,
    JournalPrune,
    ServiceStatusCheck,
    TimelinePrune,
    ZonePurge,
)
from zonefleet.storage import migrate
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    JournalEntry,
    Recordset,
    ServiceState,
    ServiceStatus,
    Status,
    Zone,
    ZoneEvent,
    utcnow,
)


def deleted(database: Database, zone_id: str, days_ago: float) -> None:
    """The zone as the worker leaves it once every target dropped it, `days_ago` days back."""
    with database.write() as session:
        session.execute(
            update(Zone)
            .where(Zone.id == zone_id)
            .values(status=Status.DELETED, deleted=zone_id,
                    deleted_at=utcnow() - timedelta(days=days_ago))
        )  # fmt: skip
        session.add(ZoneEvent(zone_id=zone_id, role="worker", event="status DELETED"))


def test_deleted_zones_are_purged_after_their_grace_with_their_recordsets(
    database: Database, services: ApiServices, tmp_path: Path
) -> None:
    old, recent, live = (make_zone(services, f"{n}.purge.example.") for n in ("old", "new", "live"))
    services.recordsets.create_recordset(ctx(), old.id, rs_request("www.old.purge.example.", "A",
                                                                   "192.0.2.1"))  # fmt: skip
    deleted(database, old.id, days_ago=8)
    deleted(database, recent.id, days_ago=1)
    purge = ZonePurge(database, make_settings(tmp_path))  # grace: 7 days by default
    assert purge.purge() == 1
    with database.read() as session:
        assert set(session.scalars(select(Zone.id))) == {recent.id, live.id}
        assert session.scalars(select(Recordset).where(Recordset.zone_id == old.id)).all() == []
        # The timeline outlives the zone.
        assert session.scalars(select(ZoneEvent).where(ZoneEvent.zone_id == old.id)).all()
    assert purge.purge() == 0


class Hints:
    def __init__(self) -> None:
        self.zones: list[str] = []

    def zone_changed(self, zone_id: str) -> None:
        self.zones.append(zone_id)


def test_the_drift_audit_reads_no_zone_of_pools_served_by_mdns_alone(
    database: Database, services: ApiServices, tmp_path: Path
) -> None:
    for name in ("a.audit.example.", "b.audit.example."):
        zone = make_zone(services, name)
        with database.write() as session:
            session.execute(update(Zone).where(Zone.id == zone.id).values(status=Status.ACTIVE))
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = database.read_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        hints = Hints()
        audit = DriftAudit(database, make_settings(tmp_path), hints)
        asyncio.run(audit.run())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements, "the audit read nothing at all, not even the pools"
    assert not [s for s in statements if "FROM zones" in s]
    assert (audit.last_checked, audit.last_pushed, hints.zones) == (0, [], [])


def changed(services: ApiServices, name: str, changes: int) -> Zone:
    """A zone journaled at 1 + `changes` serials: its creation, then one recordset each."""
    zone = make_zone(services, name)
    for n in range(changes):
        request = rs_request(f"h{n}.{name}", "A", "192.0.2.1")
        services.recordsets.create_recordset(ctx(), zone.id, request)
    return zone


def journal(database: Database, zone_id: str) -> dict[int, int]:
    """The zone's journal: rows per serial."""
    with database.read() as session:
        statement = (
            select(JournalEntry.serial, func.count())
            .where(JournalEntry.zone_id == zone_id)
            .group_by(JournalEntry.serial)
        )
        return dict(session.execute(statement).all())


def journaled_days_ago(
    database: Database, zone_id: str, serials: Iterable[int], days: float
) -> None:
    with database.write() as session:
        session.execute(
            update(JournalEntry)
            .where(JournalEntry.zone_id == zone_id, JournalEntry.serial.in_(list(serials)))
            .values(created_at=utcnow() - timedelta(days=days))
        )


def test_each_zone_keeps_the_journal_of_its_newest_serials(
    database: Database, services: ApiServices, tmp_path: Path
) -> None:
    busy = changed(services, "busy.journal.example.", 4)
    quiet = changed(services, "quiet.journal.example.", 1)
    busy_before, quiet_before = journal(database, busy.id), journal(database, quiet.id)
    oldest, newest = sorted(busy_before)[:2], sorted(busy_before)[2:]
    prune = JournalPrune(database, make_settings(tmp_path, ZONEFLEET_JOURNAL__MAX_SERIALS="3"))
    assert prune.prune() == (1, sum(busy_before[serial] for serial in oldest))
    assert journal(database, busy.id) == {serial: busy_before[serial] for serial in newest}
    assert journal(database, quiet.id) == quiet_before
    assert prune.prune() == (0, 0)


def test_old_serials_are_pruned_but_each_zones_newest_stays(
    database: Database, services: ApiServices, tmp_path: Path
) -> None:
    mixed, stale, fresh = (
        changed(services, f"{name}.journal.example.", 3) for name in ("mixed", "stale", "fresh")
    )
    before = {zone.id: journal(database, zone.id) for zone in (mixed, stale, fresh)}
    serials = {zone_id: sorted(rows) for zone_id, rows in before.items()}
    journaled_days_ago(database, mixed.id, serials[mixed.id][:2], days=8)
    journaled_days_ago(database, stale.id, serials[stale.id], days=30)
    journaled_days_ago(database, fresh.id, serials[fresh.id], days=6)
    prune = JournalPrune(database, make_settings(tmp_path))  # max_age: 7 days by default
    gone = {mixed.id: serials[mixed.id][:2], stale.id: serials[stale.id][:-1]}
    assert prune.prune() == (2, sum(before[z][s] for z, old in gone.items() for s in old))
    assert sorted(journal(database, mixed.id)) == serials[mixed.id][2:]
    assert sorted(journal(database, stale.id)) == serials[stale.id][-1:]
    assert journal(database, fresh.id) == before[fresh.id]
    assert prune.prune() == (0, 0), "a zone's newest serial stays however old"


def test_a_run_prunes_at_most_prune_batch_zones(
    database: Database,
    services: ApiServices,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(tasks, "JOURNAL_PAGE", 1)
    zones = sorted((changed(services, f"z{n}.journal.example.", 1) for n in range(3)),
                   key=lambda zone: zone.id)  # fmt: skip
    created = journal(database, zones[0].id)[zones[0].serial]
    settings = make_settings(tmp_path, ZONEFLEET_JOURNAL__MAX_SERIALS="1",
                             ZONEFLEET_JOURNAL__PRUNE_BATCH="2")  # fmt: skip
    prune = JournalPrune(database, settings)
    with caplog.at_level(logging.INFO, logger="zonefleet.producer.tasks"):
        asyncio.run(prune.run())
    assert f"pruned {2 * created} journal rows of 2 zones" in caplog.text
    assert [len(journal(database, zone.id)) for zone in zones] == [1, 1, 2]
    assert prune.prune() == (1, created)
    assert prune.prune() == (0, 0)


def test_timeline_steps_past_their_retention_go_in_pages_and_newer_ones_stay(
    database: Database, services: ApiServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = make_zone(services, "steps.purge.example.")
    old = utcnow() - timedelta(days=15)  # retention: 14 days by default
    with database.write() as session:
        session.add_all(
            ZoneEvent(zone_id=zone.id, at=old, role="worker", event=f"old {n}") for n in range(5)
        )
    monkeypatch.setattr("zonefleet.producer.tasks.PRUNE_PAGE", 2)
    monkeypatch.setattr("zonefleet.storage.timeline.PRUNE_PAGE", 2)
    prune = TimelinePrune(database, make_settings(tmp_path, ZONEFLEET_TIMELINE__PRUNE_BATCH="4"))
    assert prune.prune() == 4  # the batch bounds one run: two pages of two
    assert prune.prune() == 1
    with database.read() as session:
        left = session.scalars(select(ZoneEvent.event).where(ZoneEvent.zone_id == zone.id))
        assert list(left) == ["zone created"]
    assert prune.prune() == 0


def test_silent_processes_show_down_and_old_ones_are_forgotten(
    database: Database, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, ZONEFLEET_HEARTBEAT__INTERVAL="10",
                             ZONEFLEET_HEARTBEAT__DOWN_AFTER="30",
                             ZONEFLEET_HEARTBEAT__RETENTION="3600")  # fmt: skip
    now = utcnow()
    alive, silent, gone = (
        Heartbeat(database, settings.heartbeat, name) for name in ("api", "worker", "mdns")
    )
    alive.beat(ServiceState.UP, {}, now=now)
    silent.beat(ServiceState.UP, {}, now=now - timedelta(seconds=31))
    gone.beat(ServiceState.DOWN, {}, now=now - timedelta(hours=2))
    ServiceStatusCheck(database, settings).check()
    with database.read() as session:
        rows = {row.id: row.status for row in session.scalars(select(ServiceStatus))}
    assert rows == {alive.id: ServiceState.UP, silent.id: ServiceState.DOWN}


def test_a_heartbeat_updates_its_row_and_ends_down(database: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ZONEFLEET_HEARTBEAT__INTERVAL="0.05",
                             ZONEFLEET_HEARTBEAT__DOWN_AFTER="1")  # fmt: skip
    beats = 0

    def health() -> tuple[ServiceState, dict[str, object]]:
        nonlocal beats
        beats += 1
        return ServiceState.WARNING, {"beats": beats}

    heart = Heartbeat(database, settings.heartbeat, "worker", health=health,
                      capabilities={"backends": ["bind9"]})  # fmt: skip

    async def run_a_while() -> None:
        running = asyncio.create_task(heart.run())
        await asyncio.sleep(0.3)
        with database.read() as session:
            row = session.get(ServiceStatus, heart.id)
            assert row is not None and row.status == ServiceState.WARNING
            assert row.stats["beats"] >= 2 and row.capabilities == {"backends": ["bind9"]}
        heart.stop()
        await running

    asyncio.run(run_a_while())
    with database.read() as session:
        row = session.get(ServiceStatus, heart.id)
        assert row is not None and row.status == ServiceState.DOWN
        assert row.service_name == "worker" and row.stats["pid"] > 0


def test_with_the_timeline_off_no_step_is_written(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ZONEFLEET_TIMELINE__ENABLED="false")
    database = assembly.database(settings)
    try:
        migrate.upgrade(database, settings.pools.default_ns_hostname)
        services = assembly.api_services(settings, database)
        zone = make_zone(services, "quiet.example.")
        with database.read() as session:
            steps = session.scalar(select(func.count()).select_from(ZoneEvent)
                                   .where(ZoneEvent.zone_id == zone.id))  # fmt: skip
        assert steps == 0
    finally:
        database.dispose()
