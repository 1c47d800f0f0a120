"""The RabbitMQ bus against the machine's real broker, on an exchange and queue per test."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange

from zonefleet.bus.amqp import ROUTING_KEY, AmqpBus
from zonefleet.settings import BusSettings

STOPPED_BROKER = "amqp://guest:guest@127.0.0.1:9//"  # nothing listens on port 9


class Received:
    """Zone ids a subscriber got, with a way to wait for them."""

    def __init__(self) -> None:
        self.zone_ids: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, zone_id: str) -> None:
        with self._changed:
            self.zone_ids.append(zone_id)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[str]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.zone_ids) >= count, timeout)
            return list(self.zone_ids)


@pytest.fixture
def bus_factory(rabbitmq_url: str) -> Iterator[Callable[..., AmqpBus]]:
    unique = uuid.uuid4().hex[:10]
    made: list[AmqpBus] = []

    def make(url: str = rabbitmq_url, **fields: object) -> AmqpBus:
        settings = BusSettings.model_validate(
            {"url": url, "exchange": f"zf-test-{unique}", "queue": f"zf-test-{unique}.worker",
             "retry_max_delay": 0.2, **fields}
        )  # fmt: skip
        bus = AmqpBus(settings)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        bus.close()


def subscribed(bus: AmqpBus, received: Received) -> None:
    """Subscribe and wait until the consumer is on the queue (hints before that are lost
    only if the queue did not exist yet: the first declare makes it)."""
    bus.subscribe(received)
    probe = f"probe-{uuid.uuid4().hex}"
    deadline = time.monotonic() + 10
    while probe not in received.zone_ids:
        assert time.monotonic() < deadline, "the consumer never started"
        bus.zone_changed(probe)
        received.wait_for(len(received.zone_ids) + 1, timeout=0.2)
    received.zone_ids.clear()


def test_each_hint_wakes_exactly_one_of_the_workers(bus_factory: Callable[..., AmqpBus]) -> None:
    first, second = Received(), Received()
    subscribed(bus_factory(), first)
    subscribed(bus_factory(), second)
    api = bus_factory()
    sent = [f"zone-{index}" for index in range(200)]
    for zone_id in sent:
        api.zone_changed(zone_id)

    def hints(received: Received) -> list[str]:  # without the probes of `subscribed`
        return [zone_id for zone_id in received.zone_ids if zone_id.startswith("zone-")]

    deadline = time.monotonic() + 10
    while len(hints(first)) + len(hints(second)) < len(sent):
        assert time.monotonic() < deadline, "hints were lost"
        time.sleep(0.01)
    time.sleep(0.2)  # a duplicate would arrive by now
    assert sorted(hints(first) + hints(second)) == sorted(sent)
    assert hints(first) and hints(second), "the queue is shared, not owned by one worker"


def test_a_stopped_first_broker_fails_over_to_the_next(
    bus_factory: Callable[..., AmqpBus], rabbitmq_url: str
) -> None:
    brokers = f"{STOPPED_BROKER};{rabbitmq_url}"
    received = Received()
    subscribed(bus_factory(brokers), received)
    bus_factory(brokers).zone_changed("after-failover")
    assert received.wait_for(1) == ["after-failover"]


def test_without_a_broker_hints_wait_and_the_oldest_are_dropped(
    bus_factory: Callable[..., AmqpBus],
) -> None:
    bus = bus_factory(STOPPED_BROKER, publish_buffer=3)
    started = time.monotonic()
    for index in range(10):
        bus.zone_changed(f"zone-{index}")
    assert time.monotonic() - started < 0.5, "a hint waited for the broker"
    assert bus.backlog == 3


def test_a_message_that_is_not_a_hint_is_skipped(
    bus_factory: Callable[..., AmqpBus], rabbitmq_url: str
) -> None:
    received = Received()
    bus = bus_factory()
    subscribed(bus, received)
    exchange = Exchange(bus.settings.exchange, type="direct", durable=False)
    with Connection(rabbitmq_url) as connection:
        producer = connection.Producer()
        producer.publish(b"\x00garbage", exchange=exchange, routing_key=ROUTING_KEY,
                         content_type="application/json", content_encoding="binary")  # fmt: skip
        producer.publish({"zone": "no id"}, exchange=exchange, routing_key=ROUTING_KEY,
                         serializer="json")  # fmt: skip
        producer.publish("text", exchange=exchange, routing_key=ROUTING_KEY,
                         serializer="pickle")  # fmt: skip
    bus_factory().zone_changed("real")
    assert received.wait_for(1) == ["real"]
