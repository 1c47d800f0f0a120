"""Faults against a cluster of real processes (api, workers, mdns) on a real database and
RabbitMQ, pushing to a real BIND 9 through a witnessed bind9 driver.

After each fault clears, every zone must be ACTIVE, BIND must serve every zone's serial,
and every accepted change must be there: BIND's own answers are the evidence.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.query
import dns.rcode
import httpx2
import pytest
from sqlalchemy import create_engine, func, select

from tests.integration import witness_backend
from tests.integration.cluster import Cluster, Role
from tests.integration.conftest import ClusterFactory, NamedFactory, served_serial
from tests.integration.engines import PrivateGalera, private_galera  # noqa: F401
from tests.integration.named import Named, bind_pool_yaml
from zonefleet.storage.models import Zone, ZoneTarget

pytestmark = [pytest.mark.slow]
HEADERS = {"X-Auth-Project-Id": "fault-project"}
FAST_WORKER = {
    "ZONEFLEET_WORKER__SCAN_INTERVAL": "0.3",
    "ZONEFLEET_WORKER__LEASE_SECONDS": "3",
    "ZONEFLEET_WORKER__POLL_TIMEOUT": "2",
    "ZONEFLEET_WORKER__QUERY_TIMEOUT": "0.3",
    "ZONEFLEET_WORKER__RETRY_BACKOFF_MAX": "1",
    "ZONEFLEET_QUOTAS__ZONES": "-1",
}


def witnessed_cluster(
    cluster_factory: ClusterFactory, database_url: str, named: Named, tmp_path: Path, hold: float
) -> Cluster:
    env = witness_backend.install(tmp_path / "plugin") | {witness_backend.HOLD_ENV: str(hold)}
    cluster = cluster_factory(database_url, **env, **FAST_WORKER)
    pools = tmp_path / "pools.yaml"
    text = bind_pool_yaml([named], "127.0.0.1", cluster.mdns_port)
    witnessed = f"type: {witness_backend.WitnessedBind9Backend.kind}"
    pools.write_text(text.replace("type: bind9", witnessed))
    loaded = cluster.command("pool", "update", "--file", str(pools))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return cluster


class Client:
    def __init__(self, api: Role) -> None:
        self.http = httpx2.Client(base_url=api.url, headers=HEADERS, timeout=30)

    def zone(self, name: str) -> dict[str, Any]:
        created = self.http.post("/v2/zones", json={"name": name, "email": "h@fault.example"})
        assert created.status_code == 202, created.text
        body: dict[str, Any] = created.json()
        return body

    def recordset(self, zone: dict[str, Any], label: str, address: str) -> None:
        body = {"name": f"{label}.{zone['name']}", "type": "A", "records": [address]}
        created = self.http.post(f"/v2/zones/{zone['id']}/recordsets", json=body)
        assert created.status_code == 202, created.text

    def converged(self, zones: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        """Every zone ACTIVE; their current bodies."""
        deadline = time.monotonic() + timeout
        while True:
            current = [self.http.get(f"/v2/zones/{zone['id']}").json() for zone in zones]
            pending = [z["name"] for z in current if z["status"] != "ACTIVE"]
            if not pending:
                return current
            assert time.monotonic() < deadline, f"still not ACTIVE: {pending[:10]}"
            time.sleep(0.3)


def assert_bind_serves(named: Named, zones: list[dict[str, Any]], names: list[str]) -> None:
    for zone in zones:
        served = served_serial(named.host, named.port, dns.name.from_text(zone["name"]))
        assert served == zone["serial"], f"BIND serves {zone['name']} at {served}"
    for name in names:
        query = dns.message.make_query(name, "A")
        answer = dns.query.udp(query, named.host, port=named.port, timeout=2)
        assert answer.rcode() == dns.rcode.NOERROR and answer.answer, f"BIND lacks {name}"


@pytest.fixture
def connect() -> Iterator[Callable[[Role], Client]]:
    """`connect(api)`: a client of that API process, closed after the test."""
    clients: list[Client] = []

    def make(api: Role) -> Client:
        clients.append(Client(api))
        return clients[-1]

    yield make
    for client in clients:
        client.http.close()


def lease_owners(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            owners = connection.execute(
                select(ZoneTarget.lease_owner).where(ZoneTarget.lease_owner.is_not(None))
            )
            return {owner for (owner,) in owners}
    finally:
        engine.dispose()


@pytest.mark.postgresql
def test_two_workers_racing_never_push_one_zone_to_one_target_at_once(
    cluster_factory: ClusterFactory,
    empty_postgresql_url: str,
    named_factory: NamedFactory,
    connect: Callable[[Role], Client],
    tmp_path: Path,
) -> None:
    named = named_factory()
    cluster = witnessed_cluster(cluster_factory, empty_postgresql_url, named, tmp_path, hold=0.05)
    topology = cluster.start_topology()
    workers = topology.workers
    client = connect(topology.apis[0])
    zones = [client.zone(f"race{index}.fault.example.") for index in range(40)]
    zones = client.converged(zones, timeout=60)
    assert_bind_serves(named, zones, [])

    env = cluster.env
    assert witness_backend.overlaps(env) == []
    callers = {line.rsplit(" ", 1)[1] for line in witness_backend.calls(env)}
    assert callers == {str(worker.process.pid) for worker in workers}, "both workers pushed"


def statuses(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Zone.status, func.count()).group_by(Zone.status))
            return {str(status): count for status, count in rows}
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_on_galera_two_workers_on_two_nodes_never_push_one_zone_to_one_target_at_once(
    cluster_factory: ClusterFactory,
    private_galera: PrivateGalera,  # noqa: F811 - the fixture imported above
    named_factory: NamedFactory,
    connect: Callable[[Role], Client],
    tmp_path: Path,
) -> None:
    """Galera does not lock across nodes: two workers whose SKIP LOCKED claims run on
    different nodes both see a lease free. The second commit fails certification
    instead, and that worker leaves the zone to the one that holds it."""
    first, second = private_galera.nodes
    assert first.status("wsrep_cluster_size") == "2"
    named = named_factory()
    cluster = witnessed_cluster(cluster_factory, first.url, named, tmp_path, hold=0.05)
    on_second = {"ZONEFLEET_DATABASE__URL": second.url}
    cluster.start("mdns", wait=False)
    apis = [cluster.start("api", wait=False), cluster.start("api", wait=False, **on_second)]
    workers = [cluster.start("worker", wait=False), cluster.start("worker", wait=False,
                                                                  **on_second)]  # fmt: skip
    cluster.start("producer", wait=False, **on_second)
    cluster.wait_ready()
    clients = [connect(api) for api in apis]

    zones = [clients[i % 2].zone(f"galera{i}.fault.example.") for i in range(40)]
    names = []
    for index, zone in enumerate(zones):  # each zone written through both nodes
        for label in ("a", "b"):
            clients[(index + (label == "b")) % 2].recordset(zone, label, "192.0.2.9")
            names.append(f"{label}.{zone['name']}")
    zones = clients[0].converged(zones, timeout=120)
    assert_bind_serves(named, zones, names)

    assert witness_backend.overlaps(cluster.env) == []
    callers = {line.rsplit(" ", 1)[1] for line in witness_backend.calls(cluster.env)}
    assert callers == {str(worker.process.pid) for worker in workers}, "both workers pushed"
    # Both nodes hold the same outcome: every zone ACTIVE, as Galera replicated it.
    assert statuses(first.url) == statuses(second.url) == {"ACTIVE": len(zones)}
    for role in cluster.roles:
        assert "Traceback" not in role.text(), f"{role.name}:\n{role.text()[-3000:]}"


ENGINES = [
    pytest.param("postgresql", marks=pytest.mark.postgresql),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_worker_killed_holding_leases_loses_no_change(
    engine: str,
    request: pytest.FixtureRequest,
    cluster_factory: ClusterFactory,
    named_factory: NamedFactory,
    connect: Callable[[Role], Client],
    tmp_path: Path,
) -> None:
    database_url: str = request.getfixturevalue(f"empty_{engine}_url")
    named = named_factory()
    cluster = witnessed_cluster(cluster_factory, database_url, named, tmp_path, hold=0.2)
    topology = cluster.start_topology()
    doomed, survivor = topology.workers
    client = connect(topology.apis[0])

    zones: list[dict[str, Any]] = []
    names: list[str] = []

    def write_batch() -> None:  # 500 changes: 100 zones, 4 recordsets in each
        for index in range(100):
            zone = client.zone(f"kill{index}.fault.example.")
            zones.append(zone)
            for label in range(4):
                client.recordset(zone, f"r{label}", f"192.0.2.{label + 1}")
                names.append(f"r{label}.{zone['name']}")

    writer = threading.Thread(target=write_batch)
    writer.start()
    marker = f":{doomed.process.pid}:"
    deadline = time.monotonic() + 60
    while not any(marker in owner for owner in lease_owners(database_url)):
        assert time.monotonic() < deadline, "the worker never held a lease"
        time.sleep(0.02)
    doomed.stop(signal.SIGKILL)
    killed_after = len(names)
    writer.join(timeout=180)
    assert not writer.is_alive()
    assert killed_after < len(names) == 400, "the kill came in the middle of the batch"

    zones = client.converged(zones, timeout=120)
    assert_bind_serves(named, zones, names)
    assert witness_backend.overlaps(cluster.env) == []
    assert survivor.process.poll() is None


@pytest.mark.postgresql
def test_bind_stopped_during_writes_converges_once_it_returns(
    cluster_factory: ClusterFactory,
    empty_postgresql_url: str,
    named_factory: NamedFactory,
    connect: Callable[[Role], Client],
    tmp_path: Path,
) -> None:
    named = named_factory()
    cluster = witnessed_cluster(cluster_factory, empty_postgresql_url, named, tmp_path, hold=0)
    topology = cluster.start_topology()
    client = connect(topology.apis[1])
    before = [client.zone(f"early{index}.fault.example.") for index in range(5)]
    client.converged(before, timeout=30)

    named.stop()
    names = []
    during = [client.zone(f"late{index}.fault.example.") for index in range(5)]
    for zone in before + during:
        client.recordset(zone, "www", "192.0.2.80")
        names.append(f"www.{zone['name']}")
    time.sleep(3)  # the worker's attempts fail meanwhile
    pending = [client.http.get(f"/v2/zones/{z['id']}").json()["status"] for z in during]
    assert "ACTIVE" not in pending

    named.start()
    zones = client.converged(before + during, timeout=60)
    assert_bind_serves(named, zones, names)
