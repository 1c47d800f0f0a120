"""A running mdns and reconciler in one event-loop thread, with services that wake it.

The fixtures `stack_factory` and `stack` (tests/conftest.py) start one per test.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from zonefleet.api.deps import ApiServices
from zonefleet.bus.local import LocalBus
from zonefleet.cli import assembly, roles
from zonefleet.mdns.server import MdnsServer
from zonefleet.mdns.store import ZoneStore
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    PoolAlsoNotify,
    PoolNameserver,
    PoolTarget,
    Zone,
    ZoneEvent,
    ZoneNameserver,
    ZoneTarget,
)
from zonefleet.worker.reconciler import Reconciler
from zonefleet.worker.secondary import SecondaryRefresher

FAST = {
    "ZONEFLEET_WORKER__SCAN_INTERVAL": "0.2",
    "ZONEFLEET_WORKER__POLL_TIMEOUT": "0.5",
    "ZONEFLEET_WORKER__QUERY_TIMEOUT": "0.2",
    "ZONEFLEET_WORKER__RETRY_BUDGET": "2",
    "ZONEFLEET_WORKER__RETRY_BACKOFF_MAX": "0.3",
    "ZONEFLEET_MDNS__BIND": "127.0.0.1:0",
}


@dataclass
class Stack:
    """mdns + reconciler running; `services` publish hints to the reconciler."""

    settings: Settings
    database: Database
    services: ApiServices
    mdns: MdnsServer
    reconciler: Reconciler
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    refresher: SecondaryRefresher

    def stop(self) -> None:
        """Stop the worker and mdns (again: nothing to do)."""
        if not self.thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.reconciler.stop)
        self.loop.call_soon_threadsafe(self.refresher.stop)
        asyncio.run_coroutine_threadsafe(self._drain(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _drain(self) -> None:
        while self.reconciler._loop is not None or self.refresher._loop is not None:
            await asyncio.sleep(0.01)
        await self.mdns.stop()

    def zone(self, zone_id: str) -> Zone:
        with self.database.read() as session:
            zone = session.get(Zone, zone_id)
            assert zone is not None
            return zone

    def wait_for(self, zone_id: str, status: str, timeout: float = 10) -> Zone:
        deadline = time.monotonic() + timeout
        while True:
            zone = self.zone(zone_id)
            if zone.status == status:
                return zone
            assert time.monotonic() < deadline, f"zone is {zone.status}, not {status}"
            time.sleep(0.01)

    def events(self, zone_id: str) -> list[tuple[str, str | None, str]]:
        with self.database.read() as session:
            rows = session.scalars(
                select(ZoneEvent).where(ZoneEvent.zone_id == zone_id).order_by(ZoneEvent.id)
            )
            return [(row.role, row.subject, row.event) for row in rows]


def start_stack(database: Database, settings: Settings) -> Stack:
    bus = LocalBus()
    services = assembly.api_services(settings, database, hints=bus)
    loop = asyncio.new_event_loop()
    holder: dict[str, Any] = {}
    started = threading.Event()

    async def boot() -> None:
        mdns = MdnsServer(ZoneStore(database), settings.mdns)
        await mdns.start()
        reconciler = Reconciler(database, settings.worker, mdns.address, owner="test-worker")
        refresher = roles.refresher(settings, database, bus)
        bus.subscribe(roles.woken(reconciler, refresher))
        holder.update(mdns=mdns, reconciler=reconciler, refresher=refresher,
                      task=loop.create_task(reconciler.run()),
                      refreshing=loop.create_task(refresher.run()))  # fmt: skip
        while reconciler._loop is None:
            await asyncio.sleep(0)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(boot())
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="worker-test", daemon=True)
    thread.start()
    assert started.wait(10)
    return Stack(settings, database, services, holder["mdns"], holder["reconciler"], loop, thread,
                 holder["refresher"])  # fmt: skip


def clear_pool_state(database: Database) -> None:
    with database.write() as session:
        for model in (ZoneEvent, ZoneNameserver, ZoneTarget, PoolAlsoNotify, PoolNameserver):
            session.execute(delete(model))
        session.execute(delete(PoolTarget).where(PoolTarget.pool_id == DEFAULT_POOL_ID))
