"""Reads of what the worker recorded for a zone: per-nameserver and per-target state."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zonefleet.storage.models import LIVE, PoolTarget, Zone, ZoneNameserver, ZoneTarget


class PropagationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def live_zone_named(self, name: str) -> Zone | None:
        statement = select(Zone).where(Zone.name == name, Zone.deleted == LIVE)
        return self.session.scalars(statement).first()

    def nameservers(self, zone_id: str) -> Sequence[ZoneNameserver]:
        statement = (
            select(ZoneNameserver)
            .where(ZoneNameserver.zone_id == zone_id)
            .order_by(ZoneNameserver.nameserver)
        )
        return self.session.scalars(statement).all()

    def targets(self, zone_id: str) -> list[tuple[ZoneTarget, PoolTarget]]:
        statement = (
            select(ZoneTarget, PoolTarget)
            .join(PoolTarget, PoolTarget.id == ZoneTarget.target_id)
            .where(ZoneTarget.zone_id == zone_id)
            .order_by(PoolTarget.created_at)
        )
        return [(row, target) for row, target in self.session.execute(statement)]
