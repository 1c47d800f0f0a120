"""Cluster roles, one per process: `zonefleet api`, `worker`, `mdns` and `producer`.

Any number of each may run against one database and one bus. Each stops cleanly
on SIGTERM or SIGINT: the API finishes its requests, the worker finishes (or,
after a grace period, cancels) its rounds and releases its leases, mdns closes
its sockets, the producer gives up its tasks. Every role heartbeats meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from fastapi import FastAPI

from zonefleet.api.app import create_app
from zonefleet.bus.amqp import AmqpBus
from zonefleet.bus.local import LocalBus, ZoneHints
from zonefleet.cli import assembly
from zonefleet.mdns.server import MdnsServer
from zonefleet.mdns.store import ZoneStore
from zonefleet.metrics import register_state, serve_metrics
from zonefleet.producer.heartbeat import Health, Heartbeat, always_up
from zonefleet.producer.ownership import Ownership
from zonefleet.producer.runner import Producer
from zonefleet.producer.tasks import (
    DriftAudit,
    JournalPrune,
    ServiceStatusCheck,
    TimelinePrune,
    ZonePurge,
)
from zonefleet.service.secondaries import SecondaryService
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.storage.models import ServiceState
from zonefleet.worker.reconciler import Reconciler
from zonefleet.worker.secondary import SecondaryRefresher

LOG = logging.getLogger(__name__)
Bus = LocalBus | AmqpBus


class RoleError(Exception):
    """A role cannot start with these settings; the message says which one and why."""


def size_threads(settings: Settings) -> None:
    """Give this loop's `asyncio.to_thread` a pool that fits the worker's concurrency: the
    default (CPUs + 4) would queue rounds' blocking calls, and the heartbeats behind them,
    so a busy worker would look dead to the producer."""
    threads = settings.worker.concurrency * 2 + 8
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="zonefleet")
    asyncio.get_running_loop().set_default_executor(executor)


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
    # The API logs each request itself, inside its request id's context (api/metrics.py).
    config = uvicorn.Config(
        app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False
    )
    server = ApiServer(config)
    serving = asyncio.create_task(server.serve())
    signalled = asyncio.create_task(until_signalled())
    await asyncio.wait({serving, signalled}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    signalled.cancel()
    await serving


def bus_health(bus: Bus) -> Health:
    """UP while the bus reaches a broker (always, in process); WARNING while it does not."""

    def health() -> tuple[ServiceState, dict[str, Any]]:
        state = ServiceState.UP if bus.connected else ServiceState.WARNING
        return state, {"bus": "connected" if bus.connected else "no broker"}

    return health


@contextlib.asynccontextmanager
async def beating(
    db: Database,
    settings: Settings,
    service_name: str,
    health: Health = always_up,
    capabilities: dict[str, Any] | None = None,
) -> AsyncIterator[Heartbeat]:
    """Heartbeats for one role while the block runs; DOWN when it ends."""
    heart = Heartbeat(
        db, settings.heartbeat, service_name, health=health, capabilities=capabilities
    )
    running = asyncio.create_task(heart.run())
    try:
        yield heart
    finally:
        heart.stop()
        await running


def producer(settings: Settings, db: Database, hints: ZoneHints) -> Producer:
    tasks = (
        DriftAudit(db, settings, hints),
        ZonePurge(db, settings),
        ServiceStatusCheck(db, settings),
        JournalPrune(db, settings),
        TimelinePrune(db, settings),
    )
    return Producer(tasks, Ownership(settings.coordination), settings.producer.tick)


async def run_api(settings: Settings, db: Database) -> None:
    """The v2 API; hints go to the bus after each commit."""
    bus, notifications = assembly.bus(settings), assembly.notifier(settings)
    app = create_app(assembly.api_services(settings, db, bus, notifications))
    register_state(db)
    try:
        async with beating(db, settings, "api", bus_health(bus)):
            await serve_api(app, settings)
    finally:
        await asyncio.to_thread(bus.close)
        await asyncio.to_thread(notifications.close)
        LOG.info("api stopped")


async def run_worker(settings: Settings, db: Database) -> None:
    """The reconciler, woken by the bus and by its own scan."""
    if settings.mdns.bind.port == 0:
        raise RoleError(
            "mdns.bind: the worker tells targets to transfer from mdns at this address, "
            "so it must name the port mdns really listens on, not 0"
        )
    size_threads(settings)
    serve_metrics(settings.metrics)
    reconciler = Reconciler(db, settings.worker, settings.mdns.bind)
    bus = assembly.bus(settings)
    secondaries = refresher(settings, db, bus)
    running = asyncio.create_task(reconciler.run())
    refreshing = asyncio.create_task(secondaries.run())
    await asyncio.sleep(0)  # the reconciler takes this loop before hints arrive
    if settings.bus.in_process:
        LOG.warning("worker: bus.url is memory://, so only the scan (every %s s) wakes it",
                    settings.worker.scan_interval)  # fmt: skip
    bus.subscribe(woken(reconciler, secondaries))

    def health() -> tuple[ServiceState, dict[str, Any]]:
        state, stats = bus_health(bus)()
        return state, stats | reconciler.stats() | {"transfers_in": secondaries.transfers}

    LOG.info("worker %s started", reconciler.ledger.owner)
    try:
        async with beating(db, settings, "worker", health):
            await until_signalled()
    finally:
        await asyncio.to_thread(bus.close)
        reconciler.stop()
        secondaries.stop()
        await running
        await refreshing


async def run_mdns(settings: Settings, db: Database) -> None:
    """The mini-DNS server: answers queries and transfers from storage."""
    mdns = MdnsServer(ZoneStore(db), settings.mdns)
    await mdns.start()
    serve_metrics(settings.metrics)
    try:
        async with beating(db, settings, "mdns", capabilities=mdns_capabilities(mdns)):
            await until_signalled()
    finally:
        await mdns.stop()
        LOG.info("mdns stopped")


def refresher(settings: Settings, db: Database, hints: ZoneHints) -> SecondaryRefresher:
    """The worker's refresher of SECONDARY zones; what it transfers wakes the reconciler."""
    return SecondaryRefresher(SecondaryService(db), settings.worker, hints)


def woken(reconciler: Reconciler, refresher: SecondaryRefresher) -> Callable[[str], None]:
    """One subscriber for a worker's hints (a broker queue has one consumer per worker):
    the reconciler takes the zone, the refresher looks for zones due a transfer."""

    def hinted(zone_id: str) -> None:
        reconciler.zone_changed(zone_id)
        refresher.poke()

    return hinted


def mdns_capabilities(mdns: MdnsServer) -> dict[str, Any]:
    """What an mdns process says of itself: where it really listens (doctor compares the
    pools' masters with it)."""
    return {"listen": str(mdns.address)}


async def run_producer(settings: Settings, db: Database) -> None:
    """The periodic tasks, each owned by one producer of the cluster at a time."""
    if not settings.coordination.url:
        LOG.warning("producer: no coordination.url, so this process owns every task: "
                    "run no other producer against this database")  # fmt: skip
    bus = assembly.bus(settings)
    tasks = producer(settings, db, bus)
    serve_metrics(settings.metrics)
    running = asyncio.create_task(tasks.run())

    def health() -> tuple[ServiceState, dict[str, Any]]:
        state, stats = bus_health(bus)()
        return state, stats | {"owns": sorted(tasks.ownership.owned), "runs": dict(tasks.runs)}

    LOG.info("producer %s started", tasks.ownership.member)
    try:
        async with beating(db, settings, "producer", health):
            await until_signalled()
    finally:
        tasks.stop()
        await running
        await asyncio.to_thread(bus.close)
        LOG.info("producer stopped")
