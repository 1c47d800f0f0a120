"""The producer's periodic tasks, each run by one producer of the cluster at a time.

- `DriftAudit`: asks every nameserver of every pool with targets for each ACTIVE
  zone's SOA serial; a zone that one of them serves late or not at all has its
  targets pushed again (ensure + NOTIFY) and its worker woken.
- `ZonePurge`: removes deleted zones once their grace period has passed.
- `JournalPrune`: drops the zone journal's serials past its retention (by count
  and by age; a zone's newest serial stays), which mdns then answers by AXFR.
- `TimelinePrune`: drops the steps of the zones' timelines older than their
  retention, in short transactions of one page each.
- `ServiceStatusCheck`: shows DOWN the processes that stopped heartbeating, and
  forgets them after the retention period.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

import dns.name
from sqlalchemy.exc import SQLAlchemyError

from zonefleet.bus.local import ZoneHints
from zonefleet.errors import ServiceUnavailableError
from zonefleet.logs import log_context
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.storage.maintenance import AuditedZone, JournalPruned, MaintenanceRepository
from zonefleet.storage.models import utcnow
from zonefleet.storage.repositories import PoolRepository
from zonefleet.storage.service_statuses import ServiceStatusRepository
from zonefleet.storage.timeline import PRUNE_PAGE, TimelineRepository
from zonefleet.worker.plan import nameservers
from zonefleet.worker.serials import Nameserver, served_serial

LOG = logging.getLogger(__name__)
AUDIT_PAGE = 500
JOURNAL_PAGE = 100
TRANSIENT = (ServiceUnavailableError, SQLAlchemyError)


class PeriodicTask(Protocol):
    name: str
    interval: float

    async def run(self) -> None: ...


class DriftAudit:
    name = "drift_audit"

    def __init__(self, database: Database, settings: Settings, hints: ZoneHints) -> None:
        self.database = database
        self.settings = settings
        self.hints = hints
        self.interval = settings.producer.audit_interval
        self._slots = asyncio.Semaphore(settings.producer.audit_concurrency)
        self.last_checked = 0
        self.last_pushed: list[str] = []

    async def run(self) -> None:
        checked, after = 0, ""
        pushed: list[str] = []
        pools = await asyncio.to_thread(self._audited_pools)
        # Pools served by mdns alone have nothing to drift: their zones are not even read.
        while pools and (page := await asyncio.to_thread(self._page, after)):
            after = page[-1].id
            audited = [zone for zone in page if zone.pool_id in pools]
            lagging = await asyncio.gather(*(self._lag(z, pools[z.pool_id]) for z in audited))
            checked += len(audited)
            drifted = {
                zone: reason for zone, reason in zip(audited, lagging, strict=True) if reason
            }
            if drifted:
                pushed += await asyncio.to_thread(self._push_again, drifted)
        for zone_id in pushed:
            self.hints.zone_changed(zone_id)
        self.last_checked, self.last_pushed = checked, pushed
        LOG.info(
            "producer: drift audit asked about %d zones; %d pushed again", checked, len(pushed)
        )

    def _page(self, after: str) -> list[AuditedZone]:
        with self.database.read() as session:
            return MaintenanceRepository(session).active_zones(after, AUDIT_PAGE)

    def _audited_pools(self) -> dict[str, tuple[Nameserver, ...]]:
        """The nameservers of each pool with live targets (a pool served by mdns alone has
        none to audit)."""
        audited: dict[str, tuple[Nameserver, ...]] = {}
        with self.database.read() as session:
            repository = PoolRepository(session)
            for pool_id in repository.ids():
                pool = repository.snapshot(pool_id)
                if pool is not None and any(not target.retired for target in pool.targets):
                    audited[pool_id] = nameservers(pool, self.settings.mdns.bind)
        return audited

    async def _lag(self, zone: AuditedZone, servers: tuple[Nameserver, ...]) -> str | None:
        """Why the zone needs another push, or None when every nameserver serves its serial."""
        name = dns.name.from_text(zone.name)
        reasons = []
        for server in servers:
            async with self._slots:
                served = await served_serial(name, server, self.settings.worker.query_timeout)
            if not served.satisfies(zone.serial, deleted=False):
                state = served.state(zone.serial, deleted=False).value
                reasons.append(f"{server} {state} (serves {served.serial}, desired {zone.serial})")
        return "; ".join(reasons) or None

    def _push_again(self, drifted: dict[AuditedZone, str]) -> list[str]:
        now = utcnow()
        with self.database.write() as session:
            repository = MaintenanceRepository(session)
            pushed = [z for z, reason in drifted.items() if repository.push_again(z, reason, now)]
        for zone in pushed:
            with log_context(zone_id=zone.id, zone=zone.name, serial=zone.serial):
                LOG.info("producer: drift audit pushes %s again: %s", zone.name, drifted[zone])
        return [zone.id for zone in pushed]


class ZonePurge:
    name = "zone_purge"

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings.producer
        self.interval = self.settings.purge_interval

    async def run(self) -> None:
        purged = await asyncio.to_thread(self.purge)
        if purged:
            LOG.info("producer: purged %d deleted zones", purged)

    def purge(self) -> int:
        before = utcnow() - timedelta(seconds=self.settings.purge_after)
        with self.database.write() as session:
            return MaintenanceRepository(session).purge_deleted(before, self.settings.purge_batch)


class JournalPrune:
    name = "journal_prune"

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings.journal
        self.interval = self.settings.prune_interval

    async def run(self) -> None:
        zones, rows = await asyncio.to_thread(self.prune)
        if zones:
            LOG.info("producer: pruned %d journal rows of %d zones", rows, zones)

    def prune(self) -> tuple[int, int]:
        """Zones pruned and journal rows deleted: at most `prune_batch` zones, found in pages
        by a read, each page pruned in a write transaction of its own."""
        before = utcnow() - timedelta(seconds=self.settings.max_age)
        zones = rows = 0
        after, left = "", self.settings.prune_batch
        while left and (zone_ids := self._page(before, after, min(left, JOURNAL_PAGE))):
            pruned = self._prune(zone_ids, before)
            zones, rows = zones + pruned.zones, rows + pruned.rows
            if len(zone_ids) < JOURNAL_PAGE:
                break
            after, left = zone_ids[-1], left - len(zone_ids)
        return zones, rows

    def _page(self, before: datetime, after: str, limit: int) -> list[str]:
        with self.database.read() as session:
            repository = MaintenanceRepository(session)
            return repository.journals_to_prune(self.settings.max_serials, before, after, limit)

    def _prune(self, zone_ids: list[str], before: datetime) -> JournalPruned:
        with self.database.write() as session:
            repository = MaintenanceRepository(session)
            return repository.prune_journal(zone_ids, self.settings.max_serials, before)


class TimelinePrune:
    name = "timeline_prune"

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings.timeline
        self.interval = self.settings.prune_interval

    async def run(self) -> None:
        pruned = await asyncio.to_thread(self.prune)
        if pruned:
            LOG.info("producer: pruned %d timeline steps", pruned)

    def prune(self) -> int:
        """Steps deleted: at most `prune_batch`, a page per write transaction."""
        before = utcnow() - timedelta(seconds=self.settings.retention)
        pruned = 0
        while pruned < self.settings.prune_batch:
            with self.database.write() as session:
                deleted = TimelineRepository(session).prune(before)
            pruned += deleted
            if deleted < PRUNE_PAGE:
                break
        return pruned


class ServiceStatusCheck:
    name = "service_status_check"

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings.heartbeat
        self.interval = self.settings.interval

    async def run(self) -> None:
        await asyncio.to_thread(self.check)

    def check(self) -> None:
        now = utcnow()
        with self.database.write() as session:
            repository = ServiceStatusRepository(session)
            silent = repository.mark_silent_down(
                now - timedelta(seconds=self.settings.down_after), now
            )
            repository.purge_down(now - timedelta(seconds=self.settings.retention))
        if silent:
            LOG.warning("producer: %d processes stopped heartbeating and show DOWN", silent)
