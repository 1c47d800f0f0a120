"""Benchmark of propagation: a real `zonefleet serve` pushing to a real BIND9.

Measures, from the moment an API write is sent: when BIND answers the new data
(asked over UDP in a tight loop) and when the API shows it ACTIVE; the same for
zone creation with BIND's SOA; and AXFR out of mdns of a large zone, cold (first
render) and warm (from the cache), counting records from message headers so the
client's parsing does not limit the figure. `--quick` is CI's small run.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import dns.message
import dns.query
import dns.rcode
import httpx2
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, create_engine, insert, select, update

from bench.server import (
    BenchError,
    environment,
    free_port,
    serving,
    upgrade_schema,
    zonefleet_command,
)
from tests.integration.named import Named, bind_pool_yaml
from zonefleet.service.changes import record_hash
from zonefleet.storage.models import Action, Record, Recordset, Status, Zone

TIMEOUT = 30.0
POLL = 0.0005
console = Console()
if not console.is_terminal:
    console.width = max(console.width, 132)
progress = Console(stderr=True, style="dim")


@dataclass(frozen=True)
class Sizes:
    changes: int
    zones: int
    axfr_records: int


FULL = Sizes(changes=200, zones=50, axfr_records=100_000)
QUICK = Sizes(changes=20, zones=5, axfr_records=2_000)


def wait(check: Callable[[], bool], what: str) -> float:
    """Seconds until `check()` holds, polled tightly; BenchError past TIMEOUT."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > TIMEOUT:
            raise BenchError(f"timed out waiting for {what}")
        time.sleep(POLL)
    return time.perf_counter()


class Nameserver(Protocol):
    """What `Run` asks over UDP: a Named, a Knot or a PowerDns of tests/integration."""

    host: str
    port: int


class Run:
    def __init__(self, api: httpx2.Client, named: Nameserver, mdns_port: int) -> None:
        self.api = api
        self.named = named
        self.mdns_port = mdns_port

    def ask_bind(self, name: str, rdtype: str) -> dns.message.Message:
        query = dns.message.make_query(name, rdtype)
        return dns.query.udp(query, self.named.host, port=self.named.port, timeout=1)

    def status(self, path: str) -> str:
        return str(self.api.get(path).json()["status"])

    def zone_create(self, name: str) -> tuple[str, float, float]:
        start = time.perf_counter()
        response = self.api.post("/v2/zones", json={"name": name, "email": "h@example.org"})
        if response.status_code != 202:
            raise BenchError(f"zone create answered {response.status_code}: {response.text}")
        zone_id = str(response.json()["id"])
        served = wait(
            lambda: self.ask_bind(name, "SOA").rcode() == dns.rcode.NOERROR, f"BIND to serve {name}"
        )
        active = wait(lambda: self.status(f"/v2/zones/{zone_id}") == "ACTIVE", f"{name} ACTIVE")
        return zone_id, served - start, active - start

    def recordset_write(self, zone_id: str, zone: str, index: int) -> tuple[float, float]:
        name, address = f"host{index}.{zone}", f"10.0.{index // 250}.{index % 250 + 1}"
        start = time.perf_counter()
        response = self.api.post(
            f"/v2/zones/{zone_id}/recordsets",
            json={"name": name, "type": "A", "records": [address]},
        )
        if response.status_code != 202:
            raise BenchError(f"recordset create answered {response.status_code}: {response.text}")
        path = f"/v2/zones/{zone_id}/recordsets/{response.json()['id']}"

        def served() -> bool:
            answer = self.ask_bind(name, "A").answer
            return bool(answer) and answer[0][0].address == address

        served_at = wait(served, f"BIND to serve {name}")
        active_at = wait(lambda: self.status(path) == "ACTIVE", f"{name} ACTIVE")
        return served_at - start, active_at - start


def axfr_records_per_second(host: str, port: int, zone: str, expected: int) -> float:
    """One AXFR over TCP, records counted from each message's ANCOUNT (no parsing)."""
    query = dns.message.make_query(zone, "AXFR").to_wire()
    start = time.perf_counter()
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(struct.pack("!H", len(query)) + query)
        stream = sock.makefile("rb")
        records = 0
        while records < expected:
            header = stream.read(2)
            if len(header) < 2:
                raise BenchError(f"AXFR ended after {records} of {expected} records")
            message = stream.read(struct.unpack("!H", header)[0])
            if message[3] & 0x0F:
                raise BenchError(f"AXFR refused: rcode {message[3] & 0x0F}")
            records += struct.unpack("!H", message[6:8])[0]
    return records / (time.perf_counter() - start)


def bulk_records(database_url: str, zone_id: str, count: int) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        zone = connection.execute(select(Zone).where(Zone.id == zone_id)).one()
        for first in range(0, count, 5000):
            recordsets, records = [], []
            for index in range(first, min(first + 5000, count)):
                recordset_id = str(uuid.uuid4())
                data = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
                recordsets.append({
                    "id": recordset_id, "zone_id": zone_id, "project_id": zone.project_id,
                    "name": f"bulk{index}.{zone.name}", "type": "A", "ttl": None,
                    "serial": zone.serial, "status": Status.ACTIVE, "action": Action.NONE,
                    "managed": False, "version": 1,
                })  # fmt: skip
                records.append({
                    "id": str(uuid.uuid4()), "recordset_id": recordset_id, "zone_id": zone_id,
                    "data": data, "hash": record_hash(data),
                })  # fmt: skip
            connection.execute(insert(Recordset), recordsets)
            connection.execute(insert(Record), records)
        bump_serial(connection, zone_id, zone.serial + 1)
    engine.dispose()


def bump_serial(connection: Connection, zone_id: str, serial: int) -> None:
    """A new serial written by SQL, SOA included, as a write would, but with no NOTIFY:
    BIND does not fetch it, so the first AXFR measured is mdns's first render."""
    soa_id = connection.execute(
        select(Recordset.id).where(Recordset.zone_id == zone_id, Recordset.type == "SOA")
    ).scalar_one()
    data = connection.execute(select(Record.data).where(Record.recordset_id == soa_id)).scalar_one()
    fields = data.split()
    fields[2] = str(serial)
    soa = " ".join(fields)
    connection.execute(
        update(Record).where(Record.recordset_id == soa_id).values(data=soa, hash=record_hash(soa))
    )
    connection.execute(update(Zone).where(Zone.id == zone_id).values(serial=serial))


def measure(sizes: Sizes, workdir: Path, *, timeline: bool = True) -> dict[str, float]:
    values: dict[str, float] = {}
    with ExitStack() as stack:
        named = Named(workdir / "named", "127.0.0.1", [], [])
        named.start()
        stack.callback(named.stop)
        mdns_port, api_port = free_port(), free_port()
        database_url = f"sqlite:///{workdir / 'zonefleet.sqlite3'}"
        env = environment(database_url, workdir, api_port, timeline=timeline) | {
            "ZONEFLEET_MDNS__BIND": f"127.0.0.1:{mdns_port}",
            "ZONEFLEET_MDNS__ALLOW_TRANSFER": "127.0.0.1/32",
            "ZONEFLEET_QUOTAS__ZONE_RECORDSETS": "-1",
            "ZONEFLEET_QUOTAS__ZONE_RECORDS": "-1",
        }
        upgrade_schema(env)
        pools = workdir / "pools.yaml"
        pools.write_text(bind_pool_yaml([named], "127.0.0.1", mdns_port))
        load_pools(env, pools)
        server = stack.enter_context(serving(env, workdir))
        api = stack.enter_context(httpx2.Client(base_url=server.base_url, timeout=TIMEOUT))
        run = Run(api, named, mdns_port)
        zone_times = [run.zone_create(f"bench{i}.example.") for i in range(sizes.zones)]
        record(values, "zone_bind", [served for _, served, _ in zone_times])
        record(values, "zone_active", [active for _, _, active in zone_times])
        zone_id = zone_times[0][0]
        writes = [run.recordset_write(zone_id, "bench0.example.", i) for i in range(sizes.changes)]
        record(values, "write_bind", [served for served, _ in writes])
        record(values, "write_active", [active for _, active in writes])
        big_id, _, _ = run.zone_create("big.example.")
        bulk_records(database_url, big_id, sizes.axfr_records)
        expected = sizes.axfr_records + 3  # the bulk, the apex NS, the SOA twice
        values["axfr_cold"] = axfr_records_per_second(
            "127.0.0.1", mdns_port, "big.example.", expected
        )
        values["axfr_warm"] = max(
            axfr_records_per_second("127.0.0.1", mdns_port, "big.example.", expected)
            for _ in range(3)
        )
    return values


def load_pools(env: dict[str, str], path: Path) -> None:
    done = subprocess.run(
        [zonefleet_command(), "pool", "update", "--file", str(path)],
        env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(
            f"`zonefleet pool update` exited {done.returncode}: {done.stdout}{done.stderr}"
        )


def record(values: dict[str, float], key: str, seconds: list[float]) -> None:
    ms = sorted(value * 1000 for value in seconds)
    values[f"{key}_p50"] = statistics.median(ms)
    values[f"{key}_p90"] = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    values[f"{key}_p99"] = ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def report(sizes: Sizes, values: dict[str, float]) -> Table:
    table = Table(
        title="Zonefleet propagation: `zonefleet serve` (SQLite) → BIND 9 "
        "(rndc, NOTIFY, transfers from mdns)",
        caption=f"{sizes.changes} recordset creates in one zone and {sizes.zones} zone creates, "
        "sequential, timed from the API request; BIND asked over UDP every 0.5 ms; ACTIVE read "
        f"from the API. AXFR: a {sizes.axfr_records:,}-record zone, records counted from headers. "
        "Designate 23 on this machine: 3.1 s median to BIND, 8.1 s to ACTIVE; 10k-record AXFR "
        "in 1.95 s.",
    )
    for column in ("measurement", "p50", "p90", "p99", "target"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for key, label, target in (
        ("write_bind", "recordset write → BIND serves it", "p50 ≤ 30 ms, p99 ≤ 250 ms"),
        ("write_active", "recordset write → ACTIVE", "p50 ≤ 50 ms"),
        ("zone_bind", "zone create → BIND serves its SOA", ""),
        ("zone_active", "zone create → ACTIVE", ""),
    ):
        table.add_row(
            label, *(f"{values[f'{key}_{p}']:.1f} ms" for p in ("p50", "p90", "p99")), target
        )
    table.add_row(
        "AXFR cold (first render)", f"{values['axfr_cold']:,.0f} rec/s", "", "", "≥ 10,000 rec/s"
    )
    table.add_row(
        "AXFR warm (cached)", f"{values['axfr_warm']:,.0f} rec/s", "", "", "≥ 150,000 rec/s"
    )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.propagation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI's small run")
    parser.add_argument(
        "--no-timeline", action="store_true", help="the server writes no zone timelines"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="zonefleet-bench-") as tmp:
        try:
            values = measure(sizes, Path(tmp), timeline=not args.no_timeline)
        except (BenchError, httpx2.HTTPError, OSError) as exc:
            console.print(f"[red]propagation benchmark is broken:[/red] {exc}", highlight=False)
            return 1
    console.print(report(sizes, values))
    if args.no_timeline:
        console.print("The server ran with timeline.enabled = false.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
