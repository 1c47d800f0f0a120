"""Metrics from a real round: API requests by route template, the propagation histogram,
zones by status read at scrape, mdns queries and transfers, and /metrics on its own port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import dns.query
import dns.xfr
import dns.zone
import httpx2
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.service.factories import make_zone
from tests.stack import Stack
from zonefleet.api.app import create_app
from zonefleet.metrics import StateCollector, serve_metrics
from zonefleet.settings import MetricsSettings
from zonefleet.storage.models import Status


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def state(stack: Stack) -> Iterator[StateCollector]:
    collector = StateCollector(stack.database, cache_seconds=0)
    REGISTRY.register(collector)
    yield collector
    REGISTRY.unregister(collector)


def test_a_round_shows_in_the_metrics(stack: Stack, state: StateCollector) -> None:
    with TestClient(create_app(stack.services)) as client:
        before = samples(client.get("/metrics").text)
        zone = make_zone(stack.services, "metered.example.")
        stack.wait_for(zone.id, Status.ACTIVE)
        headers = {"X-Auth-Project-ID": "p1"}
        assert client.get(f"/v2/zones/{zone.id}", headers=headers).status_code == 200
        address = stack.mdns.address
        with pytest.raises(dns.xfr.TransferError):  # 127.0.0.1 is no host of the pool
            dns.zone.from_xfr(dns.query.xfr(address.host, "metered.example.", port=address.port))
        response = client.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain")
        after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"method": "GET", "route": "/v2/zones/{zone_id}", "status": "200"}
    assert grew("zonefleet_api_requests_total", **route) == 1
    assert grew("zonefleet_propagation_seconds_count") >= 1
    assert value(after, "zonefleet_zones", status="ACTIVE") >= 1
    assert grew("zonefleet_mdns_queries_total", qtype="SOA", rcode="NOERROR") >= 1
    assert grew("zonefleet_mdns_transfers_total", kind="AXFR", outcome="refused") == 1
    assert grew("zonefleet_mdns_queries_total", qtype="AXFR", rcode="REFUSED") == 1


def test_roles_without_the_api_serve_metrics_on_their_own_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve_metrics(MetricsSettings(port=port))
    text = httpx2.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "zonefleet_worker_rounds_in_flight" in text
    serve_metrics(MetricsSettings(port=0))  # off: nothing started, nothing raised
