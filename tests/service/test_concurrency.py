"""Concurrent writers on every engine: one serial per write, nothing lost, no duplicates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from tests.service.factories import ctx, make_zone, rs_request, zone_request
from zonefleet.api.deps import ApiServices
from zonefleet.errors import DuplicateZoneError
from zonefleet.storage.filters import PageRequest, ZoneFilter
from zonefleet.storage.models import JournalEntry, Recordset

WRITERS = 8


def test_parallel_recordset_creates_each_get_their_own_serial(services: ApiServices) -> None:
    zone = make_zone(services)

    def create(index: int) -> int:
        request = rs_request(f"host{index}.example.org.", "A", f"192.0.2.{index + 1}")
        return services.recordsets.create_recordset(ctx(), zone.id, request).serial

    with ThreadPoolExecutor(WRITERS) as pool:
        serials = list(pool.map(create, range(WRITERS * 3)))
    assert len(set(serials)) == len(serials)
    final = services.zones.get_zone(ctx(), zone.id)
    assert final.serial == max(serials)
    with services.database.read() as session:
        soa = session.scalars(
            select(Recordset).where(Recordset.zone_id == zone.id, Recordset.type == "SOA")
        ).one()
        assert f" {final.serial} " in soa.records[0].data
        added = session.scalars(
            select(JournalEntry).where(JournalEntry.zone_id == zone.id, JournalEntry.op == 1)
        ).all()
    # every serial journals exactly one new SOA and the one record it added
    per_serial: dict[int, list[str]] = {}
    for entry in added:
        per_serial.setdefault(entry.serial, []).append(entry.type)
    assert {s: sorted(t) for s, t in per_serial.items() if s in serials} == {
        s: ["A", "SOA"] for s in serials
    }


def test_parallel_creates_of_one_zone_name_leave_exactly_one(services: ApiServices) -> None:
    def create(project: str) -> str:
        try:
            return services.zones.create_zone(ctx(project), zone_request("race.example.")).id
        except DuplicateZoneError:
            return "duplicate"

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(create, ["p1"] * WRITERS))
    assert outcomes.count("duplicate") == WRITERS - 1
    listed = services.zones.list_zones(ctx("p1"), ZoneFilter(), PageRequest())
    assert [z.name for z in listed.items] == ["race.example."]
