"""The metrics' counts of zone state on every engine: by status, lagging per nameserver
(live zones only), failing per target (named by description)."""

from __future__ import annotations

from sqlalchemy import update

from tests.service.factories import make_zone
from zonefleet.api.deps import ApiServices
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    PoolTarget,
    Status,
    Zone,
    ZoneNameserver,
    ZoneTarget,
)
from zonefleet.storage.state import state_counts


def test_state_counts_group_zones_nameservers_and_targets(
    database: Database, services: ApiServices
) -> None:
    lagging, serving, gone = (make_zone(services, f"{n}.state.example.") for n in "abc")
    with database.write() as session:
        session.add(PoolTarget(id="t-state", pool_id=DEFAULT_POOL_ID, type="bind9",
                               description="ns1 rndc", options={}, masters=[]))  # fmt: skip
        session.flush()
        session.execute(update(Zone).where(Zone.id == serving.id).values(status=Status.ACTIVE))
        session.execute(update(Zone).where(Zone.id == gone.id).values(deleted=gone.id))
        for zone, state in ((lagging, "LAGGING"), (serving, "SERVING"), (gone, "LAGGING")):
            session.add(ZoneNameserver(zone_id=zone.id, nameserver="192.0.2.1:53", state=state))
        session.add(ZoneTarget(zone_id=lagging.id, target_id="t-state", last_error="refused"))
        session.add(ZoneTarget(zone_id=serving.id, target_id="t-state"))
    with database.read() as session:
        counts = state_counts(session)
    assert counts.zones == {"PENDING": 1, "ACTIVE": 1}
    assert counts.lagging == {"192.0.2.1:53": 1}
    assert counts.failing == {"ns1 rndc": 1}
