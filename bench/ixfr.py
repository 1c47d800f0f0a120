"""Benchmark of incremental transfers and zone creates: real BIND 9, Knot and PowerDNS.

Each kind of nameserver gets a run of its own (work directory, SQLite database,
`zonefleet serve`, a pool of that one server as target and nameserver), so one
kind's slow transfers never disturb another's figures. For each zone size a zone
is created through the API, filled in bulk and given to the server whole by a
first, untimed change. Then one-record changes are written through the API one
after another, each timed from the request until the server answers the new
record (asked over UDP every 0.5 ms), once with `mdns.ixfr` off, where every
change re-sends the whole zone as Designate does, and once with IXFR out of mdns.
How the changes
travelled is the server's own account, read from its log. Last, zones are
created back to back and timed until the server serves each: into BIND both by
rndc and by catalog zone, into Knot and into PowerDNS.
`--quick` is CI's small run.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import dns.exception
import dns.rcode
import httpx2
import pytest
from rich.console import Console
from rich.table import Table

from bench.cpu import CpuMeter, CpuUse, Groups
from bench.propagation import (
    POLL,
    TIMEOUT,
    Nameserver,
    Run,
    bulk_records,
    load_pools,
    record,
)
from bench.server import BenchError, environment, free_port, serving, upgrade_schema
from tests.integration.knot import Knot, knot_program
from tests.integration.named import CatalogConsumer, Named
from tests.integration.pdns import PowerDns

HOST = "127.0.0.1"
CREATE_THREADS = 4
TARGET_RECORDS, TARGET_MS = 100_000, 50.0
CATALOG, CATALOG_TARGET = "catalog.zonefleet.test.", 60.0  # zones/s into BIND by catalog zone
# A 100k-record zone sent whole takes 20 to 25 s here (mdns renders it, the server stores it),
# and PowerDNS may take a second copy first: the worker's poll gives up after 10 s and retries.
CHANGE_TIMEOUT = 180.0
console = Console()
if not console.is_terminal:
    console.width = max(console.width, 160)
progress = Console(stderr=True, style="dim")


@dataclass(frozen=True)
class Sizes:
    zone_records: tuple[int, ...]
    changes: int
    zone_creates: int


FULL = Sizes(zone_records=(10_000, 100_000), changes=50, zone_creates=200)
QUICK = Sizes(zone_records=(2_000,), changes=5, zone_creates=10)


class Server(Nameserver, Protocol):
    """A nameserver of tests/integration: Named, Knot or PowerDns."""

    @property
    def pid(self) -> int | None: ...

    def start(self) -> None: ...

    def log(self) -> str: ...


@dataclass(frozen=True)
class Transfer:
    """One incoming transfer as the server logged it."""

    style: str  # "IXFR", "AXFR", "AXFR-style IXFR", or "transfer" where the log does not say
    size: int
    unit: str  # "records" or "bytes"


@dataclass(frozen=True)
class Made:
    """A server not yet started, its target's pools.yaml options, and how to stop it."""

    server: Server
    options: str
    stop: Callable[[], None]
    pool: str = ""  # more of the pool's pools.yaml settings, one indented line each


@dataclass(frozen=True)
class Kind:
    type: str  # the pools.yaml `type`
    label: str
    settings: tuple[bool, ...]  # the `mdns.ixfr` values run, in order
    create_path: str | None  # how a new zone reaches the server; None: creates not measured
    make: Callable[[Path, int], Made]  # (its directory, mdns's port) → the server
    transfers: Callable[[str, str], list[Transfer]]  # (its log, zone) → transfers in order
    changes: bool = True  # False: zone creates only


@dataclass(frozen=True)
class Changes:
    kind: Kind
    records: int
    ixfr: bool
    values: dict[str, float]
    transfers: list[Transfer]  # those of the timed changes


@dataclass(frozen=True)
class Creates:
    kind: Kind
    count: int
    per_second: float
    values: dict[str, float]
    cpu: CpuUse  # from the first request until the last zone is served


# BIND 9.18: "transfer of 'z.example/IN' from 127.0.0.1#5354: Transfer completed: 1 messages,
# 5 records, 300 bytes, …". Its log at this level does not say whether it asked IXFR.
BIND_COMPLETED = re.compile(
    r"transfer of '([^/]+)/IN'.*Transfer completed: \d+ messages, (\d+) records"
)
# Knot 3.2: "[z.example.] IXFR, incoming, remote 127.0.0.1@5354, finished, 0.00 seconds,
# 1 messages, 233 bytes". An IXFR answered with the whole zone logs "IXFR, incoming, …,
# receiving AXFR-style IXFR", then "AXFR, incoming, … started" and "… finished, … N bytes".
KNOT_LINE = re.compile(
    r"\[([^\]]+)\] (AXFR|IXFR), incoming, remote [^,]+, "
    r"(?:(receiving AXFR-style IXFR)|finished, .*?(\d+) bytes)"
)
# PowerDNS 4.7: "XFR-in zone: 'z.example', primary: '127.0.0.1', starting IXFR" (AXFR for
# a zone it has no serial of), then "IXFR-in zone: …, got 1 delta, zone committed with
# serial 5", or "IXFR turned into an AXFR" and "AXFR-in zone: …, zone committed with serial
# 5". It logs no size: an IXFR's deltas are counted instead.
PDNS_LINE = re.compile(
    r"XFR-in zone: '([^']+)', primary: '[^']+', (?:starting (AXFR|IXFR)|(IXFR turned into an "
    r"AXFR)|(?:got (\d+) deltas?, )?zone committed)"
)


def bind_transfers(log: str, zone: str) -> list[Transfer]:
    name = zone.rstrip(".")
    return [
        Transfer("transfer", int(match.group(2)), "records")
        for match in BIND_COMPLETED.finditer(log)
        if match.group(1) == name
    ]


def knot_transfers(log: str, zone: str) -> list[Transfer]:
    transfers: list[Transfer] = []
    whole = False
    for match in KNOT_LINE.finditer(log):
        if match.group(1) != zone:
            continue
        if match.group(3):
            whole = True
            continue
        style = "AXFR-style IXFR" if whole else match.group(2)
        transfers.append(Transfer(style, int(match.group(4)), "bytes"))
        whole = False
    return transfers


def pdns_transfers(log: str, zone: str) -> list[Transfer]:
    name, style = zone.rstrip("."), ""
    transfers: list[Transfer] = []
    for match in PDNS_LINE.finditer(log):
        if match.group(1) != name:
            continue
        if match.group(2):
            style = match.group(2)
        elif match.group(3):
            style = "AXFR-style IXFR"
        elif match.group(4):
            transfers.append(Transfer(style, int(match.group(4)), "delta"))
        else:
            transfers.append(Transfer(style, 0, ""))
    return transfers


def make_bind(directory: Path, mdns_port: int) -> Made:
    named = Named(directory, HOST, [], [])
    options = (
        f"{{host: {HOST}, port: {named.port}, rndc_host: {HOST}, rndc_port: {named.rndc_port}, "
        f"rndc_key_file: {named.rndc_key_file}, rndc_timeout: 3, notify_timeout: 1}}"
    )
    return Made(named, options, named.stop)


def make_bind_catalog(directory: Path, mdns_port: int) -> Made:
    """A named consuming the pool's catalog zone from mdns: no rndc call per zone."""
    named = Named(directory, HOST, [], [], catalog=CatalogConsumer(CATALOG, HOST, mdns_port))
    options = (
        f"{{host: {HOST}, port: {named.port}, rndc_host: {HOST}, rndc_port: {named.rndc_port}, "
        f"rndc_key_file: {named.rndc_key_file}, notify_timeout: 1, consumes_catalog: true}}"
    )
    pool = f"  catalog_zone: {{catalog_zone_fqdn: {CATALOG}, catalog_zone_refresh: 60}}\n"
    return Made(named, options, named.stop, pool)


def make_knot(directory: Path, mdns_port: int) -> Made:
    knot = Knot(directory, HOST, [], zone_in_journal=True)
    options = (
        f"{{host: {HOST}, port: {knot.port}, knotc_path: {knot_program('knotc')}, "
        f'socket: "{knot.socket}", timeout: 5}}'
    )
    return Made(knot, options, knot.close)


def make_pdns(directory: Path, mdns_port: int) -> Made:
    pdns = PowerDns(directory, HOST)
    options = (
        f'{{host: {HOST}, port: {pdns.port}, api_endpoint: "{pdns.endpoint}", '
        f"api_token: {pdns.api_key}, api_timeout: 3}}"
    )
    return Made(pdns, options, pdns.stop)


# Off first, so the zone creates (run last, with IXFR on as shipped) leave no extra zones for
# the worker's scan and the server's refresh timers while changes are timed.
KINDS = (
    Kind("bind9", "BIND 9", (False, True), "rndc addzone", make_bind, bind_transfers),
    # Changes travel to a catalog consumer as to any BIND: only zone creates are timed.
    Kind("bind9", "BIND 9", (True,), "catalog zone", make_bind_catalog, bind_transfers, False),
    # Each zone in a knotc configuration transaction: knotd holds one for all its clients.
    Kind("knot", "Knot", (False, True), "knotc transaction", make_knot, knot_transfers),
    # The pdns4 driver sets each zone's IXFR metadata (gsqlite3 without DNSSEC queries here).
    Kind("pdns4", "PowerDNS", (False, True), "PowerDNS API", make_pdns, pdns_transfers),
)


def pool_yaml(kind: Kind, made: Made, mdns_port: int) -> str:
    """The default pool with the one server as its only target and nameserver."""
    server = made.server
    return f"""
- name: default
  description: {kind.label} under test
  ns_records:
    - {{hostname: ns1.zonefleet.test., priority: 1}}
  nameservers:
    - {{host: {server.host}, port: {server.port}}}
{made.pool}  targets:
    - type: {kind.type}
      description: {kind.label}
      masters: [{{host: {HOST}, port: {mdns_port}}}]
      options: {made.options}
"""


def wait_long(check: Callable[[], bool], what: str) -> float:
    """When `check()` first held, polled tightly; BenchError past CHANGE_TIMEOUT."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > CHANGE_TIMEOUT:
            raise BenchError(f"timed out after {CHANGE_TIMEOUT:.0f} s waiting for {what}")
        time.sleep(POLL)
    return time.perf_counter()


def change(run: Run, kind: Kind, zone_id: str, zone: str, index: int) -> float:
    """Seconds from one recordset create until the server answers it over UDP. Then waits
    for ACTIVE too, so that each change starts once the worker is done with the last."""
    name, address = f"host{index}.{zone}", f"10.0.{index // 250}.{index % 250 + 1}"
    start = time.perf_counter()
    response = run.api.post(
        f"/v2/zones/{zone_id}/recordsets", json={"name": name, "type": "A", "records": [address]}
    )
    if response.status_code != 202:
        raise BenchError(f"recordset create answered {response.status_code}: {response.text}")
    path = f"/v2/zones/{zone_id}/recordsets/{response.json()['id']}"

    def served() -> bool:
        try:
            answer = run.ask_bind(name, "A").answer
        except dns.exception.Timeout:
            return False  # a server busy storing a whole zone may drop a query
        return bool(answer) and answer[0][0].address == address

    served_at = wait_long(served, f"{kind.label} to serve {name}")
    wait_long(lambda: run.status(path) == "ACTIVE", f"{name} ACTIVE")
    return served_at - start


def changes(
    run: Run, server: Server, kind: Kind, size: int, count: int, *, ixfr: bool, database_url: str
) -> Changes:
    zone = f"z{size}-{'ixfr' if ixfr else 'axfr'}.example."
    zone_id, _, _ = run.zone_create(zone)
    bulk_records(database_url, zone_id, size)
    progress.print(f"{zone}: {size:,} records; {kind.label} takes them whole with the first change")
    change(run, kind, zone_id, zone, 0)  # the journal does not cover the bulk load: AXFR
    before = len(kind.transfers(server.log(), zone))
    served = [change(run, kind, zone_id, zone, index) for index in range(1, count + 1)]
    time.sleep(0.5)  # the last transfer's log line may follow its first answer
    values: dict[str, float] = {}
    record(values, "served", served)
    return Changes(kind, size, ixfr, values, kind.transfers(server.log(), zone)[before:])


def create_zones(
    base_url: str, names: list[str], sent: queue.SimpleQueue[tuple[str, float]]
) -> None:
    """POST each zone in turn on one keep-alive client; each (name, request time) once accepted."""
    with httpx2.Client(base_url=base_url, timeout=TIMEOUT) as api:
        for name in names:
            start = time.perf_counter()
            response = api.post("/v2/zones", json={"name": name, "email": "h@example.org"})
            if response.status_code != 202:
                raise BenchError(f"zone create answered {response.status_code}: {response.text}")
            sent.put((name, start))


def serves_soa(run: Run, name: str) -> bool:
    try:
        answer = run.ask_bind(name, "SOA")
    except dns.exception.Timeout:
        return False
    return answer.rcode() == dns.rcode.NOERROR and bool(answer.answer)


def watch_zones(
    run: Run, count: int, sent: queue.SimpleQueue[tuple[str, float]], posts: list[Future[None]]
) -> dict[str, tuple[float, float]]:
    """(request time, first served time) of every zone; BenchError if none comes for TIMEOUT."""
    pending: dict[str, float] = {}
    served: dict[str, tuple[float, float]] = {}
    last = time.perf_counter()
    while len(served) < count:
        for post in posts:
            if post.done() and (error := post.exception()) is not None:
                raise error
        while not sent.empty():
            name, start = sent.get()
            pending[name] = start
        for name in [name for name in pending if serves_soa(run, name)]:
            last = time.perf_counter()
            served[name] = (pending.pop(name), last)
        if time.perf_counter() - last > TIMEOUT:
            raise BenchError(f"{count - len(served)} of {count} new zones never served")
        time.sleep(POLL)
    return served


def zone_creates(run: Run, kind: Kind, base_url: str, count: int, meter: CpuMeter) -> Creates:
    names = [f"new{index}.example." for index in range(count)]
    sent: queue.SimpleQueue[tuple[str, float]] = queue.SimpleQueue()
    progress.print(f"{count} zone creates from {CREATE_THREADS} threads")
    meter.start()
    start = time.perf_counter()
    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        posts = [
            pool.submit(create_zones, base_url, names[first::CREATE_THREADS], sent)
            for first in range(CREATE_THREADS)
        ]
        served = watch_zones(run, count, sent, posts)
    cpu = meter.stop()
    elapsed = max(at for _, at in served.values()) - start
    values: dict[str, float] = {}
    record(values, "served", [at - sent_at for sent_at, at in served.values()])
    return Creates(kind, count, count / elapsed, values, cpu)


def cpu_groups(serve: int, nameserver: Server) -> Groups:
    """`zonefleet serve`, the nameserver, and this benchmark (its clients and poller)."""
    return lambda: {
        "serve": [serve],
        "server": [] if nameserver.pid is None else [nameserver.pid],
        "bench": [os.getpid()],
    }


def measure_kind(kind: Kind, sizes: Sizes, workdir: Path) -> tuple[list[Changes], Creates | None]:
    rows: list[Changes] = []
    creates: Creates | None = None
    workdir.mkdir()
    with ExitStack() as stack:
        mdns_port, api_port = free_port(), free_port()
        made = kind.make(workdir / kind.type, mdns_port)
        stack.callback(made.stop)
        made.server.start()
        database_url = f"sqlite:///{workdir / 'zonefleet.sqlite3'}"
        env = environment(database_url, workdir, api_port) | {
            "ZONEFLEET_MDNS__BIND": f"{HOST}:{mdns_port}",
            "ZONEFLEET_MDNS__ALLOW_TRANSFER": f"{HOST}/32",
            "ZONEFLEET_QUOTAS__ZONE_RECORDSETS": "-1",
            "ZONEFLEET_QUOTAS__ZONE_RECORDS": "-1",
        }
        upgrade_schema(env)
        pools = workdir / "pools.yaml"
        pools.write_text(pool_yaml(kind, made, mdns_port))
        load_pools(env, pools)
        for ixfr in kind.settings:
            progress.print(f"{kind.label}: mdns.ixfr = {str(ixfr).lower()}")
            run_env = env | {"ZONEFLEET_MDNS__IXFR": str(ixfr).lower()}
            with (
                serving(run_env, workdir) as server,
                httpx2.Client(base_url=server.base_url, timeout=TIMEOUT) as api,
            ):
                run = Run(api, made.server, mdns_port)
                rows += [
                    changes(run, made.server, kind, size, sizes.changes, ixfr=ixfr,
                            database_url=database_url)
                    for size in (sizes.zone_records if kind.changes else ())
                ]  # fmt: skip
                if ixfr and kind.create_path is not None:
                    meter = CpuMeter(cpu_groups(server.pid, made.server))
                    creates = zone_creates(run, kind, server.base_url, sizes.zone_creates, meter)
    return rows, creates


def summary(transfers: list[Transfer]) -> tuple[str, str]:
    """How many transfers of each style, and what each style carried, in the log's words."""
    styles = list(dict.fromkeys(transfer.style for transfer in transfers))
    counts, carried = [], []
    for style in styles:
        sizes = sorted(t.size for t in transfers if t.style == style)
        unit = next(t.unit for t in transfers if t.style == style)
        plural = "s" if style == "transfer" and len(sizes) > 1 else ""
        counts.append(f"{len(sizes)} {style}{plural}")
        span = f"{sizes[0]:,}" if sizes[0] == sizes[-1] else f"{sizes[0]:,} to {sizes[-1]:,}"
        unit += "s" if unit == "delta" and sizes[-1] != 1 else ""
        carried.append(f"{style}: {span} {unit}" if unit else f"{style}: size not logged")
    return (", ".join(counts), "; ".join(carried)) if transfers else ("none", "")


def duration(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def target(row: Changes) -> str:
    if row.records != TARGET_RECORDS or not row.ixfr:
        return ""
    met = row.values["served_p50"] <= TARGET_MS
    return f"p50 ≤ {TARGET_MS:.0f} ms {'✓' if met else '✗'}"


def changes_table(sizes: Sizes, rows: list[Changes]) -> Table:
    table = Table(
        title="Zonefleet IXFR: one-record change in a large zone → BIND 9, Knot and PowerDNS "
        "serve it",
        caption=f"One run per server kind (own work directory, SQLite database, `zonefleet "
        "serve`, pool of that one server as target and nameserver). Per row: a zone created "
        "through the API, filled in bulk, given to the server whole by an untimed first change; "
        f"then {sizes.changes} sequential recordset creates (each written once the last is "
        "ACTIVE), each timed from the API request until the server answers the record over UDP "
        "(asked every 0.5 ms). mdns.ixfr off: `zonefleet serve` restarted with "
        "ZONEFLEET_MDNS__IXFR=false, every IXFR answered with the whole zone. Transfers: the "
        "server's own log for those changes (BIND: 'Transfer completed: … N records'; Knot: "
        "'IXFR|AXFR, incoming … finished … N bytes', 'receiving AXFR-style IXFR'; PowerDNS: "
        "'starting IXFR', 'got N delta, zone committed', 'IXFR turned into an AXFR', no size "
        "logged; the driver set each zone's IXFR metadata, as PowerDNS runs gsqlite3 without "
        "DNSSEC queries). Target: one change in a 100k-record zone "
        f"served p50 ≤ {TARGET_MS:.0f} ms on every kind; measured limit here with BIND and "
        "IXFR 14 to 17 ms, with a full AXFR of 100k records about 5 s.",
    )
    for column in ("server", "zone records", "mdns.ixfr", "p50", "p90", "target"):
        table.add_column(column, justify="left" if column == "server" else "right")
    table.add_column("transfers (server's log)")
    table.add_column("each carried")
    for row in rows:
        count, carried = summary(row.transfers)
        setting = "on" if row.ixfr else "off"
        table.add_row(
            row.kind.label, f"{row.records:,}", setting,
            duration(row.values["served_p50"]), duration(row.values["served_p90"]),
            target(row), count, carried,
        )  # fmt: skip
    return table


def creates_table(sizes: Sizes, creates: list[Creates]) -> Table:
    table = Table(
        title="Zonefleet zone creates → the server serves them",
        caption=f"{sizes.zone_creates} zones POSTed to /v2/zones back to back from "
        f"{CREATE_THREADS} threads (each its own keep-alive client) through `zonefleet serve` "
        "(SQLite, mdns.ixfr on), after the change rows of the same run; zones/s = zones ÷ "
        "(first request → last zone's SOA answered NOERROR by the server over UDP, every pending "
        "zone asked in turn, every 0.5 ms); p50/p90 per zone from its own request. By catalog zone "
        "the worker makes no rndc call: a create adds the zone's entry to the pool's catalog, the "
        "worker NOTIFYs BIND of the catalog's change, BIND takes the catalog by IXFR and then the "
        "new zone by AXFR. Knot: each zone in a knotc configuration transaction, which knotd "
        "holds one at a time, so the worker's threads take turns. CPU per zone: user + system "
        "seconds from /proc of `zonefleet serve`, of the server, and of this benchmark's clients "
        "and poller over the batch, cores used in brackets (every process shares the machine's "
        f"{os.cpu_count()}). Target: BIND by catalog zone ≥ {CATALOG_TARGET:.0f} zones/s "
        "(measured BIND limit 56 to 85/s).",
    )
    columns = ("server", "path", "zones", "zones/s", "p50", "p90",
               "serve CPU/zone", "server CPU/zone", "bench CPU/zone", "target")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("server", "path") else "right")
    for create in creates:
        target = ""
        if create.kind.make is make_bind_catalog:
            met = create.per_second >= CATALOG_TARGET
            target = f"≥ {CATALOG_TARGET:.0f}/s {'✓' if met else '✗'}"
        table.add_row(
            create.kind.label, create.kind.create_path, str(create.count),
            f"{create.per_second:.1f}", f"{create.values['served_p50']:.0f} ms",
            f"{create.values['served_p90']:.0f} ms",
            *(cpu_cell(create, group) for group in ("serve", "server", "bench")), target,
        )  # fmt: skip
    return table


def cpu_cell(create: Creates, group: str) -> str:
    seconds = create.cpu.seconds[group]
    return f"{seconds / create.count * 1000:.1f} ms ({seconds / create.cpu.elapsed:.2f})"


def measure(
    sizes: Sizes, workdir: Path, *, creates_only: bool = False
) -> tuple[list[Changes], list[Creates]]:
    rows: list[Changes] = []
    creates: list[Creates] = []
    for number, each in enumerate(KINDS):
        # Zone creates alone: one run per kind, with IXFR on as shipped, and no changes.
        kind = replace(each, settings=(True,), changes=False) if creates_only else each
        kind_rows, kind_creates = measure_kind(kind, sizes, workdir / f"{number}-{kind.type}")
        rows += sorted(kind_rows, key=lambda row: (row.records, not row.ixfr))
        creates += [] if kind_creates is None else [kind_creates]
    return rows, creates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ixfr", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI's small run")
    parser.add_argument("--logs", type=Path, help="copy each server's and zonefleet's log here")
    parser.add_argument(
        "--creates-only", action="store_true", help="measure the zone creates, not the changes"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="zonefleet-bench-") as tmp:
        try:
            rows, creates = measure(sizes, Path(tmp), creates_only=args.creates_only)
        except (
            BenchError, httpx2.HTTPError, OSError, subprocess.SubprocessError,
            dns.exception.DNSException, pytest.fail.Exception,
        ) as exc:  # fmt: skip
            console.print(f"[red]IXFR benchmark is broken:[/red] {exc}", highlight=False)
            return 1
        finally:
            if args.logs is not None:
                keep_logs(Path(tmp), args.logs)
    if rows:
        console.print(changes_table(sizes, rows))
    console.print(creates_table(sizes, creates))
    return 0


def keep_logs(workdir: Path, logs: Path) -> None:
    """Every *.log of the run, named by the kind's directory it came from."""
    logs.mkdir(parents=True, exist_ok=True)
    for log in workdir.glob("*/**/*.log"):
        shutil.copy(log, logs / f"{log.relative_to(workdir).parts[0]}-{log.name}")


if __name__ == "__main__":
    sys.exit(main())
