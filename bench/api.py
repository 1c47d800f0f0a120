"""Benchmark of the v2 API: a real `zonefleet serve`, driven by one sequential keep-alive client.

`python -m bench.api` measures SQLite and PostgreSQL with 100,000 bulk-loaded zones;
`--quick` is CI's small run. `main(argv)` returns the exit code: non-zero only when
something is broken (an HTTP error, a wrong total_count), never for a missed target.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bench.bulkload import EMAIL, bulk_load, project_id, zones_in_project
from bench.cpu import CpuMeter
from bench.server import (
    BenchError,
    database,
    environment,
    free_port,
    log_tail,
    serving,
    upgrade_schema,
)

ENGINES = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CREATOR_PROJECT = "zonefleet-bench-creator"
RECORDSETS_PER_ZONE = 100  # well under the default quota of 500 recordsets per zone
WARMUP = 3
TIMEOUT = 120.0
SETTLE_SECONDS = 120.0
BROKEN = (BenchError, httpx2.HTTPError, SQLAlchemyError, OSError)

console = Console()
if not console.is_terminal:
    console.width = max(console.width, 132)  # a CI log should not wrap the table
progress = Console(stderr=True, style="dim")


@dataclass(frozen=True)
class Sizes:
    zones: int
    projects: int
    creates: int
    samples: int  # requests per latency measurement
    big_samples: int  # requests per latency measurement of a page of 1000


FULL = Sizes(zones=100_000, projects=100, creates=1000, samples=200, big_samples=50)
QUICK = Sizes(zones=200, projects=10, creates=50, samples=20, big_samples=5)


@dataclass(frozen=True)
class Target:
    bound: float
    at_least: bool  # True: a rate to reach; False: a latency not to exceed

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str  # "/s", "ms" or "s"
    target: Target | None = None
    designate: str = ""


ROWS = (
    Row("recordset_creates", "recordset creates (POST /v2/zones/{id}/recordsets, A)", "/s",
        Target(300, at_least=True), "12.8/s"),
    Row("zone_creates", "zone creates (POST /v2/zones)", "/s", Target(200, at_least=True), "2.3/s"),
    Row("recordset_create_cpu", "the server's CPU per recordset create", "ms"),
    Row("zone_create_cpu", "the server's CPU per zone create", "ms"),
    Row("project_20_median", "GET ?limit=20, one project: median", "ms",
        Target(10, at_least=False), "165 ms at only 200 zones"),
    Row("project_20_p95", "GET ?limit=20, one project: p95", "ms"),
    Row("project_1000_median", "GET ?limit=1000, one project: median", "ms"),
    Row("project_1000_p95", "GET ?limit=1000, one project: p95", "ms"),
    Row("all_20_median", "GET ?limit=20, all projects, total_count: median", "ms",
        Target(50, at_least=False)),
    Row("all_20_p95", "GET ?limit=20, all projects, total_count: p95", "ms"),
    Row("settled", "then until every created zone and recordset is ACTIVE", "s"),
    Row("bulk_load", "bulk load by SQL (setup, not timed API)", "s"),
    Row("wall", "wall time of this engine's run", "s"),
)  # fmt: skip


class Driver:
    """One keep-alive client; requests go one after another, each timed until its body is read."""

    def __init__(self, client: httpx2.Client) -> None:
        self.client = client

    def call(
        self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
    ) -> tuple[float, dict[str, Any]]:
        start = time.perf_counter()
        response = self.client.request(method, path, headers=headers, json=body)
        elapsed = time.perf_counter() - start
        if not response.is_success:
            raise BenchError(
                f"{method} {path} answered {response.status_code}: {response.text[:500]}"
            )
        try:
            decoded: dict[str, Any] = response.json()
        except json.JSONDecodeError:
            raise BenchError(f"{method} {path} answered non-JSON: {response.text[:200]}") from None
        return elapsed, decoded


# -- list latency -------------------------------------------------------------------------


def project_headers(project: str) -> dict[str, str]:
    return {"X-Auth-Project-ID": project}


def all_projects_headers() -> dict[str, str]:
    return {"X-Auth-Project-ID": CREATOR_PROJECT, "X-Auth-All-Projects": "true"}


def check_page(body: dict[str, Any], what: str, count: int, total: int) -> list[dict[str, Any]]:
    zones: list[dict[str, Any]] = body.get("zones", [])
    found_total = body.get("metadata", {}).get("total_count")
    if len(zones) != count:
        raise BenchError(f"{what}: {len(zones)} zones on the page, expected {count}")
    if found_total != total:
        raise BenchError(f"{what}: metadata.total_count is {found_total}, expected {total}")
    return zones


def project_page(driver: Driver, sizes: Sizes, project: int, limit: int) -> float:
    """One project's first page; checks its size, total_count and that nothing else leaks in."""
    owner = project_id(project)
    path = f"/v2/zones?limit={limit}"
    elapsed, body = driver.call("GET", path, project_headers(owner))
    expected = zones_in_project(sizes.zones, sizes.projects, project)
    zones = check_page(body, f"{path} of project {owner}", min(limit, expected), expected)
    if any(zone.get("project_id") != owner for zone in zones):
        raise BenchError(f"{path} of project {owner} lists another project's zones")
    return elapsed


def all_projects_page(driver: Driver, sizes: Sizes) -> float:
    elapsed, body = driver.call("GET", "/v2/zones?limit=20", all_projects_headers())
    check_page(body, "all-projects /v2/zones?limit=20", min(20, sizes.zones), sizes.zones)
    return elapsed


def latencies(measure: Callable[[int], float], samples: int) -> list[float]:
    for index in range(WARMUP):
        measure(index)
    return [measure(index) for index in range(samples)]


def record_latencies(values: dict[str, float], key: str, seconds: Sequence[float]) -> None:
    millis = [second * 1000 for second in seconds]
    values[f"{key}_median"] = statistics.median(millis)
    values[f"{key}_p95"] = statistics.quantiles(millis, n=100, method="inclusive")[94]


def measure_lists(driver: Driver, sizes: Sizes, values: dict[str, float]) -> None:
    def page(limit: int) -> Callable[[int], float]:
        return lambda index: project_page(driver, sizes, index % sizes.projects, limit)

    record_latencies(values, "project_20", latencies(page(20), sizes.samples))
    record_latencies(values, "project_1000", latencies(page(1000), sizes.big_samples))
    all_20 = latencies(lambda _: all_projects_page(driver, sizes), sizes.samples)
    record_latencies(values, "all_20", all_20)


# -- create rates -------------------------------------------------------------------------


def create_zone(driver: Driver, name: str) -> tuple[str, str]:
    body = {"name": name, "email": EMAIL}
    _, zone = driver.call("POST", "/v2/zones", project_headers(CREATOR_PROJECT), body)
    return str(zone["id"]), str(zone["name"])


def create_recordset(driver: Driver, zone: tuple[str, str], label: str, index: int) -> None:
    zone_id, zone_name = zone
    body = {"name": f"{label}.{zone_name}", "type": "A", "records": [f"192.0.2.{index % 250}"]}
    path = f"/v2/zones/{zone_id}/recordsets"
    driver.call("POST", path, project_headers(CREATOR_PROJECT), body)


def measure_creates(driver: Driver, sizes: Sizes, values: dict[str, float], server: int) -> None:
    """Zones first (their rate), then recordsets spread round-robin over the first few of them;
    with each rate, the server process's CPU per create (user + system, from /proc)."""
    meter = CpuMeter(lambda: {"server": [server]})
    create_zone(driver, "warmup.creates.example.")
    meter.start()
    start = time.perf_counter()
    zones = [create_zone(driver, f"zone{i:06d}.creates.example.") for i in range(sizes.creates)]
    values["zone_creates"] = sizes.creates / (time.perf_counter() - start)
    values["zone_create_cpu"] = meter.stop().seconds["server"] / sizes.creates * 1000
    targets = zones[: math.ceil(sizes.creates / RECORDSETS_PER_ZONE)]
    create_recordset(driver, targets[0], "warmup", 0)
    meter.start()
    start = time.perf_counter()
    for index in range(sizes.creates):
        create_recordset(driver, targets[index % len(targets)], f"host{index}", index)
    values["recordset_creates"] = sizes.creates / (time.perf_counter() - start)
    values["recordset_create_cpu"] = meter.stop().seconds["server"] / sizes.creates * 1000


def pending(driver: Driver, resource: str) -> int:
    _, body = driver.call(
        "GET", f"/v2/{resource}?status=PENDING&limit=1", project_headers(CREATOR_PROJECT)
    )
    return int(body.get("metadata", {}).get("total_count") or 0)


def measure_settling(driver: Driver, values: dict[str, float]) -> None:
    """The worker's rounds run beside the creates in the same process; this shows whether
    it kept up (it must take every zone and recordset to ACTIVE, not only accept writes)."""
    start = time.perf_counter()
    while pending(driver, "zones") or pending(driver, "recordsets"):
        if time.perf_counter() - start > SETTLE_SECONDS:
            raise BenchError(f"created zones still PENDING after {SETTLE_SECONDS:.0f} s")
        time.sleep(0.05)
    values["settled"] = time.perf_counter() - start


# -- one engine ---------------------------------------------------------------------------


def run_engine(
    engine: str,
    sizes: Sizes,
    pg_url: str,
    values: dict[str, float],
    *,
    timeline: bool = True,
    role: str = "serve",
) -> None:
    """Fill `values` as measurements complete (so a failure still shows what was measured)."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zonefleet-bench-")))
        url = stack.enter_context(database(engine, workdir, pg_url))
        env = environment(url, workdir, free_port(), timeline=timeline)
        upgrade_schema(env)
        progress.print(f"{engine}: bulk-loading {sizes.zones:,} zones by SQL")
        start = time.perf_counter()
        bulk_load(url, sizes.zones, sizes.projects)
        values["bulk_load"] = time.perf_counter() - start
        server = stack.enter_context(serving(env, workdir, role))
        progress.print(f"{engine}: `zonefleet {role}` is pid {server.pid} at {server.base_url}")
        client = stack.enter_context(httpx2.Client(base_url=server.base_url, timeout=TIMEOUT))
        try:
            measure_lists(Driver(client), sizes, values)
            progress.print(f"{engine}: creating {sizes.creates:,} zones, then recordsets")
            measure_creates(Driver(client), sizes, values, server.pid)
            if role == "serve":  # `zonefleet api` alone runs no worker: nothing settles
                measure_settling(Driver(client), values)
        except BenchError as exc:
            tail = log_tail(server.log)
            raise BenchError(f"{exc}\nserver log:\n{tail}" if tail else str(exc)) from None
        if warnings := log_tail(server.log):
            progress.print(f"{engine}: the server logged:\n{warnings}")


# -- report -------------------------------------------------------------------------------


def shown(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.1f}/s"
    return f"{value:,.2f} ms" if unit == "ms" else f"{value:,.1f} s"


def cell(row: Row, values: dict[str, float]) -> str:
    if row.key not in values:
        return "[red]—[/red]"
    text = shown(values[row.key], row.unit)
    if row.target is None:
        return text
    return f"{text} [green]✓[/green]" if row.target.met(values[row.key]) else f"{text} [red]✗[/red]"


def target_text(row: Row) -> str:
    if row.target is None:
        return ""
    sign = "≥" if row.target.at_least else "≤"
    return (
        f"{sign} {row.target.bound:g}{row.unit}"
        if row.unit == "/s"
        else f"{sign} {row.target.bound:g} {row.unit}"
    )


def report(sizes: Sizes, results: dict[str, dict[str, float]], role: str = "serve") -> Table:
    table = Table(
        title=f"Zonefleet v2 API: {sizes.zones:,} zones bulk-loaded by SQL (not through the API) "
        f"across {sizes.projects} projects",
        caption=f"One keep-alive httpx2 client, sequential requests, against `zonefleet {role}`"
        + (" (the API alone: no worker, mdns or producer beside it). " if role == "api" else ". ")
        + f"Latency: {sizes.samples} requests per row ({sizes.big_samples} for a page of 1000), "
        f"rotating over the projects, after {WARMUP} warm-up requests. Creates: {sizes.creates:,} "
        "each, made after the list measurements, on top of the loaded zones; the server's CPU "
        "per create is its process's user + system time from /proc over them (in `serve` it "
        "includes the worker's rounds and mdns's answers for them). "
        "✓/✗: target met/missed (a miss never fails the run).",
    )
    table.add_column("measurement")
    table.add_column("target")
    for engine in results:
        table.add_column(engine, justify="right")
    table.add_column("Designate 23, same machine", justify="right")
    for row in ROWS:
        engine_cells = [cell(row, values) for values in results.values()]
        table.add_row(row.label, target_text(row), *engine_cells, row.designate)
    return table


# -- command line -------------------------------------------------------------------------


def engines(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(chosen) - set(ENGINES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {','.join(ENGINES)}; got {text!r}")
    return chosen


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI's tiny run (SQLite unless told)")
    parser.add_argument("--engines", type=engines, help="comma list of: " + ",".join(ENGINES))
    parser.add_argument("--zones", type=positive, help="zones bulk-loaded (default 100000)")
    parser.add_argument("--projects", type=positive, help="projects they span (default 100)")
    parser.add_argument("--creates", type=positive, help="zone and recordset creates (1000)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL admin URL")
    parser.add_argument(
        "--no-timeline", action="store_true", help="the server writes no zone timelines"
    )
    parser.add_argument(
        "--role",
        choices=("serve", "api"),
        default="serve",
        help="run `zonefleet serve` (default) or `zonefleet api` alone, to see what the API "
        "costs without the worker, mdns and producer sharing its process",
    )
    return parser


def sizes_from(args: argparse.Namespace) -> Sizes:
    base = QUICK if args.quick else FULL
    return Sizes(
        zones=args.zones or base.zones,
        projects=args.projects or base.projects,
        creates=args.creates or base.creates,
        samples=base.samples,
        big_samples=base.big_samples,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    sizes = sizes_from(args)
    if sizes.projects > sizes.zones:
        parser().error("--projects may not exceed --zones")
    chosen: tuple[str, ...] = args.engines or (("sqlite",) if args.quick else ENGINES)
    results: dict[str, dict[str, float]] = {}
    failures: dict[str, str] = {}
    for engine in chosen:
        values = results[engine] = {}
        start = time.perf_counter()
        try:
            run_engine(
                engine, sizes, args.pg_url, values, timeline=not args.no_timeline, role=args.role
            )
        except BROKEN as exc:
            failures[engine] = f"{type(exc).__name__}: {exc}"
        values["wall"] = time.perf_counter() - start
    console.print(report(sizes, results, args.role))
    if args.no_timeline:
        console.print("The server ran with timeline.enabled = false.")
    for engine, failure in failures.items():
        console.print(f"[red]{engine} is broken:[/red] {failure}", highlight=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
