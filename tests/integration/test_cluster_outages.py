"""Outages of the engines a cluster of real processes depends on: the database restarted
while writes stream in, and the message broker stopped and started again.

Each engine is a private instance of the test's own (tests/integration/engines.py), so
stopping it never touches the machine's shared servers. BIND 9 is the pool's target,
and its own answers are the evidence that every accepted change arrived.

A write answered 503 whose connection died inside its COMMIT may be there anyway; the
restart test prints how many were (-rP shows it). PostgreSQL refuses new sessions for a
moment on each side of a restart (and through crash recovery);
test_api_answers_503_while_postgresql_refuses_new_sessions holds that window open.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

from tests.integration.cluster import Role
from tests.integration.conftest import ClusterFactory, NamedFactory
from tests.integration.engines import (  # noqa: F401 - the fixtures, taken by name
    PrivateEngine,
    PrivatePostgres,
    PrivateRabbitmq,
    private_mariadb,
    private_postgres,
    private_rabbitmq,
)
from tests.integration.test_cluster_faults import Client, assert_bind_serves, witnessed_cluster

pytestmark = [pytest.mark.slow]

OUTAGE_SECONDS = 3.0
WRITES_BEFORE = 1.5  # seconds of writes before the engine stops
WRITES_AFTER = 3.0  # seconds of writes after it is back
UNAVAILABLE_BODY = {"code", "type", "message", "request_id"}


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


@dataclass
class Answer:
    """One write the API answered (status 0: no HTTP answer at all)."""

    kind: str  # "zone" or "recordset"
    name: str
    status: int
    body: Any
    at: float
    seconds: float
    zone_id: str = ""

    def __str__(self) -> str:
        return f"POST {self.kind} {self.name} -> {self.status} in {self.seconds:.2f}s: {self.body}"


@dataclass
class Writer:
    """A thread that keeps writing: a zone every tenth write, recordsets in between."""

    client: Client
    zones: list[dict[str, Any]]
    prefix: str
    answers: list[Answer] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=f"writer-{self.prefix}")
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        assert self.thread is not None
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the writer hangs"

    def accepted_since(self, moment: float) -> int:
        return sum(1 for answer in self.answers if answer.status == 202 and answer.at >= moment)

    def _run(self) -> None:
        index = 0
        while not self.stopping.is_set():
            index += 1
            if index % 10 == 0:
                name = f"{self.prefix}{index}.outage.example."
                answer = self._post("zone", name, "/v2/zones", {"name": name, "email": "h@o.test"})
                if answer.status == 202:
                    self.zones.append(answer.body)
            else:
                zone = self.zones[index % len(self.zones)]
                name = f"w{index}.{zone['name']}"
                body = {"name": name, "type": "A", "records": [f"192.0.2.{index % 250 + 1}"]}
                path = f"/v2/zones/{zone['id']}/recordsets"
                self._post("recordset", name, path, body, zone_id=zone["id"])
            time.sleep(0.02)

    def _post(self, kind: str, name: str, path: str, body: Any, zone_id: str = "") -> Answer:
        began = time.monotonic()
        try:
            response = self.client.http.post(path, json=body)
        except httpx2.TransportError as exc:
            status, answered = 0, f"{type(exc).__name__}: {exc}"
        else:
            status = response.status_code
            try:
                answered = response.json()
            except ValueError:
                answered = response.text
        answer = Answer(kind, name, status, answered, began, time.monotonic() - began, zone_id)
        self.answers.append(answer)
        return answer


def all_zones(client: Client) -> list[dict[str, Any]]:
    listed = client.http.get("/v2/zones", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    zones: list[dict[str, Any]] = listed.json()["zones"]
    return zones


def recordset_names(client: Client, zone_id: str) -> set[str]:
    listed = client.http.get(f"/v2/zones/{zone_id}/recordsets", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    return {recordset["name"] for recordset in listed.json()["recordsets"]}


ENGINES = [
    pytest.param("postgres", marks=pytest.mark.postgresql),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_database_restart_during_writes_answers_503_then_recovers_losing_nothing(
    engine: str,
    request: pytest.FixtureRequest,
    cluster_factory: ClusterFactory,
    named_factory: NamedFactory,
    connect: Callable[[Role], Client],
    tmp_path: Path,
) -> None:
    database: PrivateEngine = request.getfixturevalue(f"private_{engine}")
    named = named_factory()
    cluster = witnessed_cluster(cluster_factory, database.url, named, tmp_path, hold=0)
    topology = cluster.start_topology()
    api = topology.apis[0]
    client = connect(api)
    first = [client.zone(f"first{index}.outage.example.") for index in range(3)]
    writer = Writer(client, list(first), prefix=f"{engine}-")
    writer.start()
    try:
        time.sleep(WRITES_BEFORE)
        assert writer.accepted_since(0) > 0, "no write went through before the outage"
        database.stop()
        time.sleep(OUTAGE_SECONDS)
        database.start()
        back = time.monotonic()
        time.sleep(WRITES_AFTER)
    finally:
        writer.stop()

    answers = writer.answers
    unexpected = [answer for answer in answers if answer.status not in (202, 503)]
    listed = "\n".join(str(answer) for answer in unexpected[:10])
    assert not unexpected, f"answers other than 202 or 503:\n{listed}\n{api.text()}"
    unavailable = [answer for answer in answers if answer.status == 503]
    assert unavailable, f"no write saw the outage ({len(answers)} writes)"
    for answer in unavailable:
        assert isinstance(answer.body, dict) and set(answer.body) == UNAVAILABLE_BODY, answer
        assert answer.body["code"] == 503 and answer.body["type"] == "service_unavailable"
        assert answer.body["message"] and answer.body["request_id"].startswith("req-")
    assert writer.accepted_since(back) > 0, "no write went through once the database was back"

    accepted = [answer for answer in answers if answer.status == 202]
    for answer in accepted:
        if answer.kind == "zone":
            path = f"/v2/zones/{answer.body['id']}"
        else:
            path = f"/v2/zones/{answer.zone_id}/recordsets/{answer.body['id']}"
        fetched = client.http.get(path)
        assert fetched.status_code == 200, f"{answer} but GET {path}: {fetched.text}"

    # Every zone there is (one whose 503 hid a commit included) must converge.
    zones = client.converged(all_zones(client), timeout=90)
    names = [answer.name for answer in accepted if answer.kind == "recordset"]
    assert_bind_serves(named, zones, names)
    for role in topology.roles:
        assert role.process.poll() is None, f"{role.name} exited:\n{role.text()}"
    assert " unhandled error in " not in api.text(), api.text()

    # A 503 means "not done" unless the connection died inside the COMMIT itself:
    # count the writes that were answered 503 yet are there, and say so.
    present = {zone["name"] for zone in zones}
    for zone in zones:
        present |= recordset_names(client, zone["id"])
    committed = [str(answer) for answer in unavailable if answer.name in present]
    last_503 = max(answer.at + answer.seconds for answer in unavailable) - back
    first_202 = min(answer.at + answer.seconds for answer in accepted if answer.at >= back) - back
    slowest = max(answer.seconds for answer in answers)
    print(
        f"{engine}: {len(answers)} writes, {len(accepted)} accepted, {len(unavailable)} "
        f"answered 503, of which committed anyway: {len(committed)}; last 503 {last_503:+.2f}s "
        f"and first 202 {first_202:+.2f}s from the restart; slowest answer {slowest:.2f}s",
        *committed,
        sep="\n",
    )


@contextmanager
def stopwatch(took: list[float]) -> Iterator[None]:
    began = time.monotonic()
    yield
    took.append(time.monotonic() - began)


def wait_for_log(role: Role, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in role.text():
        assert time.monotonic() < deadline, f"{role.name} never logged {text!r}:\n{role.text()}"
        time.sleep(0.1)


def queue_consumers(broker: PrivateRabbitmq, queue: str) -> int | None:
    """The consumers RabbitMQ itself counts on `queue` (None: no such queue)."""
    listed = broker.rabbitmqctl("list_queues", "--quiet", "--no-table-headers", "name", "consumers")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    for line in listed.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == queue:
            return int(parts[1])
    return None


def wait_for_consumer(broker: PrivateRabbitmq, queue: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (consumers := queue_consumers(broker, queue)) != 2:  # one per worker
        assert time.monotonic() < deadline, f"RabbitMQ counts {consumers} consumers on {queue}"
        time.sleep(0.2)


@pytest.mark.postgresql
def test_broker_stopped_during_writes_never_fails_a_write_and_the_bus_comes_back(
    cluster_factory: ClusterFactory,
    empty_postgresql_url: str,
    named_factory: NamedFactory,
    connect: Callable[[Role], Client],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    broker: PrivateRabbitmq = request.getfixturevalue("private_rabbitmq")
    named = named_factory()
    cluster = witnessed_cluster(cluster_factory, empty_postgresql_url, named, tmp_path, hold=0)
    cluster.env |= {
        "ZONEFLEET_BUS__URL": broker.url,
        "ZONEFLEET_BUS__RETRY_MAX_DELAY": "0.5",
        "ZONEFLEET_WORKER__SCAN_INTERVAL": "1",
    }
    queue = cluster.env["ZONEFLEET_BUS__QUEUE"]
    topology = cluster.start_topology()
    api, workers = topology.apis[0], topology.workers
    wait_for_consumer(broker, queue, timeout=10)  # the workers take the hints
    client = connect(api)
    before = [client.zone(f"before{index}.outage.example.") for index in range(3)]
    client.converged(before, timeout=30)

    broker.stop()
    during: list[dict[str, Any]] = []
    names: list[str] = []
    took: list[float] = []
    for index in range(6):
        older = before[index % len(before)]
        with stopwatch(took):
            zone = client.zone(f"during{index}.outage.example.")
        with stopwatch(took):
            client.recordset(zone, "www", "192.0.2.7")
        with stopwatch(took):
            client.recordset(older, f"d{index}", "192.0.2.8")
        during.append(zone)
        names += [f"www.{zone['name']}", f"d{index}.{older['name']}"]
    assert max(took) < 2.0, f"writes took {max(took):.2f} s at most with the broker down"
    # Hints are lost while the broker is down: the worker's scan finds these zones.
    zones = client.converged(before + during, timeout=30)
    assert_bind_serves(named, zones, names)
    wait_for_log(api, "bus: publisher: no ", timeout=10)
    for worker in workers:
        wait_for_log(worker, "bus: consumer: no ", timeout=10)

    broker.start()
    wait_for_log(api, "bus: publisher reconnected", timeout=20)
    for worker in workers:
        wait_for_log(worker, "bus: consumer reconnected", timeout=20)
    # The broker forgot its queue when it stopped: it is there again, with its consumers.
    wait_for_consumer(broker, queue, timeout=10)
    after = client.zone("after.outage.example.")
    client.recordset(after, "www", "192.0.2.9")
    zones = client.converged([after], timeout=30)
    assert_bind_serves(named, zones, [f"www.{after['name']}"])
    assert all(role.process.poll() is None for role in cluster.roles)


def refused_for_shutdown(database: PrivatePostgres) -> bool:
    try:
        psycopg.connect(
            host=database.host, port=database.port, user="postgres", connect_timeout=2
        ).close()
    except psycopg.OperationalError as exc:
        return "the database system is shutting down" in str(exc)
    return False


@pytest.mark.postgresql
def test_api_answers_503_while_postgresql_refuses_new_sessions(
    cluster_factory: ClusterFactory,
    request: pytest.FixtureRequest,
    connect: Callable[[Role], Client],
) -> None:
    """The window every PostgreSQL restart has (and crash recovery makes long), held open:
    a smart shutdown waits for one session of the test's, refusing new ones meanwhile."""
    database: PrivatePostgres = request.getfixturevalue("private_postgres")
    cluster = cluster_factory(database.url)
    api = cluster.start("api")
    client = connect(api)
    client.zone("before.refused.example.")
    with psycopg.connect(
        host=database.host, port=database.port, user="postgres", autocommit=True
    ) as holder:
        assert database.process is not None
        os.kill(database.process.pid, signal.SIGTERM)  # smart shutdown
        deadline = time.monotonic() + 10
        while not refused_for_shutdown(database):
            assert time.monotonic() < deadline, "PostgreSQL never refused a new session"
            time.sleep(0.05)
        # The API's pooled sessions end, as a fast shutdown would end them.
        holder.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        body = {"name": "during.refused.example.", "email": "h@o.test"}
        answer = client.http.post("/v2/zones", json=body)
        assert answer.status_code == 503, f"{answer.status_code} {answer.text}"
        assert answer.json()["type"] == "service_unavailable"
