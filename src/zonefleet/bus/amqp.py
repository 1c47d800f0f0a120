"""The bus over RabbitMQ: hints published after commit (never blocking or failing the write),
each taken by one of the workers sharing the queue.

A hint lost to a long broker outage only delays its zone until the workers' periodic
scan finds it.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.message import Message

from zonefleet.bus.broker import POLL_SECONDS, BrokerClient, Outgoing
from zonefleet.bus.local import Subscriber
from zonefleet.settings import BusSettings

LOG = logging.getLogger(__name__)
ROUTING_KEY = "zone_changed"


class AmqpBus(BrokerClient):
    """`zone_changed` from any thread; `subscribe` starts a consumer thread; `close` stops all."""

    def __init__(self, settings: BusSettings) -> None:
        self._exchange = Exchange(settings.exchange, type="direct", durable=False)
        self._queue = Queue(settings.queue, self._exchange, routing_key=ROUTING_KEY, durable=False)
        super().__init__(settings, "bus", declare=[self._queue])

    def zone_changed(self, zone_id: str) -> None:
        self.send(Outgoing(self._exchange, ROUTING_KEY, {"zone_id": zone_id}))

    def subscribe(self, subscriber: Subscriber) -> None:
        consume = lambda connection: self._consume(connection, subscriber)  # noqa: E731
        self._start(lambda: self._connected_forever("consumer", consume), "consumer")

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
