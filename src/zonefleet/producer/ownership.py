"""Which producer owns each periodic task: one tooz lock per task, held while its owner lives.

The lock expires `coordination.lock_seconds` after its owner stops refreshing it
(tooz's heart thread refreshes it at half that), so another producer takes the
task over within seconds of the owner's death. Without a coordination URL this
process owns every task, which is right only while it is the one producer.
"""

from __future__ import annotations

import logging
import os
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tooz
import tooz.coordination
import tooz.locking

from zonefleet.settings import CoordinationSettings

LOG = logging.getLogger(__name__)
LOCK_PREFIX = "zonefleet.producer."


class Ownership:
    """`owns(task)` answers from the coordination backend; blocking, so call it in a thread."""

    def __init__(self, settings: CoordinationSettings) -> None:
        self.settings = settings
        self.member = f"{socket.gethostname()}:{os.getpid()}"
        self._coordinator: tooz.coordination.CoordinationDriver | None = None
        self._locks: dict[str, tooz.locking.Lock] = {}
        self._held: set[str] = set()

    @property
    def owned(self) -> set[str]:
        """The tasks this producer holds (every one, without coordination)."""
        return set(self._held) if self._coordinator is not None else {"*"}

    def start(self) -> None:
        if not self.settings.url:
            return
        coordinator = tooz.coordination.get_coordinator(
            backend_url(self.settings), self.member.encode()
        )
        coordinator.start(start_heart=True)
        self._coordinator = coordinator

    def stop(self) -> None:
        """Give every task up at once, so another producer need not wait for the locks to expire."""
        if self._coordinator is None:
            return
        for task in sorted(self._held):
            try:
                self._locks[task].release()
            except tooz.ToozError as exc:
                LOG.warning("producer: could not give up %s: %s", task, exc)
        self._held.clear()
        self._coordinator.stop()
        self._coordinator = None

    def owns(self, task: str) -> bool:
        """Whether this process runs `task` now: it holds the task's lock or has just taken it."""
        if self._coordinator is None:
            return True
        try:
            lock = self._locks.get(task)
            if lock is None:
                lock = self._coordinator.get_lock((LOCK_PREFIX + task).encode())
                self._locks[task] = lock
            if task in self._held:
                if lock.is_still_owner():
                    return True
                LOG.warning("producer: lost %s to another producer", task)
                self._held.discard(task)
                lock.release()
                return False
            taken = bool(lock.acquire(blocking=False))
        except tooz.ToozError as exc:
            LOG.warning("producer: coordination backend unavailable (%s); %s not run", exc, task)
            return False
        if taken:
            self._held.add(task)
            LOG.info("producer %s now owns %s", self.member, task)
        return taken


def backend_url(settings: CoordinationSettings) -> str:
    """The tooz URL with the lock and membership timeouts set, unless the operator set them."""
    parts = urlsplit(settings.url)
    query = dict(parse_qsl(parts.query))
    for option in ("lock_timeout", "membership_timeout"):
        query.setdefault(option, str(settings.lock_seconds))
    return urlunsplit(parts._replace(query=urlencode(query)))
