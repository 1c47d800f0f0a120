"""The producer's queries: ACTIVE zones to audit, targets made due again, deleted zones purged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from zonefleet.storage.models import LIVE, Status, Zone, ZoneEvent, ZoneTarget


@dataclass(frozen=True)
class AuditedZone:
    id: str
    name: str
    serial: int
    pool_id: str


class MaintenanceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active_zones(self, after_id: str, limit: int) -> list[AuditedZone]:
        """Live ACTIVE zones by id after `after_id`: one page of the drift audit."""
        statement = (
            select(Zone.id, Zone.name, Zone.serial, Zone.pool_id)
            .where(Zone.status == Status.ACTIVE, Zone.deleted == LIVE, Zone.id > after_id)
            .order_by(Zone.id)
            .limit(limit)
        )
        return [AuditedZone(*row) for row in self.session.execute(statement)]

    def push_again(self, zone: AuditedZone, reason: str, now: datetime) -> bool:
        """Make the zone's targets due for an ensure and a NOTIFY, if it is still ACTIVE at its
        audited serial (a zone changed since it was asked about is the worker's already)."""
        connection = self.session.connection()
        still = select(Zone.id).where(
            Zone.id == zone.id, Zone.status == Status.ACTIVE, Zone.serial == zone.serial
        )
        if connection.execute(still).first() is None:
            return False
        connection.execute(
            update(ZoneTarget)
            .where(ZoneTarget.zone_id == zone.id)
            .values(present=False, next_attempt_at=now)
        )
        connection.execute(
            insert(ZoneEvent).values(zone_id=zone.id, at=now, role="producer",
                                     event="drift found", detail=reason, serial=zone.serial)
        )  # fmt: skip
        return True

    def purge_deleted(self, before: datetime, limit: int) -> int:
        """Remove zones deleted before `before` (their recordsets and state go with them by
        cascade; the timeline stays)."""
        ids = list(
            self.session.scalars(
                select(Zone.id)
                .where(Zone.status == Status.DELETED, Zone.deleted_at < before)
                .order_by(Zone.deleted_at)
                .limit(limit)
            )
        )
        if ids:
            self.session.connection().execute(delete(Zone).where(Zone.id.in_(ids)))
        return len(ids)
