"""The Core write path of the repositories: snapshots, explicit saves, inserts with defaults."""

from __future__ import annotations

from sqlalchemy import select

from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.storage.models import Record, Recordset, Status, new_id
from zonefleet.storage.repositories import Repositories


def test_a_locked_zone_changes_only_through_save(services: ApiServices) -> None:
    zone = make_zone(services)
    with services.database.write() as session:
        locked = Repositories(session).zones.lock(zone.id)
        assert locked is not None
        locked.description = "never saved"
        locked.ttl = 60
        Repositories(session).zones.save(locked, ("ttl",))
    stored = services.zones.get_zone(ctx(), zone.id)
    assert (stored.ttl, stored.description) == (60, None)


def test_mark_active_only_at_the_serial_it_verified(services: ApiServices) -> None:
    zone = make_zone(services)
    services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.example.org.", "A", "192.0.2.1")
    )
    with services.database.write() as session:
        zones = Repositories(session).zones
        assert not zones.mark_active(zone.id, zone.serial)  # a write moved the serial since
        current = zones.snapshot(zone.id)
        assert current is not None
        assert zones.mark_active(zone.id, current.serial)
        assert not zones.mark_active(zone.id, current.serial)  # already ACTIVE
    stored = services.zones.get_zone(ctx(), zone.id)
    assert (stored.status, stored.action) == (Status.ACTIVE, "NONE")


def test_insert_stores_the_models_defaults_and_shows_them(services: ApiServices) -> None:
    zone = make_zone(services)
    recordset = Recordset(
        id=new_id(), zone_id=zone.id, project_id=zone.project_id, name="www.example.org.",
        type="A", serial=zone.serial,
        records=[Record(zone_id=zone.id, data="192.0.2.1", hash="h1")],
    )  # fmt: skip
    with services.database.write() as session:
        Repositories(session).recordsets.insert([recordset])
        assert recordset not in session
    assert (recordset.version, recordset.status, recordset.managed) == (1, "PENDING", False)
    assert recordset.created_at is not None and recordset.records[0].id is not None
    with services.database.read() as session:
        stored = session.scalars(select(Recordset).where(Recordset.id == recordset.id)).one()
        assert (stored.version, stored.status, stored.created_at) == (
            1,
            "PENDING",
            recordset.created_at,
        )
        assert [(r.id, r.recordset_id) for r in stored.records] == [
            (recordset.records[0].id, recordset.id)
        ]
