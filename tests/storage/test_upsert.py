"""Insert-or-update and insert-unless-present on every engine: the second writer of a row
neither fails nor duplicates it."""

from __future__ import annotations

from sqlalchemy import select

from tests.service.factories import make_zone
from zonefleet.api.deps import ApiServices
from zonefleet.storage.database import Database
from zonefleet.storage.models import DEFAULT_POOL_ID, Base, PoolTarget, ZoneNameserver, utcnow
from zonefleet.storage.upsert import insert_missing, upsert

ZONE_NAMESERVERS = Base.metadata.tables["zone_nameservers"]
ZONE_TARGETS = Base.metadata.tables["zone_targets"]


def test_upsert_makes_the_row_then_updates_it(database: Database, services: ApiServices) -> None:
    zone = make_zone(services, "upsert.example.")
    key = {"zone_id": zone.id, "nameserver": "192.0.2.1:53"}
    for serial in (1, 2):
        values = key | {"state": "SERVING", "serial": serial, "last_error": None,
                        "checked_at": utcnow(), "since": utcnow()}  # fmt: skip
        with database.write() as session:
            statement = upsert(database.dialect, ZONE_NAMESERVERS, tuple(key), values)
            session.connection().execute(statement)
    with database.read() as session:
        rows = session.scalars(select(ZoneNameserver).where(ZoneNameserver.zone_id == zone.id))
        assert [(row.nameserver, row.serial) for row in rows] == [("192.0.2.1:53", 2)]


def test_insert_missing_leaves_an_existing_row_alone(
    database: Database, services: ApiServices
) -> None:
    with database.write() as session:
        session.add(PoolTarget(id="t1", pool_id=DEFAULT_POOL_ID, type="bind9", options={},
                               masters=[]))  # fmt: skip
    zone = make_zone(services, "missing.example.")
    now = utcnow()
    row = {"zone_id": zone.id, "target_id": "t1", "present": False, "attempts": 0,
           "next_attempt_at": now, "since": now}  # fmt: skip
    with database.write() as session:
        session.connection().execute(insert_missing(database.dialect, ZONE_TARGETS, [row]))
    with database.write() as session:
        later = row | {"present": True, "attempts": 3}
        session.connection().execute(insert_missing(database.dialect, ZONE_TARGETS, [later]))
    with database.read() as session:
        rows = session.execute(select(ZONE_TARGETS).where(ZONE_TARGETS.c.zone_id == zone.id))
        assert [(r.target_id, r.present, r.attempts) for r in rows] == [("t1", False, 0)]
