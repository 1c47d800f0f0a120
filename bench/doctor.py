"""Benchmark of `zonefleet doctor`: a real `zonefleet serve` pushing to a real BIND9.

Times the command as an operator runs it (a new process each time, start-up included):
one zone while everything is healthy, every zone at once (1,000 by default), and one zone
with everything down (the server stopped, named stopped by SIGSTOP so every query and rndc
call waits for its timeout). Each run's exit status is checked: 0 healthy, 1 broken.
`--quick` is CI's small run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx2
from rich.console import Console
from rich.table import Table

from bench.propagation import load_pools
from bench.server import BenchError, environment, free_port, serving, upgrade_schema
from bench.server import zonefleet_command as command
from tests.integration.named import Named, bind_pool_yaml

console = Console()
progress = Console(stderr=True, style="dim")
SETTLE_SECONDS = 300.0
TARGETS = {"one zone, healthy": 2.0, "every zone": 30.0, "one zone, everything down": 5.0}


def doctor(env: dict[str, str], *args: str, expect: int) -> float:
    started = time.monotonic()
    done = subprocess.run([command(), "doctor", *args], env=env, capture_output=True,
                          text=True, check=False, timeout=120)  # fmt: skip
    took = time.monotonic() - started
    if done.returncode != expect:
        raise BenchError(f"`zonefleet doctor {' '.join(args)}` exited {done.returncode}, "
                         f"not {expect}:\n{done.stdout}{done.stderr}")  # fmt: skip
    return took


def create_zones(api: httpx2.Client, zones: int) -> None:
    headers = {"X-Auth-Project-ID": "bench"}
    for index in range(zones):
        body = {"name": f"doc{index}.example.", "email": "ops@example.org"}
        response = api.post("/v2/zones", json=body, headers=headers)
        if response.status_code != 202:
            raise BenchError(f"zone create answered {response.status_code}: {response.text}")
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        pending = api.get("/v2/zones", params={"status": "PENDING", "limit": 1}, headers=headers)
        if pending.json()["metadata"]["total_count"] == 0:
            return
        time.sleep(0.5)
    raise BenchError(f"zones still PENDING after {SETTLE_SECONDS:.0f} s")


def measure(zones: int, workdir: Path) -> dict[str, float]:
    values: dict[str, float] = {}
    with ExitStack() as stack:
        named = Named(workdir / "named", "127.0.0.1", [], [])
        named.start()
        stack.callback(named.stop)
        mdns_port = free_port()
        env = environment(f"sqlite:///{workdir / 'zonefleet.sqlite3'}", workdir, free_port())
        env |= {"ZONEFLEET_MDNS__BIND": f"127.0.0.1:{mdns_port}"}
        upgrade_schema(env)
        pools = workdir / "pools.yaml"
        pools.write_text(bind_pool_yaml([named], "127.0.0.1", mdns_port))
        load_pools(env, pools)
        env["ZONEFLEET_POOLS__FILE"] = str(pools)
        with serving(env, workdir) as server, httpx2.Client(base_url=server.base_url) as api:
            progress.print(f"creating {zones} zones")
            create_zones(api, zones)
            values["one zone, healthy"] = doctor(env, "doc0.example.", expect=0)
            values["every zone"] = doctor(env, expect=0)
        assert named.process is not None
        os.kill(named.process.pid, signal.SIGSTOP)
        try:
            values["one zone, everything down"] = doctor(env, "doc0.example.", expect=1)
        finally:
            os.kill(named.process.pid, signal.SIGCONT)
    return values


def report(zones: int, values: dict[str, float]) -> Table:
    table = Table(
        title="zonefleet doctor: `zonefleet serve` (SQLite) → BIND 9",
        caption=f"{zones} zones; each run a new process (start-up included), default timeouts "
        "(2 s per check); everything down: the server stopped and named stopped by SIGSTOP.",
    )
    for column in ("run", "seconds", "target"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for run, seconds in values.items():
        target = TARGETS[run]
        mark = "✓" if seconds <= target else "✗"
        table.add_row(run, f"{seconds:.2f}", f"≤ {target:.0f} s {mark}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="CI's small run (20 zones)")
    args = parser.parse_args(argv)
    zones = 20 if args.quick else args.zones
    try:
        with tempfile.TemporaryDirectory(prefix="zonefleet-bench-") as workdir:
            values = measure(zones, Path(workdir))
    except BenchError as exc:
        console.print(f"[red]bench failed: {exc}")
        return 1
    console.print(report(zones, values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
