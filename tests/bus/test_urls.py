"""Broker URLs as operators write them (kombu's and oslo.messaging's) become kombu URLs."""

from __future__ import annotations

import pytest

from zonefleet.bus.urls import broker_urls
from zonefleet.settings import SettingsError, load_settings


def test_memory_is_the_in_process_bus() -> None:
    assert broker_urls("memory://") == ("memory://",)
    assert load_settings(environ={}).bus.in_process


def test_an_oslo_rabbit_url_names_every_cluster_member() -> None:
    urls = broker_urls("rabbit://zf:secret@mq1:5672,mq2:5673/dns")
    assert urls == ("amqp://zf:secret@mq1:5672/dns", "amqp://zf:secret@mq2:5673/dns")


def test_hosts_keep_their_own_credentials() -> None:
    urls = broker_urls("rabbit://a:1@mq1,b:2@mq2/")
    assert urls == ("amqp://a:1@mq1/", "amqp://b:2@mq2/")


def test_semicolons_and_lists_give_failover_order() -> None:
    text = "amqp://guest:guest@10.0.0.1:5672//; amqps://guest:guest@10.0.0.2:5671//"
    assert broker_urls(text) == ("amqp://guest:guest@10.0.0.1:5672//",
                                 "amqps://guest:guest@10.0.0.2:5671//")  # fmt: skip
    assert broker_urls(["amqp://h1//", "amqp://h2//"]) == ("amqp://h1//", "amqp://h2//")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http://mq1", "is not memory://"),
        ("", "no broker URL"),
        ("memory://;amqp://mq1//", "cannot be mixed"),
        ("rabbit://u:p@mq1,/vhost", "empty host"),
        ("amqp://mq1:99999//", "out of range"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        broker_urls(text)


def test_a_bad_url_names_the_setting() -> None:
    with pytest.raises(SettingsError, match=r"bus\.url \(env ZONEFLEET_BUS__URL\)"):
        load_settings(environ={"ZONEFLEET_BUS__URL": "redis://127.0.0.1"})
