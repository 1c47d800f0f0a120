"""What mdns adds to the zones' timelines: each transfer served (AXFR or IXFR, to whom,
how many records) and each one refused, written in batches off the answering path.

A step is evidence, not state: when the database is away the batch is dropped with a
warning, and the queue is bounded so a flood of transfers cannot grow it without limit.
Refusals are kept at most once a minute per (zone, client), so a client hammering the
ACL cannot fill the timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque

from sqlalchemy.exc import SQLAlchemyError

from zonefleet.errors import ServiceUnavailableError
from zonefleet.mdns.store import HostedZone
from zonefleet.storage.database import Database
from zonefleet.storage.models import ZoneEvent, utcnow
from zonefleet.storage.repositories import EventRepository

LOG = logging.getLogger(__name__)
MAX_QUEUED = 10_000
REFUSAL_EVERY_SECONDS = 60.0
FLUSH_SECONDS = 0.25


class TransferSteps:
    """Thread-safe: the handler adds from the event loop, `flush` runs in a thread."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._queue: deque[ZoneEvent] = deque(maxlen=MAX_QUEUED)
        self._lock = threading.Lock()
        self._refused_at: dict[tuple[str, str], float] = {}

    def served(self, zone: HostedZone, source: str, kind: str, detail: str) -> None:
        self._add(zone, source, "transfer served", f"{kind}: {detail}")

    def refused(self, zone: HostedZone, source: str, reason: str) -> None:
        now = time.monotonic()
        key = (zone.id, source)
        with self._lock:
            if now - self._refused_at.get(key, -REFUSAL_EVERY_SECONDS) < REFUSAL_EVERY_SECONDS:
                return
            if len(self._refused_at) > MAX_QUEUED:
                self._refused_at.clear()
            self._refused_at[key] = now
        self._add(zone, source, "transfer refused", reason)

    def _add(self, zone: HostedZone, source: str, event: str, detail: str) -> None:
        step = ZoneEvent(zone_id=zone.id, at=utcnow(), role="mdns", subject=source,
                         event=event, detail=detail, serial=zone.serial)  # fmt: skip
        with self._lock:
            self._queue.append(step)

    def flush(self) -> int:
        """Write what is queued in one transaction; the steps written (0 when it failed)."""
        with self._lock:
            batch = list(self._queue)
            self._queue.clear()
        if not batch:
            return 0
        try:
            with self.database.write() as session:
                EventRepository(session).add_all(batch)
        except (ServiceUnavailableError, SQLAlchemyError) as exc:
            LOG.warning("mdns: %d timeline steps not written: %s", len(batch), exc)
            return 0
        return len(batch)

    async def run(self, stopping: asyncio.Event) -> None:
        """Flush every FLUSH_SECONDS until `stopping`, then once more."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), FLUSH_SECONDS)
            await asyncio.to_thread(self.flush)
