"""The in-process bus: hints delivered to subscribers in the same process.

A hint only wakes a worker sooner; the database stays the truth, so a
subscriber that raises or is slow loses nothing that the periodic scan
would not find.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

LOG = logging.getLogger(__name__)

Subscriber = Callable[[str], None]


class ZoneHints(Protocol):
    """What the service layer publishes after a commit."""

    def zone_changed(self, zone_id: str) -> None: ...


class LocalBus:
    """Calls every subscriber with the zone id; subscribers must not block."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(subscriber)

    def zone_changed(self, zone_id: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(zone_id)
            except RuntimeError:  # a subscriber whose loop has closed, at shutdown
                LOG.debug("bus: subscriber gone for zone %s", zone_id)

    @property
    def connected(self) -> bool:
        return True

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()


class NoHints:
    """For tools that write without any worker to wake (the periodic scan still runs)."""

    def zone_changed(self, zone_id: str) -> None:
        return None
