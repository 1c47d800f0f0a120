"""Cluster mode: separate api, worker and mdns processes over PostgreSQL and RabbitMQ,
pushing to a real BIND 9.

The workers' periodic scan is set far beyond the test's patience, so a change that
reaches BIND in time was carried by the bus's hint, not found by a scan.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import dns.name
import httpx2
import pytest
from sqlalchemy import create_engine, select

from tests.integration.cluster import Cluster, Role
from tests.integration.conftest import ClusterFactory, NamedFactory, served_serial
from tests.integration.named import bind_pool_yaml
from zonefleet.storage.models import ServiceStatus

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]
HEADERS = {"X-Auth-Project-Id": "cluster-project"}
# A port nothing listens on: the first broker of the list is "stopped".
STOPPED_BROKER = "amqp://guest:guest@127.0.0.1:9//"


@pytest.fixture
def cluster(empty_postgresql_url: str, cluster_factory: ClusterFactory) -> Cluster:
    return cluster_factory(empty_postgresql_url)


def wait_active(api: str, path: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = httpx2.get(f"{api}{path}", headers=HEADERS).json()
        if body["status"] == "ACTIVE":
            return body
        assert time.monotonic() < deadline, f"{path} still {body['status']}"
        time.sleep(0.05)


def test_roles_in_their_own_processes_reach_bind_through_the_bus(
    cluster: Cluster, named_factory: NamedFactory, tmp_path: Path
) -> None:
    named = named_factory()
    pools = tmp_path / "pools.yaml"
    pools.write_text(bind_pool_yaml([named], "127.0.0.1", cluster.mdns_port))
    loaded = cluster.command("pool", "update", "--file", str(pools))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    brokers = {"ZONEFLEET_BUS__URL": f"{STOPPED_BROKER};{cluster.env['ZONEFLEET_BUS__URL']}"}
    cluster.start("mdns", wait=False)
    slow_scan = {"ZONEFLEET_WORKER__SCAN_INTERVAL": "300"}
    workers = [cluster.start("worker", wait=False, **brokers, **slow_scan) for _ in range(2)]
    apis = [cluster.start("api", wait=False, **brokers) for _ in range(2)]
    cluster.wait_ready()

    body = {"name": "cluster.example.org.", "email": "h@example.org"}
    created = httpx2.post(f"{apis[0].url}/v2/zones", headers=HEADERS, json=body)
    assert created.status_code == 202, created.text
    zone = wait_active(apis[1].url, f"/v2/zones/{created.json()['id']}", timeout=10)
    recordset = httpx2.post(
        f"{apis[1].url}/v2/zones/{zone['id']}/recordsets",
        headers=HEADERS,
        json={"name": "www.cluster.example.org.", "type": "A", "records": ["192.0.2.9"]},
    )
    assert recordset.status_code == 202, recordset.text
    path = f"/v2/zones/{zone['id']}/recordsets/{recordset.json()['id']}"
    wait_active(apis[0].url, path, timeout=10)
    serial = httpx2.get(f"{apis[0].url}/v2/zones/{zone['id']}", headers=HEADERS).json()["serial"]
    assert served_serial(named.host, named.port, dns.name.from_text(zone["name"])) == serial

    for role in workers + apis:
        assert role.stop(signal.SIGTERM) == 0, role.text()
    assert all("leases released" in worker.text() for worker in workers)


def test_writes_succeed_with_no_broker_and_the_scan_converges(cluster: Cluster) -> None:
    no_broker = {"ZONEFLEET_BUS__URL": STOPPED_BROKER, "ZONEFLEET_BUS__RETRY_MAX_DELAY": "0.2"}
    cluster.start("mdns", wait=False)
    cluster.start("worker", wait=False, ZONEFLEET_WORKER__SCAN_INTERVAL="0.5", **no_broker)
    api = cluster.start("api", wait=False, **no_broker)
    cluster.wait_ready()
    ids = []
    for index in range(5):
        started = time.monotonic()
        body = {"name": f"z{index}.nobroker.org.", "email": "h@nobroker.org"}
        created = httpx2.post(f"{api.url}/v2/zones", headers=HEADERS, json=body)
        assert created.status_code == 202, created.text
        assert time.monotonic() - started < 2, "a write waited for the broker"
        ids.append(created.json()["id"])
    for zone_id in ids:
        wait_active(api.url, f"/v2/zones/{zone_id}", timeout=10)
    assert "no usable broker among" in api.text()


def test_a_killed_producers_tasks_are_taken_over_and_it_shows_down(
    cluster: Cluster, redis_url: str
) -> None:
    coordination = {
        "ZONEFLEET_COORDINATION__URL": redis_url,
        "ZONEFLEET_COORDINATION__LOCK_SECONDS": "2",
        "ZONEFLEET_PRODUCER__TICK": "0.2",
        "ZONEFLEET_HEARTBEAT__INTERVAL": "0.5",
        "ZONEFLEET_HEARTBEAT__DOWN_AFTER": "2",
    }
    first = cluster.start("producer", **coordination)
    wait_for_text(first, "now owns service_status_check")
    second = cluster.start("producer", **coordination)
    time.sleep(1)
    assert "now owns" not in second.text(), "two producers own one task"

    first.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    for task in ("drift_audit", "zone_purge", "service_status_check"):
        wait_for_text(second, f"now owns {task}", timeout=10)
    assert time.monotonic() - killed_at < 6, "the takeover took longer than seconds"

    statuses = service_rows(cluster.database_url)
    deadline = time.monotonic() + 10
    while statuses.get(first.process.pid) != "DOWN":
        assert time.monotonic() < deadline, f"the killed producer shows {statuses}"
        time.sleep(0.2)
        statuses = service_rows(cluster.database_url)
    assert statuses[second.process.pid] == "UP"
    assert second.stop() == 0
    assert service_rows(cluster.database_url)[second.process.pid] == "DOWN"


def wait_for_text(role: Role, text: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while text not in role.text():
        assert time.monotonic() < deadline, f"{role.name} never logged {text!r}:\n{role.text()}"
        time.sleep(0.05)


def service_rows(database_url: str) -> dict[int, str]:
    """Each process's heartbeat status by its pid, read straight from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(ServiceStatus.stats, ServiceStatus.status))
            return {int(stats["pid"]): status for stats, status in rows}
    finally:
        engine.dispose()
