"""Benchmark of incremental transfers: one-record changes to large zones, to a real BIND9.

For each zone size a zone is created through the API and filled in bulk, and
BIND is given all of it once. Then one-record changes are written through the
API one after another, each timed from the request until BIND answers the new
record (asked over UDP every 0.5 ms). The run is made twice against the same
database: with IXFR out of mdns, and with `mdns.ixfr` off, where every change
re-sends the whole zone as Designate does. How the records reached BIND is
BIND's own account: its log gives the record count of every transfer it
completed. `--quick` is CI's small run.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx2
from rich.console import Console
from rich.table import Table

from bench.propagation import TIMEOUT, Run, bulk_records, load_pools, record
from bench.server import BenchError, environment, free_port, serving, upgrade_schema
from tests.integration.named import Named, bind_pool_yaml

COMPLETED = re.compile(r"transfer of '([^/]+)/IN'.*Transfer completed: \d+ messages, (\d+) records")
console = Console()
if not console.is_terminal:
    console.width = max(console.width, 132)
progress = Console(stderr=True, style="dim")


@dataclass(frozen=True)
class Sizes:
    zone_records: tuple[int, ...]
    changes: int


FULL = Sizes(zone_records=(10_000, 100_000), changes=50)
QUICK = Sizes(zone_records=(2_000,), changes=5)


@dataclass(frozen=True)
class Result:
    records: int
    ixfr: bool
    values: dict[str, float]
    transfers: list[int]  # records BIND received in each transfer of the timed changes


def transfers_of(named: Named, zone: str, skip: int) -> list[int]:
    """Record counts of BIND's completed transfers of `zone`, after the first `skip`."""
    counts = [
        int(match.group(2))
        for match in COMPLETED.finditer(named.log())
        if match.group(1) == zone.rstrip(".")
    ]
    return counts[skip:]


def changes(
    run: Run, named: Named, size: int, count: int, *, ixfr: bool, database_url: str
) -> Result:
    zone = f"z{size}-{'ixfr' if ixfr else 'axfr'}.example."
    zone_id, _, _ = run.zone_create(zone)
    bulk_records(database_url, zone_id, size)
    progress.print(f"{zone}: {size:,} records; BIND takes them whole with the first change")
    run.recordset_write(zone_id, zone, 0)  # the journal does not cover the bulk load: AXFR
    before = len(transfers_of(named, zone, 0))
    served = [run.recordset_write(zone_id, zone, index)[0] for index in range(1, count + 1)]
    values: dict[str, float] = {}
    record(values, "served", served)
    return Result(size, ixfr, values, transfers_of(named, zone, before))


def measure(sizes: Sizes, workdir: Path) -> list[Result]:
    results: list[Result] = []
    with ExitStack() as stack:
        named = Named(workdir / "named", "127.0.0.1", [], [])
        named.start()
        stack.callback(named.stop)
        mdns_port, api_port = free_port(), free_port()
        database_url = f"sqlite:///{workdir / 'zonefleet.sqlite3'}"
        env = environment(database_url, workdir, api_port) | {
            "ZONEFLEET_MDNS__BIND": f"127.0.0.1:{mdns_port}",
            "ZONEFLEET_MDNS__ALLOW_TRANSFER": "127.0.0.1/32",
            "ZONEFLEET_QUOTAS__ZONE_RECORDSETS": "-1",
            "ZONEFLEET_QUOTAS__ZONE_RECORDS": "-1",
        }
        upgrade_schema(env)
        pools = workdir / "pools.yaml"
        pools.write_text(bind_pool_yaml([named], "127.0.0.1", mdns_port))
        load_pools(env, pools)
        for ixfr in (True, False):
            progress.print(f"mdns.ixfr = {str(ixfr).lower()}")
            with ExitStack() as run_stack:
                run_env = env | {"ZONEFLEET_MDNS__IXFR": str(ixfr).lower()}
                server = run_stack.enter_context(serving(run_env, workdir))
                api = run_stack.enter_context(
                    httpx2.Client(base_url=server.base_url, timeout=TIMEOUT)
                )
                run = Run(api, named, mdns_port)
                for size in sizes.zone_records:
                    results.append(
                        changes(
                            run, named, size, sizes.changes, ixfr=ixfr, database_url=database_url
                        )
                    )
    return results


def report(sizes: Sizes, results: list[Result]) -> Table:
    table = Table(
        title="Zonefleet IXFR: one-record change in a large zone → BIND 9 serves it",
        caption=f"{sizes.changes} sequential recordset creates per row through `zonefleet serve` "
        "(SQLite), timed from the API request until BIND answers the record over UDP (asked "
        "every 0.5 ms). Transfers: what BIND's log says it received for those changes. Target: "
        "p50 ≤ 50 ms for a 100k-record zone with IXFR; a full AXFR of 100k records takes about "
        "5 s.",
    )
    for column in ("zone records", "mdns.ixfr", "p50", "p90", "BIND transfers", "records each"):
        table.add_column(column, justify="right")
    for result in results:
        counts = sorted(result.transfers)
        each = f"{counts[0]:,} to {counts[-1]:,}" if counts else "none"
        table.add_row(
            f"{result.records:,}",
            "on" if result.ixfr else "off",
            f"{result.values['served_p50']:.1f} ms",
            f"{result.values['served_p90']:.1f} ms",
            str(len(counts)),
            each,
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ixfr", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI's small run")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="zonefleet-bench-") as tmp:
        try:
            results = measure(sizes, Path(tmp))
        except (BenchError, httpx2.HTTPError, OSError) as exc:
            console.print(f"[red]IXFR benchmark is broken:[/red] {exc}", highlight=False)
            return 1
    console.print(report(sizes, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
