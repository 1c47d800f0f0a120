"""The bus over RabbitMQ (kombu): hints published after commit, each taken by one worker.

Publishing never blocks or fails a write: `zone_changed` only queues the zone id
for a background thread, which holds its own connection and drops the oldest
hints when no broker answers for long (the periodic scan finds those zones).
Consumers reconnect by themselves; with several broker URLs each connection
tries them in order, so one stopped cluster member costs a connect attempt.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.exceptions import OperationalError
from kombu.message import Message
from kombu.utils.url import maybe_sanitize_url

from zonefleet.bus.local import Subscriber
from zonefleet.settings import BusSettings

LOG = logging.getLogger(__name__)
ROUTING_KEY = "zone_changed"
POLL_SECONDS = 0.5  # how often a thread waiting on the broker looks at the stop flag


class AmqpBus:
    """`zone_changed` from any thread; `subscribe` starts a consumer thread; `close` stops all."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self._exchange = Exchange(settings.exchange, type="direct", durable=False)
        self._queue = Queue(settings.queue, self._exchange, routing_key=ROUTING_KEY, durable=False)
        self._pending: queue.Queue[str] = queue.Queue(maxsize=settings.publish_buffer)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start(self._publish_forever, "bus-publisher")

    @property
    def brokers(self) -> str:
        """The broker URLs with passwords masked, for logs."""
        return ", ".join(maybe_sanitize_url(url) for url in self.settings.url)

    @property
    def backlog(self) -> int:
        """Hints waiting for a broker."""
        return self._pending.qsize()

    def zone_changed(self, zone_id: str) -> None:
        while True:
            try:
                self._pending.put_nowait(zone_id)
                return
            except queue.Full:
                self._drop_oldest()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._start(lambda: self._consume_forever(subscriber), "bus-consumer")

    def close(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)

    # -- threads -------------------------------------------------------------------------

    def _start(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _drop_oldest(self) -> None:
        try:
            dropped = self._pending.get_nowait()
        except queue.Empty:
            return
        LOG.debug("bus: no broker for a while, hint for zone %s dropped", dropped)

    def _publish_forever(self) -> None:
        self._connected_forever("publisher", self._publish)

    def _consume_forever(self, subscriber: Subscriber) -> None:
        self._connected_forever("consumer", lambda c: self._consume(c, subscriber))

    def _connected_forever(self, role: str, work: Callable[[Connection], None]) -> None:
        """Run `work` on a live connection until stopped, reconnecting with backoff."""
        delay = 0.0
        while not self._stopping.is_set():
            connection = self._connection()
            try:
                connection.ensure_connection(max_retries=len(self.settings.url), interval_start=0)
                self._queue(connection.default_channel).declare()
                if delay:
                    LOG.info("bus: %s reconnected to %s", role, connection.as_uri())
                delay = 0.0
                work(connection)
            except (OperationalError, *connection.connection_errors,
                    *connection.channel_errors, OSError) as exc:  # fmt: skip
                # One warning per outage; the retries after it log at debug level.
                level = logging.DEBUG if delay else logging.WARNING
                delay = min(max(delay * 2, 0.1), self.settings.retry_max_delay)
                LOG.log(level, "bus: %s: no broker among %s (%s); retrying every %.1f s at most",
                        role, self.brokers, exc, self.settings.retry_max_delay)  # fmt: skip
                self._stopping.wait(delay)
            finally:
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
                zone_id = self._pending.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            try:
                producer.publish(
                    {"zone_id": zone_id}, exchange=self._exchange, routing_key=ROUTING_KEY
                )
            except (*connection.connection_errors, *connection.channel_errors, OSError):
                self._requeue(zone_id)
                raise

    def _requeue(self, zone_id: str) -> None:
        try:
            self._pending.put_nowait(zone_id)
        except queue.Full:
            LOG.debug("bus: hint for zone %s dropped", zone_id)

    def _consume(self, connection: Connection, subscriber: Subscriber) -> None:
        def received(body: Any, message: Message) -> None:
            zone_id = body.get("zone_id") if isinstance(body, dict) else None
            if isinstance(zone_id, str):
                subscriber(zone_id)
            else:
                LOG.warning("bus: ignored a message without a zone id: %r", body)

        def undecodable(message: Message, exc: Exception) -> None:
            LOG.warning("bus: ignored an undecodable message: %s", exc)

        consumer = connection.Consumer(
            self._queue,
            callbacks=[received],
            accept=["json"],
            no_ack=True,
            on_decode_error=undecodable,
        )
        with consumer:
            while not self._stopping.is_set():
                try:
                    connection.drain_events(timeout=POLL_SECONDS)
                except TimeoutError:
                    continue
