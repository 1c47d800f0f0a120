"""Heartbeats: every role of every process writes its `service_statuses` row on a schedule.

A row says UP while the role and what it depends on answer, WARNING while it
runs without them (its bus has no broker, say), and DOWN once it stops; a
process that dies without a word is marked DOWN by the producer when its row
goes stale.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from zonefleet.errors import ServiceUnavailableError
from zonefleet.settings import HeartbeatSettings
from zonefleet.storage.database import Database
from zonefleet.storage.models import ServiceState, new_id, utcnow
from zonefleet.storage.service_statuses import ServiceStatusRepository

LOG = logging.getLogger(__name__)

# What a role reports on each beat: its state and its counters.
Health = Callable[[], tuple[ServiceState, dict[str, Any]]]


def always_up() -> tuple[ServiceState, dict[str, Any]]:
    return ServiceState.UP, {}


class Heartbeat:
    """Writes one role's row every `settings.interval` seconds until `stop()`, then DOWN."""

    def __init__(
        self,
        database: Database,
        settings: HeartbeatSettings,
        service_name: str,
        *,
        health: Health = always_up,
        capabilities: dict[str, Any] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.service_name = service_name
        self.id = new_id()
        self.hostname = socket.gethostname()
        self._health = health
        self._capabilities = capabilities or {}
        self._started = utcnow()
        self._stopping = asyncio.Event()
        self._failing = False

    async def run(self) -> None:
        """Beat every `interval`, and at once when the role's state changes (looked at each
        second), so a lost broker shows as WARNING in a second, not an interval."""
        last: ServiceState | None = None
        next_beat = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            state, stats = self._health()
            if state != last or loop.time() >= next_beat:
                await asyncio.to_thread(self.beat, state, stats)
                last, next_beat = state, loop.time() + self.settings.interval
            try:
                await asyncio.wait_for(self._stopping.wait(), min(self.settings.interval, 1.0))
            except TimeoutError:
                continue
        await asyncio.to_thread(self.beat, ServiceState.DOWN, self._health()[1])

    def stop(self) -> None:
        self._stopping.set()

    def beat(self, state: ServiceState, stats: dict[str, Any], now: datetime | None = None) -> None:
        now = now or utcnow()
        stats = {"pid": os.getpid(), "started_at": self._started.isoformat(), **stats}
        try:
            with self.database.write() as session:
                ServiceStatusRepository(session).beat(
                    self.id, service_name=self.service_name, hostname=self.hostname,
                    status=state, stats=stats, capabilities=self._capabilities, now=now,
                )  # fmt: skip
        except (ServiceUnavailableError, SQLAlchemyError) as exc:
            if not self._failing:
                LOG.warning("heartbeat of %s not written (retrying): %s", self.service_name, exc)
            self._failing = True
            return
        if self._failing:
            LOG.info("heartbeat of %s written again", self.service_name)
        self._failing = False
