"""The producer's database tasks on every engine: deleted zones purged after their grace,
silent processes shown DOWN and forgotten, heartbeats written and ended."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from tests.conftest import make_settings
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.producer.heartbeat import Heartbeat
from zonefleet.producer.tasks import ServiceStatusCheck, ZonePurge
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
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
