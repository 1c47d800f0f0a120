"""Designate's notifications out of the services, read back from the real RabbitMQ the way an
oslo.messaging consumer reads them: the `TOPIC.info` queue on the deployment's exchange."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.simple import SimpleQueue

from tests.conftest import make_settings
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.cli import assembly
from zonefleet.service.notifications import NoNotifications
from zonefleet.service.recordsets import RecordsetUpdate
from zonefleet.settings import Settings, SettingsError
from zonefleet.storage.database import Database


@pytest.fixture
def notify_settings(rabbitmq_url: str, tmp_path: Path) -> Settings:
    unique = uuid.uuid4().hex[:10]
    return make_settings(
        tmp_path,
        ZONEFLEET_BUS__URL=rabbitmq_url,
        ZONEFLEET_NOTIFICATIONS__ENABLED="true",
        ZONEFLEET_NOTIFICATIONS__EXCHANGE=f"zf-test-{unique}",
        ZONEFLEET_NOTIFICATIONS__TOPICS=f"zf-test-{unique}",
    )


@pytest.fixture
def received(notify_settings: Settings, rabbitmq_url: str) -> Iterator[SimpleQueue]:
    """The consumer's queue, declared before anything is sent (as a deployment's would be)."""
    [topic] = notify_settings.notifications.topics
    exchange = Exchange(notify_settings.notifications.exchange, type="topic", durable=False)
    queue = Queue(f"{topic}.info", exchange, routing_key=f"{topic}.info", durable=False)
    with Connection(rabbitmq_url) as connection:
        queue(connection.default_channel).declare()
        simple = connection.SimpleQueue(queue)
        yield simple
        simple.close()
        queue(connection.default_channel).delete()


def next_message(queue: SimpleQueue) -> dict[str, Any]:
    message = queue.get(timeout=10)
    message.ack()
    envelope = message.payload
    assert envelope["oslo.version"] == "2.0"
    body: dict[str, Any] = json.loads(envelope["oslo.message"])
    return body


def test_zone_and_recordset_changes_are_announced_in_oslo_envelopes(
    sqlite_database: Database, notify_settings: Settings, received: SimpleQueue
) -> None:
    notifier = assembly.notifier(notify_settings)
    services = assembly.api_services(notify_settings, sqlite_database, notifications=notifier)
    try:
        zone = make_zone(services, "notify.example.")
        www = services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("www.notify.example.", "A", "192.0.2.7")
        )
        services.recordsets.update_recordset(
            ctx(), zone.id, www.id, RecordsetUpdate(records=["192.0.2.8"])
        )
        services.recordsets.delete_recordset(ctx(), zone.id, www.id)
        services.zones.delete_zone(ctx(), zone.id)
        messages = [next_message(received) for _ in range(5)]
    finally:
        notifier.close()

    assert [m["event_type"] for m in messages] == [
        "dns.zone.create", "dns.recordset.create", "dns.recordset.update",
        "dns.recordset.delete", "dns.zone.delete",
    ]  # fmt: skip
    created = messages[0]
    assert created["priority"] == "INFO" and created["publisher_id"].startswith("central.")
    assert created["payload"]["id"] == zone.id and created["payload"]["name"] == "notify.example."
    assert created["payload"]["tenant_id"] == "p1" and created["payload"]["status"] == "PENDING"
    assert created["_context_request_id"] == "req-test" and created["_context_project_id"] == "p1"
    assert messages[2]["payload"]["records"] == [{"data": "192.0.2.8"}]
    assert messages[4]["payload"]["action"] == "DELETE"
    assert len({m["message_id"] for m in messages}) == 5


def test_notifications_are_off_unless_enabled(tmp_path: Path) -> None:
    assert isinstance(assembly.notifier(make_settings(tmp_path)), NoNotifications)


def test_enabled_notifications_need_a_broker(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="needs a broker"):
        make_settings(tmp_path, ZONEFLEET_NOTIFICATIONS__ENABLED="true")
