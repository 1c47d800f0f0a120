"""Cluster roles, one per process: `zonefleet api`, `zonefleet worker`, `zonefleet mdns`.

Any number of each may run against one database and one bus. Each stops cleanly
on SIGTERM or SIGINT: the API finishes its requests, the worker finishes (or,
after a grace period, cancels) its rounds and releases its leases, mdns closes
its sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from zonefleet.api.app import create_app
from zonefleet.cli import assembly
from zonefleet.mdns.server import MdnsServer
from zonefleet.mdns.store import ZoneStore
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.worker.reconciler import Reconciler

LOG = logging.getLogger(__name__)


class RoleError(Exception):
    """A role cannot start with these settings; the message says which one and why."""


async def until_signalled() -> None:
    """Return on the first SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


class ApiServer(uvicorn.Server):
    """uvicorn stopped by the role's own signal handlers: uvicorn's would raise the signal
    again once it has stopped, which ends the process before the role's cleanup runs."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_api(app: FastAPI, settings: Settings) -> None:
    """Serve the API until SIGTERM or SIGINT, then finish the requests in flight."""
    host, port = settings.api.bind
    config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower())
    server = ApiServer(config)
    serving = asyncio.create_task(server.serve())
    signalled = asyncio.create_task(until_signalled())
    await asyncio.wait({serving, signalled}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    signalled.cancel()
    await serving


async def run_api(settings: Settings, db: Database) -> None:
    """The v2 API; hints go to the bus after each commit."""
    bus = assembly.bus(settings)
    app = create_app(assembly.api_services(settings, db, hints=bus))
    try:
        await serve_api(app, settings)
    finally:
        await asyncio.to_thread(bus.close)
        LOG.info("api stopped")


async def run_worker(settings: Settings, db: Database) -> None:
    """The reconciler, woken by the bus and by its own scan."""
    if settings.mdns.bind.port == 0:
        raise RoleError(
            "mdns.bind: the worker tells targets to transfer from mdns at this address, "
            "so it must name the port mdns really listens on, not 0"
        )
    reconciler = Reconciler(db, settings.worker, settings.mdns.bind)
    bus = assembly.bus(settings)
    running = asyncio.create_task(reconciler.run())
    await asyncio.sleep(0)  # the reconciler takes this loop before hints arrive
    if settings.bus.in_process:
        LOG.warning("worker: bus.url is memory://, so only the scan (every %s s) wakes it",
                    settings.worker.scan_interval)  # fmt: skip
    bus.subscribe(reconciler.zone_changed)
    LOG.info("worker %s started", reconciler.ledger.owner)
    try:
        await until_signalled()
    finally:
        await asyncio.to_thread(bus.close)
        reconciler.stop()
        await running


async def run_mdns(settings: Settings, db: Database) -> None:
    """The mini-DNS server: answers queries and transfers from storage."""
    mdns = MdnsServer(ZoneStore(db), settings.mdns)
    await mdns.start()
    try:
        await until_signalled()
    finally:
        await mdns.stop()
        LOG.info("mdns stopped")
