"""Benchmark of a cluster of real processes: two `zonefleet api`, two `worker`, one `mdns`
and one `producer` on PostgreSQL and RabbitMQ, with a real BIND 9 as the pool's target.

Measures recordset writes/s from 8 concurrent clients, write → BIND latency under that
load, and how long BIND takes, once back from an outage, to serve the new serial of
every zone changed meanwhile. `--quick` is CI's small run. `main(argv)` returns non-zero
only when something is broken, never for a missed target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx2
import kombu.exceptions
from kombu.connection import Connection
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bench.api import Row, Target, cell, target_text
from bench.cpu import CpuMeter, CpuUse, Groups, pids_named
from bench.server import BenchError, database, log_tail
from tests.integration.cluster import Cluster, Role
from tests.integration.named import Named, bind_pool_yaml
from zonefleet.storage.models import ZoneEvent, utcnow

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_BUS_URL = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
CLIENTS = 8
ZONES_PER_CLIENT = 2  # 1,000 writes in a zone at most: under its default recordset quota
SAMPLE_EVERY = 10
EXPECTED_ROLES = {"api": 2, "worker": 2, "mdns": 1, "producer": 1}
READY_SECONDS = 60.0
TIMEOUT = 30.0
SAMPLE_POLL = 0.002
# The workers' settings under test; everything else is Zonefleet's default.
WORKER_ENV = {"ZONEFLEET_WORKER__RETRY_BACKOFF_MAX": "5"}
LOAD_PROJECT = "zonefleet-bench-load"
OUTAGE_PROJECT = "zonefleet-bench-outage"
BROKEN = (BenchError, httpx2.HTTPError, SQLAlchemyError, OSError, dns.exception.DNSException)

console = Console()
if not console.is_terminal:
    console.width = max(console.width, 132)  # a CI log should not wrap the table
progress = Console(stderr=True, style="dim", log_path=False)
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Sizes:
    writes: int  # recordset creates across all clients
    outage_zones: int  # at most 1,000: they are read back in one page
    outage_seconds: float
    settle_seconds: float  # for zones to become ACTIVE, and for BIND to converge


FULL = Sizes(writes=2000, outage_zones=1000, outage_seconds=60.0, settle_seconds=600.0)
QUICK = Sizes(writes=80, outage_zones=20, outage_seconds=5.0, settle_seconds=60.0)


def rows(sizes: Sizes) -> tuple[Row, ...]:
    outage = f"{sizes.outage_zones:,} zones changed during a {sizes.outage_seconds:g} s outage"
    return (
        Row("writes", f"recordset writes/s: {CLIENTS} clients over 2 API processes", "/s",
            Target(400, at_least=True)),
        Row("bind_p50", "write → BIND serves it under that load: p50", "ms"),
        Row("bind_p99", "write → BIND serves it under that load: p99", "ms",
            Target(300, at_least=False)),
        Row("writes_active", "then until every written recordset is ACTIVE", "s"),
        Row("converged", f"convergence after a BIND outage: {outage}, BIND back → "
            "it serves every new serial", "s", Target(30, at_least=False),
            "> 455 s (periodic recovery)"),
        Row("converged_active", "then until every one of those zones is ACTIVE", "s"),
        Row("bind_start", "BIND's restart (named started → rndc answers)", "s"),
    )  # fmt: skip


@dataclass
class Outcome:
    """What the outage left and what brought the zones back (the caption's evidence)."""

    at_return: dict[str, int] = field(default_factory=dict)  # zone status → count
    audit_pushes: int = 0
    worker_pushes: int = 0
    notified: int = 0  # zones BIND logged a NOTIFY for after it came back
    deferred: int = 0  # transfers BIND logged as deferred for its quota after it came back
    held: float = 0.0
    writes_cpu: CpuUse | None = None  # where the CPU went while the writes were measured


# -- one client ---------------------------------------------------------------------------


class Client:
    """One keep-alive httpx2 connection to one API process, acting in one project."""

    def __init__(self, url: str, project: str) -> None:
        self.http = httpx2.Client(
            base_url=url, headers={"X-Auth-Project-ID": project}, timeout=TIMEOUT
        )

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        if response.status_code not in (201, 202):
            raise BenchError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
        created: dict[str, Any] = response.json()
        return created

    def get(self, path: str) -> dict[str, Any]:
        response = self.http.get(path)
        if not response.is_success:
            raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        body: dict[str, Any] = response.json()
        return body

    def create_zone(self, name: str) -> dict[str, Any]:
        return self.post("/v2/zones", {"name": name, "email": "hostmaster@example.org"})

    def create_recordset(self, zone: dict[str, Any], label: str, address: str) -> str:
        name = f"{label}.{zone['name']}"
        body = {"name": name, "type": "A", "records": [address]}
        self.post(f"/v2/zones/{zone['id']}/recordsets", body)
        return name

    def count(self, resource: str, status: str) -> int:
        body = self.get(f"/v2/{resource}?status={status}&limit=1")
        return int(body.get("metadata", {}).get("total_count") or 0)

    def serials(self) -> dict[str, int]:
        """Every zone of the project (1,000 at most) by name, with the serial the API reports."""
        zones = self.get("/v2/zones?limit=1000")["zones"]
        return {str(zone["name"]): int(zone["serial"]) for zone in zones}


def in_parallel(
    clients: Sequence[Client], items: Sequence[T], work: Callable[[Client, T], R]
) -> list[R]:
    """`work(client, item)` for every item: each client, on a thread of its own, takes
    every len(clients)-th item in turn."""
    shares = [items[index :: len(clients)] for index in range(len(clients))]
    with ThreadPoolExecutor(len(clients)) as pool:
        futures = [
            pool.submit(lambda c, s: [work(c, item) for item in s], client, share)
            for client, share in zip(clients, shares, strict=True)
        ]
        return [result for future in futures for result in future.result()]


def wait_until(check: Callable[[], bool], what: str, timeout: float, poll: float = 0.1) -> float:
    """perf_counter() once `check()` holds; BenchError past `timeout`."""
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)
    return time.perf_counter()


# -- BIND, asked over UDP -----------------------------------------------------------------


def ask(named: Named, name: str, rdtype: dns.rdatatype.RdataType) -> dns.message.Message | None:
    query = dns.message.make_query(name, rdtype)
    try:
        return dns.query.udp(query, named.host, port=named.port, timeout=0.5)
    except dns.exception.Timeout:
        return None


def bind_serial(named: Named, zone: str) -> int | None:
    answer = ask(named, zone, dns.rdatatype.SOA)
    if answer is None or answer.rcode() != dns.rcode.NOERROR or not answer.answer:
        return None
    return int(answer.answer[0][0].serial)


def bind_serves(named: Named, name: str, address: str) -> bool:
    answer = ask(named, name, dns.rdatatype.A)
    if answer is None or not answer.answer:
        return False
    return any(rdata.address == address for rdata in answer.answer[0])


@dataclass(frozen=True)
class Sample:
    name: str
    address: str
    sent: float  # perf_counter() when the write's POST was sent


class Sampler:
    """A thread that asks BIND about every sampled write in turn, every SAMPLE_POLL s, until
    it serves the write's address: the time from the POST is the sample's latency."""

    def __init__(self, named: Named, timeout: float) -> None:
        self.named = named
        self.timeout = timeout
        self.seconds: list[float] = []
        self.missing: list[str] = []
        self.error: Exception | None = None
        self._pending: list[Sample] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._aborted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bind-sampler", daemon=True)
        self._thread.start()

    def add(self, sample: Sample) -> None:
        with self._lock:
            self._pending.append(sample)

    def finish(self) -> list[float]:
        """Wait for every sample (each has `timeout` s); BenchError if BIND never served one."""
        self._closing.set()
        self._thread.join()
        if self.error is not None:
            raise BenchError(f"asking BIND for a sampled write failed: {self.error!r}")
        if self.missing:
            raise BenchError(f"BIND never served {len(self.missing)} sampled writes "
                             f"within {self.timeout:.0f} s, e.g. {self.missing[0]}")  # fmt: skip
        return self.seconds

    def abort(self) -> None:
        """Stop at once, samples or not (the run failed)."""
        self._aborted.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._aborted.is_set():
                with self._lock:
                    pending = list(self._pending)
                if not pending and self._closing.is_set():
                    return
                for sample in pending:
                    self._check(sample)
                time.sleep(SAMPLE_POLL)
        except (OSError, dns.exception.DNSException) as exc:
            self.error = exc

    def _check(self, sample: Sample) -> None:
        served = bind_serves(self.named, sample.name, sample.address)
        elapsed = time.perf_counter() - sample.sent
        if not served and elapsed <= self.timeout:
            return
        if served:
            self.seconds.append(elapsed)
        else:
            self.missing.append(sample.name)
        with self._lock:
            self._pending.remove(sample)


# -- the cluster --------------------------------------------------------------------------


@contextmanager
def running_cluster(workdir: Path, database_url: str, named: Named) -> Iterator[Cluster]:
    """Every role started side by side and UP; each stopped by its pid however the run ends,
    and the run's exchange and queue deleted from the broker."""
    unique = uuid.uuid4().hex[:10]
    env = {
        "ZONEFLEET_BUS__URL": DEFAULT_BUS_URL,
        "ZONEFLEET_BUS__EXCHANGE": f"zonefleet-bench-{unique}",
        "ZONEFLEET_BUS__QUEUE": f"zonefleet-bench-{unique}.worker",
        "ZONEFLEET_LOG_LEVEL": "WARNING",
        "ZONEFLEET_QUOTAS__ZONES": "-1",
    }
    cluster = Cluster(workdir / "cluster", database_url, env)
    cluster.directory.mkdir()
    try:
        checked(cluster, "db", "upgrade")
        pools = workdir / "pools.yaml"
        pools.write_text(bind_pool_yaml([named], "127.0.0.1", cluster.mdns_port))
        checked(cluster, "pool", "update", "--file", str(pools))
        for role in ("api", "api", "mdns", "worker", "worker"):
            cluster.start(role, wait=False, **(WORKER_ENV if role == "worker" else {}))
        coordination = f"{DEFAULT_REDIS_URL}?namespace=zonefleet-bench-{unique}"
        cluster.start("producer", wait=False, ZONEFLEET_COORDINATION__URL=coordination)
        wait_until_up(cluster)
        yield cluster
    finally:
        cluster.stop()
        delete_bus(env)


def checked(cluster: Cluster, *args: str) -> None:
    done = cluster.command(*args)
    if done.returncode != 0:
        raise BenchError(f"`zonefleet {' '.join(args)}` exited {done.returncode}: "
                         f"{done.stdout}{done.stderr}")  # fmt: skip


def apis(cluster: Cluster) -> list[Role]:
    return [role for role in cluster.roles if role.name == "api"]


def wait_until_up(cluster: Cluster) -> None:
    """Until every role heartbeats UP (connected to the broker), as /v2/service_statuses says."""
    url = apis(cluster)[0].url

    def up() -> bool:
        for role in cluster.roles:
            if role.process.poll() is not None:
                raise BenchError(f"{role.name} exited {role.process.returncode}:\n"
                                 f"{log_tail(role.log)}")  # fmt: skip
        try:
            if any(
                httpx2.get(f"{api.url}/healthcheck").status_code != 200 for api in apis(cluster)
            ):
                return False
            rows = httpx2.get(f"{url}/v2/service_statuses?limit=100").json()["service_statuses"]
        except httpx2.TransportError:
            return False  # not listening yet
        counted = dict.fromkeys(EXPECTED_ROLES, 0)
        for row in rows:
            if row["status"] == "UP" and row["service_name"] in counted:
                counted[row["service_name"]] += 1
        return counted == EXPECTED_ROLES

    wait_until(up, "every role of the cluster to be UP", READY_SECONDS)


def delete_bus(env: dict[str, str]) -> None:
    """The run's exchange and queue are its own: leave the machine's broker as it was."""
    try:
        # kombu's Connection is unannotated (as pyproject.toml notes for zonefleet.bus).
        broker = Connection(env["ZONEFLEET_BUS__URL"], connect_timeout=5)  # type: ignore[no-untyped-call]
        with broker as connection:
            channel = connection.channel()
            channel.queue_delete(env["ZONEFLEET_BUS__QUEUE"])
            channel.exchange_delete(env["ZONEFLEET_BUS__EXCHANGE"])
    except (OSError, kombu.exceptions.KombuError) as exc:
        progress.log(f"could not delete the run's exchange and queue: {exc}")


def clients_of(stack: ExitStack, cluster: Cluster, project: str) -> list[Client]:
    """CLIENTS clients spread over the API processes, each closed when the run ends."""
    urls = [api.url for api in apis(cluster)]
    made = [Client(urls[index % len(urls)], project) for index in range(CLIENTS)]
    for client in made:
        stack.callback(client.http.close)
    return made


# -- 1 and 2: writes under load -----------------------------------------------------------


def measure_writes(
    clients: Sequence[Client],
    named: Named,
    sizes: Sizes,
    values: dict[str, float],
    *,
    meter: CpuMeter,
    outcome: Outcome,
) -> None:
    names = [zone_name(c, z) for c in range(CLIENTS) for z in range(ZONES_PER_CLIENT)]
    by_name = {zone["name"]: zone for zone in in_parallel(clients, names, Client.create_zone)}
    settle(clients[0], len(by_name), sizes.settle_seconds)
    progress.log(f"{len(by_name)} zones ACTIVE")
    per_client = sizes.writes // CLIENTS

    def write(index: int, sampler: Sampler) -> None:
        client = clients[index]
        zones = [by_name[zone_name(index, z)] for z in range(ZONES_PER_CLIENT)]
        for step in range(per_client):
            address = f"10.{index}.{step // 250}.{step % 250 + 1}"
            sent = time.perf_counter()
            name = client.create_recordset(zones[step % ZONES_PER_CLIENT], f"w{step}", address)
            if step % SAMPLE_EVERY == 0:
                sampler.add(Sample(name, address, sent))

    progress.log(f"{per_client * CLIENTS:,} recordset writes from {CLIENTS} clients")
    sampler = Sampler(named, TIMEOUT)
    try:
        meter.start()
        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            for done in [pool.submit(write, index, sampler) for index in range(CLIENTS)]:
                done.result()
        finished = time.perf_counter()
        outcome.writes_cpu = meter.stop()
        values["writes"] = per_client * CLIENTS / (finished - start)
        active = wait_until(
            lambda: clients[0].count("recordsets", "PENDING") == 0,
            "every written recordset to be ACTIVE",
            sizes.settle_seconds,
        )
        values["writes_active"] = active - finished
        ms = sorted(seconds * 1000 for seconds in sampler.finish())
    finally:
        sampler.abort()
    values["bind_p50"] = statistics.median(ms)
    values["bind_p99"] = ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def zone_name(client: int, zone: int) -> str:
    return f"c{client}z{zone}.load.bench.example."


def settle(client: Client, zones: int, timeout: float) -> None:
    """Until all `zones` of the client's project are ACTIVE."""
    wait_until(lambda: client.count("zones", "ACTIVE") == zones,
               f"{zones} zones to be ACTIVE", timeout, poll=0.5)  # fmt: skip


# -- 3: convergence after an outage of BIND -----------------------------------------------


def measure_outage(
    clients: Sequence[Client],
    *,
    named: Named,
    sizes: Sizes,
    database_url: str,
    values: dict[str, float],
    outcome: Outcome,
) -> None:
    names = [f"o{index:04d}.outage.bench.example." for index in range(sizes.outage_zones)]
    progress.log(f"creating {len(names):,} zones for the outage")
    zones = in_parallel(clients, names, Client.create_zone)
    settle(clients[0], len(zones), sizes.settle_seconds)
    progress.log(f"{len(zones):,} zones ACTIVE; stopping BIND")

    named.stop()
    down = time.perf_counter()
    down_at = utcnow()
    in_parallel(
        clients, zones, lambda client, zone: client.create_recordset(zone, "new", "192.0.2.53")
    )
    serials = clients[0].serials()
    time.sleep(max(0.0, down + sizes.outage_seconds - time.perf_counter()))
    outcome.at_return = {s: clients[0].count("zones", s) for s in ("PENDING", "ERROR", "ACTIVE")}
    outcome.held = time.perf_counter() - down

    progress.log(f"BIND stopped for {outcome.held:.1f} s; starting it again")
    start = time.perf_counter()
    named.start()
    back, back_at = time.perf_counter(), utcnow()
    values["bind_start"] = back - start
    values["converged"] = wait_for_serials(named, serials, sizes.settle_seconds) - back
    progress.log(f"BIND serves every new serial {values['converged']:.1f} s after its return")
    active = wait_until(lambda: clients[0].count("zones", "ACTIVE") == len(zones),
                        "the outage's zones to be ACTIVE", sizes.settle_seconds)  # fmt: skip
    values["converged_active"] = active - back
    ids = [str(zone["id"]) for zone in zones]
    outcome.audit_pushes = timeline_count(database_url, ids, down_at, "producer", "drift found")
    outcome.worker_pushes = timeline_count(database_url, ids, back_at, "target", "pushed")
    log = since_restart(named)
    outcome.notified = sum(f"zone {name.rstrip('.')}/IN: notify from" in log for name in names)
    outcome.deferred = log.count("zone transfer deferred due to quota")


def wait_for_serials(named: Named, serials: dict[str, int], timeout: float) -> float:
    """perf_counter() once BIND serves every zone at its serial (the lagging asked again in
    turn); BenchError past `timeout`, naming one that lags."""
    waiting = dict(serials)
    deadline = time.perf_counter() + timeout
    while True:
        waiting = {
            zone: serial for zone, serial in waiting.items() if bind_serial(named, zone) != serial
        }
        if not waiting:
            return time.perf_counter()
        if time.perf_counter() > deadline:
            zone, serial = next(iter(waiting.items()))
            raise BenchError(f"after {timeout:.0f} s BIND still lags on {len(waiting)} zones, e.g. "
                             f"{zone} at {bind_serial(named, zone)}, not {serial}")  # fmt: skip
        time.sleep(0.05)


def timeline_count(
    database_url: str, zone_ids: list[str], since: datetime, role: str, event: str
) -> int:
    """Zones of `zone_ids` whose timeline has `event` by `role` since `since`."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            statement = select(func.count(func.distinct(ZoneEvent.zone_id))).where(
                ZoneEvent.zone_id.in_(zone_ids), ZoneEvent.role == role,
                ZoneEvent.event == event, ZoneEvent.at >= since,
            )  # fmt: skip
            return int(connection.execute(statement).scalar_one())
    finally:
        engine.dispose()


def cpu_groups(cluster: Cluster, named: Named, database_url: str) -> Groups:
    """The processes whose CPU the writes cost: each role, BIND, the run's PostgreSQL
    backends, the whole RabbitMQ broker and this benchmark (its clients and sampler)."""

    def groups() -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for role in cluster.roles:
            found.setdefault(f"zonefleet {role.name}", []).append(role.process.pid)
        found["named"] = [] if named.pid is None else [named.pid]
        found["PostgreSQL (the run's backends)"] = backends(database_url)
        found["RabbitMQ (the whole broker)"] = pids_named("beam.smp")
        found["this benchmark (clients, sampler)"] = [os.getpid()]
        return found

    return groups


def backends(database_url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the run's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            statement = text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [int(pid) for pid in connection.execute(statement).scalars()]
    finally:
        engine.dispose()


def since_restart(named: Named) -> str:
    """BIND's own log since its last start."""
    log = named.log()
    return log[log.rfind("starting BIND") :]


# -- the run ------------------------------------------------------------------------------


def measure(
    sizes: Sizes,
    *,
    workdir: Path,
    pg_url: str,
    logs: Path | None,
    values: dict[str, float],
    outcome: Outcome,
) -> None:
    """Fill `values` as measurements complete (so a failure still shows what was measured)."""
    with ExitStack() as stack:
        url = stack.enter_context(database("postgresql", workdir, pg_url))
        progress.log("database made; starting BIND and the cluster")
        named = Named(workdir / "named", "127.0.0.1", [], [])
        named.start()
        stack.callback(named.stop)
        if logs is not None:
            stack.callback(keep_logs, workdir, logs)
        cluster = stack.enter_context(running_cluster(workdir, url, named))
        pids = ", ".join(f"{role.name} {role.process.pid}" for role in cluster.roles)
        progress.log(f"cluster up: {pids}; named {named.pid}")
        try:
            meter = CpuMeter(cpu_groups(cluster, named, url))
            load = clients_of(stack, cluster, LOAD_PROJECT)
            measure_writes(load, named, sizes, values, meter=meter, outcome=outcome)
            outage = clients_of(stack, cluster, OUTAGE_PROJECT)
            measure_outage(
                outage, named=named, sizes=sizes, database_url=url, values=values, outcome=outcome
            )
        except BenchError as exc:
            tails = "\n".join(f"--- {r.log.name}:\n{log_tail(r.log)}" for r in cluster.roles)
            raise BenchError(f"{exc}\n{tails}") from None
        logged = [logged_summary(role) for role in cluster.roles if role.text()]
        if logged:
            progress.log("the cluster logged (--logs DIR keeps the logs): " + "; ".join(logged))


def logged_summary(role: Role) -> str:
    lines = role.text().splitlines()
    errors = sum(" ERROR " in line for line in lines)
    warnings = sum(" WARNING " in line for line in lines)
    return f"{role.log.name} {len(lines)} lines, {warnings} WARNING, {errors} ERROR"


def keep_logs(workdir: Path, logs: Path) -> None:
    logs.mkdir(parents=True, exist_ok=True)
    for log in [*workdir.glob("cluster/*.log"), workdir / "named" / "named.log"]:
        shutil.copy(log, logs / log.name)


# -- report -------------------------------------------------------------------------------


def caption(sizes: Sizes, outcome: Outcome) -> str:
    writes = sizes.writes // CLIENTS * CLIENTS
    text = (
        f"{writes:,} A-recordset creates, {writes // CLIENTS} per client, each client a thread "
        f"with its own keep-alive httpx2 client writing in {ZONES_PER_CLIENT} zones of its own "
        "(created and ACTIVE first); clients alternate between the 2 API processes. Every "
        f"{SAMPLE_EVERY}th write of each client is sampled: a separate sampler thread asks "
        f"BIND over UDP (every {SAMPLE_POLL * 1000:g} ms, in turn) until it answers the new "
        "address, timed from when the POST was sent. Outage: zones created and ACTIVE, "
        "`named` stopped, one recordset created per zone, `named` started again "
        f"{outcome.held:.1f} s after it stopped; convergence is timed from BIND answering rndc "
        "until its SOA of every zone has the serial the API reports. Workers: "
        "retry_backoff_max 5 s, other settings default (scan 2 s, retry budget 5, poll 10 s); "
        "targets: notify_timeout 1 s, rndc_timeout 3 s; producer: drift audit every 60 s. "
        "named as tests/integration/named.py configures it (transfers-in 100, "
        "transfers-per-ns 50: every zone transfers from the one mdns). "
    )
    if outcome.at_return:
        at_return = ", ".join(f"{count} {status}" for status, count in outcome.at_return.items())
        text += (
            f"At BIND's return the zones were {at_return}. What brought them back: the "
            f"workers' retries pushed {outcome.worker_pushes:,} of {sizes.outage_zones:,} "
            f"zones again after BIND's return and BIND logged a NOTIFY for {outcome.notified:,} "
            f"(it deferred {outcome.deferred:,} transfers for its quota); the drift audit pushed "
            f"{outcome.audit_pushes:,} of them (it audits ACTIVE zones only). "
        )
    return text + (
        "Designate 23 on this machine: its periodic recovery only retries zones stuck for more "
        "than 455 s, every 120 s. ✓/✗: target met/missed (a miss never fails the run)."
    )


def report(sizes: Sizes, values: dict[str, float], outcome: Outcome) -> Table:
    table = Table(
        title="Zonefleet cluster of real processes (2 api, 2 worker, mdns, producer) → BIND 9",
        caption=caption(sizes, outcome),
    )
    table.add_column("measurement")
    table.add_column("target")
    table.add_column("Zonefleet", justify="right")
    table.add_column("Designate 23, same machine", justify="right")
    for row in rows(sizes):
        table.add_row(row.label, target_text(row), cell(row, values), row.designate)
    return table


def cpu_report(sizes: Sizes, use: CpuUse) -> Table:
    writes = sizes.writes // CLIENTS * CLIENTS
    return use.table(
        f"Where the CPU went during the {writes:,} writes ({use.elapsed:.1f} s)",
        writes,
        "write",
        caption=f"CPU seconds from /proc over the writes; this machine has {os.cpu_count()} "
        "cores, and every process shares them. RabbitMQ is the machine's broker, so its "
        "figure includes whatever else it did meanwhile.",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI's small run")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL admin URL")
    parser.add_argument("--logs", type=Path, help="copy the processes' and named's logs here")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    values: dict[str, float] = {}
    outcome = Outcome()
    failure = ""
    with tempfile.TemporaryDirectory(prefix="zonefleet-bench-") as tmp:
        try:
            measure(
                sizes,
                workdir=Path(tmp),
                pg_url=args.pg_url,
                logs=args.logs,
                values=values,
                outcome=outcome,
            )
        except BROKEN as exc:
            failure = f"{type(exc).__name__}: {exc}"
    console.print(report(sizes, values, outcome))
    if outcome.writes_cpu is not None:
        console.print(cpu_report(sizes, outcome.writes_cpu))
    if failure:
        console.print(f"[red]cluster benchmark is broken:[/red] {failure}", highlight=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
