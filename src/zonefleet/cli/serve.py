"""`zonefleet serve`: the API, mdns, the worker and the producer in one process, on one loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from zonefleet.api.app import create_app
from zonefleet.cli import assembly, roles
from zonefleet.mdns.server import MdnsServer
from zonefleet.mdns.store import ZoneStore
from zonefleet.metrics import register_state
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.worker.reconciler import Reconciler

LOG = logging.getLogger(__name__)
GIL_SWITCH_SECONDS = 0.0005


async def serve_all(settings: Settings, db: Database) -> None:
    """Run every role until SIGTERM or SIGINT; then each stops as its own process would."""
    # mdns answers a nameserver's SOA query and transfer while the worker and the API
    # hold the GIL in other threads; a shorter switch interval than the default 5 ms
    # keeps that wait, which every change pays, to a fraction of a millisecond.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    roles.size_threads(settings)
    bus, notifications = assembly.bus(settings), assembly.notifier(settings)
    app = create_app(assembly.api_services(settings, db, bus, notifications))
    register_state(db)  # the other roles' counters share this process's /metrics
    mdns = MdnsServer(ZoneStore(db), settings.mdns)
    await mdns.start()
    reconciler = Reconciler(db, settings.worker, mdns.address)
    refresher = roles.refresher(settings, db, bus)
    bus.subscribe(roles.woken(reconciler, refresher))
    worker = asyncio.create_task(reconciler.run())
    refreshing = asyncio.create_task(refresher.run())
    tasks = roles.producer(settings, db, bus)
    producer = asyncio.create_task(tasks.run())
    try:
        async with contextlib.AsyncExitStack() as hearts:
            for role in ("api", "mdns", "worker", "producer"):
                told = roles.mdns_capabilities(mdns) if role == "mdns" else None
                await hearts.enter_async_context(
                    roles.beating(db, settings, role, capabilities=told)
                )
            await roles.serve_api(app, settings)
    finally:
        tasks.stop()
        await producer
        await asyncio.to_thread(bus.close)
        await asyncio.to_thread(notifications.close)
        reconciler.stop()
        refresher.stop()
        await worker
        await refreshing
        await mdns.stop()
        LOG.info("zonefleet stopped")
