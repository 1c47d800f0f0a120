"""The SECONDARY zones' refresh schedule: which are due a look at their masters, and the
compare-and-set by which one worker takes a zone's refresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zonefleet.storage.models import LIVE, Action, Zone, ZoneType


@dataclass(frozen=True)
class DueSecondary:
    id: str
    name: str
    serial: int
    masters: tuple[str, ...]
    transferred: bool
    next_refresh_at: datetime
    retry: int


class SecondaryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def due(self, now: datetime, limit: int) -> list[DueSecondary]:
        statement = (
            select(Zone.id, Zone.name, Zone.serial, Zone.masters, Zone.transferred_at,
                   Zone.next_refresh_at, Zone.retry)
            .where(
                Zone.type == ZoneType.SECONDARY, Zone.deleted == LIVE,
                Zone.action != Action.DELETE, Zone.next_refresh_at <= now,
            )
            .order_by(Zone.next_refresh_at)
            .limit(limit)
        )  # fmt: skip
        return [
            DueSecondary(row.id, row.name, row.serial, tuple(row.masters),
                         row.transferred_at is not None, row.next_refresh_at, row.retry)
            for row in self.session.execute(statement)
        ]  # fmt: skip

    def take(self, zone: DueSecondary, until: datetime) -> bool:
        """Move the zone's next refresh to `until` if no other worker moved it first: the
        winner refreshes it now (and `until` is its retry when that fails)."""
        statement = (
            update(Zone)
            .where(Zone.id == zone.id, Zone.next_refresh_at == zone.next_refresh_at)
            .values(next_refresh_at=until)
        )
        return self.session.connection().execute(statement).rowcount == 1

    def notified(self, name: str) -> tuple[str, list[str], int] | None:
        """The live SECONDARY zone named `name` (id, masters, serial), locked for the refresh
        its NOTIFY makes due; None when there is none."""
        statement = (
            select(Zone.id, Zone.masters, Zone.serial)
            .where(
                Zone.name == name, Zone.type == ZoneType.SECONDARY, Zone.deleted == LIVE,
                Zone.action != Action.DELETE,
            )
            .with_for_update()
        )  # fmt: skip
        row = self.session.execute(statement).first()
        return None if row is None else (row.id, list(row.masters), row.serial)

    def due_now(self, zone_id: str, now: datetime) -> None:
        self.session.execute(update(Zone).where(Zone.id == zone_id).values(next_refresh_at=now))
