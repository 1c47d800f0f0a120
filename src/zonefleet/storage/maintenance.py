"""The producer's queries: ACTIVE zones to audit, targets made due again, deleted zones purged,
the zone journal pruned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, distinct, func, select, update
from sqlalchemy.orm import Session, aliased

from zonefleet.storage.models import LIVE, JournalEntry, Status, Zone, ZoneEvent, ZoneTarget
from zonefleet.storage.repositories import EventRepository


@dataclass(frozen=True)
class AuditedZone:
    id: str
    name: str
    serial: int
    pool_id: str


@dataclass(frozen=True)
class JournalPruned:
    """What a journal prune deleted: rows, of how many zones."""

    zones: int
    rows: int


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
        EventRepository(self.session).add(
            ZoneEvent(zone_id=zone.id, at=now, role="producer", event="drift found",
                      detail=reason, serial=zone.serial)
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

    def journals_to_prune(
        self, keep_serials: int, before: datetime, after_id: str, limit: int
    ) -> list[str]:
        """Zones by id after `after_id`, at most `limit`, whose journal holds more than
        `keep_serials` serials, or a serial journaled before `before` that is not its newest."""
        journal, newest = JournalEntry, aliased(JournalEntry)
        too_many = (
            select(journal.zone_id)
            .where(journal.zone_id > after_id)
            .group_by(journal.zone_id)
            .having(func.count(distinct(journal.serial)) > keep_serials)
            .order_by(journal.zone_id)
            .limit(limit)
        )
        newest_serial = select(func.max(newest.serial)).where(newest.zone_id == journal.zone_id)
        too_old = (
            select(journal.zone_id)
            .distinct()
            .where(
                journal.created_at < before,
                journal.zone_id > after_id,
                journal.serial < newest_serial.scalar_subquery(),
            )
            .order_by(journal.zone_id)
            .limit(limit)
        )
        found = set(self.session.scalars(too_many)) | set(self.session.scalars(too_old))
        return sorted(found)[:limit]

    def prune_journal(
        self, zone_ids: Iterable[str], keep_serials: int, before: datetime
    ) -> JournalPruned:
        """Prune each zone's journal to its newest `keep_serials` serials, less those journaled
        before `before`, but never its newest serial. Only a zone's oldest serials go, so the
        ones left stay contiguous, as IXFR needs them.

        Serials are compared as plain integers, not RFC 1982 ones: they are Unix times (or
        one past the last) and only grow.
        """
        connection = self.session.connection()
        deleted = []
        for zone_id in zone_ids:
            floor = self._journal_floor(zone_id, keep_serials, before)
            if floor is not None:
                older = delete(JournalEntry).where(
                    JournalEntry.zone_id == zone_id, JournalEntry.serial < floor
                )
                deleted.append(connection.execute(older).rowcount)
        return JournalPruned(sum(1 for rows in deleted if rows), sum(deleted))

    def _journal_floor(self, zone_id: str, keep_serials: int, before: datetime) -> int | None:
        """The zone's oldest serial to keep: the newest of its `keep_serials`-th newest serial
        and its oldest serial journaled since `before` (its newest when there is none)."""
        journal = JournalEntry
        kept_by_count = self.session.scalar(
            select(journal.serial)
            .distinct()
            .where(journal.zone_id == zone_id)
            .order_by(journal.serial.desc())
            .offset(keep_serials - 1)
            .limit(1)
        )
        young = case((journal.created_at >= before, journal.serial))
        kept_by_age: int | None = self.session.scalar(
            select(func.coalesce(func.min(young), func.max(journal.serial))).where(
                journal.zone_id == zone_id
            )
        )
        if kept_by_age is None or kept_by_count is None:
            return kept_by_age
        return max(kept_by_age, kept_by_count)
