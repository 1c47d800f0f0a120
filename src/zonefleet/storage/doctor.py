"""What `zonefleet doctor` reads: zones and their per-target and per-nameserver state, the
processes' heartbeats, and mdns's latest word on each client's transfers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zonefleet.storage.models import (
    LIVE,
    Pool,
    PoolTarget,
    ServiceStatus,
    TsigKey,
    Zone,
    ZoneEvent,
    ZoneNameserver,
    ZoneTarget,
)


class DoctorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def live_zone(self, name: str) -> Zone | None:
        statement = select(Zone).where(Zone.name == name, Zone.deleted == LIVE)
        return self.session.scalars(statement).first()

    def live_zones(self, pool_id: str | None) -> Sequence[Zone]:
        statement = select(Zone).where(Zone.deleted == LIVE)
        if pool_id is not None:
            statement = statement.where(Zone.pool_id == pool_id)
        return self.session.scalars(statement.order_by(Zone.name)).all()

    def pools(self) -> Sequence[Pool]:
        """Every pool with its targets, nameservers and ns_records loaded."""
        return self.session.scalars(select(Pool).order_by(Pool.name)).unique().all()

    def tsig_keys(self) -> dict[str, TsigKey]:
        return {key.name: key for key in self.session.scalars(select(TsigKey))}

    def oldest_unserved_write(self, zone_id: str) -> datetime | None:
        """When the oldest API write not yet served everywhere was made: the first write
        after the zone's latest "status ACTIVE" step (None when there is none)."""
        active = (
            select(func.max(ZoneEvent.id))
            .where(ZoneEvent.zone_id == zone_id, ZoneEvent.event == "status ACTIVE")
            .scalar_subquery()
        )
        statement = select(func.min(ZoneEvent.at)).where(
            ZoneEvent.zone_id == zone_id,
            ZoneEvent.role == "api",
            ZoneEvent.id > func.coalesce(active, 0),
        )
        return self.session.scalar(statement)

    def targets(self, zone_id: str) -> list[tuple[ZoneTarget, PoolTarget]]:
        statement = (
            select(ZoneTarget, PoolTarget)
            .join(PoolTarget, PoolTarget.id == ZoneTarget.target_id)
            .where(ZoneTarget.zone_id == zone_id)
        )
        return [(row, target) for row, target in self.session.execute(statement)]

    def nameserver_rows(self, zone_ids: Sequence[str]) -> dict[tuple[str, str], ZoneNameserver]:
        statement = select(ZoneNameserver).where(ZoneNameserver.zone_id.in_(list(zone_ids)))
        return {(row.zone_id, row.nameserver): row for row in self.session.scalars(statement)}

    def services(self, names: Sequence[str]) -> Sequence[ServiceStatus]:
        statement = select(ServiceStatus).where(ServiceStatus.service_name.in_(list(names)))
        return self.session.scalars(statement.order_by(ServiceStatus.heartbeated_at.desc())).all()

    def transfer_steps(self, zone_ids: Sequence[str], since: datetime) -> Sequence[ZoneEvent]:
        """mdns's transfer steps (served, refused) of the zones since `since`, oldest first."""
        statement = select(ZoneEvent).where(
            ZoneEvent.zone_id.in_(list(zone_ids)),
            ZoneEvent.role == "mdns",
            ZoneEvent.at >= since,
        )
        return self.session.scalars(statement.order_by(ZoneEvent.id)).all()
