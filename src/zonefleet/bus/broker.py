"""A RabbitMQ client that never blocks its callers: messages go out from a background thread.

`send` only queues the message; the publisher thread holds its own connection
(kombu), declares what its messages need, and keeps the newest `publish_buffer`
messages while no broker answers. Every thread reconnects by itself with a
growing delay; with several broker URLs each connection tries them in order, so
one stopped cluster member costs a connect attempt.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url

from zonefleet.metrics import BUS_ERRORS
from zonefleet.settings import BusSettings

LOG = logging.getLogger(__name__)
POLL_SECONDS = 0.5  # how often a thread waiting on the broker looks at the stop flag


@dataclass(frozen=True)
class Outgoing:
    exchange: Exchange
    routing_key: str
    body: Any


class BrokerClient:
    """The publisher thread, and the reconnecting loop that subclasses' consumers run in."""

    def __init__(self, settings: BusSettings, name: str, declare: Sequence[Queue]) -> None:
        self.settings = settings
        self.name = name
        self._declare = tuple(declare)
        self._pending: queue.Queue[Outgoing] = queue.Queue(maxsize=settings.publish_buffer)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connected: set[str] = set()
        self._start(lambda: self._connected_forever("publisher", self._publish), "publisher")

    @property
    def brokers(self) -> str:
        """The broker URLs with passwords masked, for logs."""
        return ", ".join(maybe_sanitize_url(url) for url in self.settings.url)

    @property
    def backlog(self) -> int:
        """Messages waiting for a broker."""
        return self._pending.qsize()

    @property
    def connected(self) -> bool:
        """Whether the publisher and every consumer hold a broker connection now."""
        return len(self._connected) == len(self._threads)

    def send(self, message: Outgoing) -> None:
        """Queue `message` for the publisher; the oldest queued one goes when the buffer is full."""
        while True:
            try:
                self._pending.put_nowait(message)
                return
            except queue.Full:
                self._drop_oldest()

    def close(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)

    def _start(self, target: Callable[[], None], role: str) -> None:
        name = f"{self.name}-{role}-{len(self._threads)}"
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _drop_oldest(self) -> None:
        try:
            dropped = self._pending.get_nowait()
        except queue.Empty:
            return
        LOG.debug("%s: no broker for a while, dropped %r", self.name, dropped.body)
        BUS_ERRORS.labels(self.name, "dropped").inc()

    def _connected_forever(self, role: str, work: Callable[[Connection], None]) -> None:
        """Run `work` on a live connection until stopped, reconnecting with backoff."""
        delay = 0.0
        while not self._stopping.is_set():
            connection = self._connection()
            try:
                connection.ensure_connection(max_retries=len(self.settings.url), interval_start=0)
                for declared in self._declare:
                    declared(connection.default_channel).declare()
                if delay:
                    LOG.info("%s: %s reconnected to %s", self.name, role, connection.as_uri())
                delay = 0.0
                self._connected.add(threading.current_thread().name)
                work(connection)
            except (OperationalError, *connection.connection_errors,
                    *connection.channel_errors, OSError) as exc:  # fmt: skip
                # One warning per outage; the retries after it log at debug level.
                level = logging.DEBUG if delay else logging.WARNING
                BUS_ERRORS.labels(self.name, "connection").inc()
                delay = min(max(delay * 2, 0.1), self.settings.retry_max_delay)
                LOG.log(level, "%s: %s: no usable broker among %s (%s); retrying in %.1f s",
                        self.name, role, self.brokers, exc, delay)  # fmt: skip
                self._stopping.wait(delay)
            finally:
                self._connected.discard(threading.current_thread().name)
                connection.release()

    def _connection(self) -> Connection:
        return Connection(
            list(self.settings.url),
            connect_timeout=self.settings.connect_timeout,
            failover_strategy="round-robin",
            heartbeat=0,
        )

    def _publish(self, connection: Connection) -> None:
        producer = connection.Producer(serializer="json")
        while not self._stopping.is_set():
            try:
                message = self._pending.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            try:
                producer.publish(
                    message.body, exchange=message.exchange, routing_key=message.routing_key
                )
            except (*connection.connection_errors, *connection.channel_errors, OSError):
                self._requeue(message)
                raise

    def _requeue(self, message: Outgoing) -> None:
        try:
            self._pending.put_nowait(message)
        except queue.Full:
            LOG.debug("%s: dropped %r", self.name, message.body)
            BUS_ERRORS.labels(self.name, "dropped").inc()
