"""Notifications over RabbitMQ as oslo.messaging sends them, so existing consumers read them.

Each goes to the `notifications.exchange` topic exchange with routing key
`TOPIC.info` for every configured topic, a queue of that name bound to it, in
oslo's version-2 envelope: `{"oslo.version": "2.0", "oslo.message": "<json>"}`,
the message carrying message_id, publisher_id, event_type, priority, payload,
timestamp and the request context as `_context_*` fields. This is not the
internal bus: the exchange is the deployment's, and nothing here is a hint.
"""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from kombu.entity import Exchange, Queue

from zonefleet.bus.broker import BrokerClient, Outgoing
from zonefleet.settings import BusSettings, NotificationSettings

PRIORITY = "INFO"


class OsloNotifier(BrokerClient):
    """`notify` from any thread; sent by the background publisher (see bus/broker.py)."""

    def __init__(self, settings: NotificationSettings, bus: BusSettings) -> None:
        broker = (
            bus if settings.url == ("memory://",) else bus.model_copy(update={"url": settings.url})
        )
        self.topics = tuple(f"{topic}.{PRIORITY.lower()}" for topic in settings.topics)
        self._exchange = Exchange(settings.exchange, type="topic", durable=settings.durable)
        queues = [
            Queue(topic, self._exchange, routing_key=topic, durable=settings.durable)
            for topic in self.topics
        ]
        super().__init__(broker, "notifications", declare=queues)
        self.publisher_id = f"central.{socket.gethostname()}"

    def notify(self, context: dict[str, Any], event_type: str, payload: dict[str, Any]) -> None:
        message = {
            "message_id": str(uuid.uuid4()),
            "publisher_id": self.publisher_id,
            "event_type": event_type,
            "priority": PRIORITY,
            "payload": payload,
            "timestamp": str(datetime.now(UTC).replace(tzinfo=None)),  # oslo's format
        } | {f"_context_{key}": value for key, value in context.items()}
        envelope = {"oslo.version": "2.0", "oslo.message": json.dumps(message)}
        for topic in self.topics:
            self.send(Outgoing(self._exchange, topic, envelope))
