"""Reads and the prune of the zones' timelines (`zone_events`); steps are added by
`EventRepository` in the transaction of the change they record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zonefleet.storage.models import LIVE, Zone, ZoneEvent

PRUNE_PAGE = 1000


class TimelineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def steps(
        self, zone_id: str, *, after: int | None, limit: int, newest_first: bool
    ) -> Sequence[ZoneEvent]:
        """Up to `limit` steps of the zone in the order asked, past the step `after`."""
        statement = select(ZoneEvent).where(ZoneEvent.zone_id == zone_id)
        if after is not None:
            past = ZoneEvent.id < after if newest_first else ZoneEvent.id > after
            statement = statement.where(past)
        order = ZoneEvent.id.desc() if newest_first else ZoneEvent.id.asc()
        return self.session.scalars(statement.order_by(order).limit(limit)).all()

    def zone_named(self, name: str) -> str | None:
        """The zone id an operator means by a name: the live zone, else the last one deleted
        (its row may be purged already; then the timeline still holds its creation)."""
        live = select(Zone.id).where(Zone.name == name, Zone.deleted == LIVE)
        found = self.session.scalar(live)
        if found is not None:
            return found
        gone = select(Zone.id).where(Zone.name == name).order_by(Zone.created_at.desc())
        found = self.session.scalar(gone.limit(1))
        if found is not None:
            return found
        created = (
            select(ZoneEvent.zone_id)
            .where(ZoneEvent.event == "zone created", ZoneEvent.detail == name)
            .order_by(ZoneEvent.id.desc())
        )
        return self.session.scalar(created.limit(1))

    def prune(self, before: datetime) -> int:
        """Delete one page of steps older than `before`; how many went. Pages keep each
        transaction short (and MySQL takes no LIMIT inside IN)."""
        ids = list(
            self.session.scalars(
                select(ZoneEvent.id)
                .where(ZoneEvent.at < before)
                .order_by(ZoneEvent.id)
                .limit(PRUNE_PAGE)
            )
        )
        if ids:
            self.session.execute(delete(ZoneEvent).where(ZoneEvent.id.in_(ids)))
        return len(ids)
