"""The system under test: a database made for the run and a real `zonefleet serve` on it.

Everything here is a context manager, so the server is stopped (by its pid) and the
PostgreSQL database dropped however the run ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
MIGRATE_SECONDS = 120.0


class BenchError(Exception):
    """Something is broken, not merely slow: the run exits non-zero."""


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log: Path


def zonefleet_command() -> str:
    """The `zonefleet` script of the interpreter running the benchmark (its virtualenv)."""
    beside = Path(sys.executable).with_name("zonefleet")
    found = str(beside) if beside.exists() else shutil.which("zonefleet")
    if found is None:
        raise BenchError("cannot find the `zonefleet` command; install the project first")
    return found


@contextmanager
def database(engine: str, workdir: Path, pg_url: str) -> Iterator[str]:
    """The URL of an empty database for one run; a PostgreSQL one is dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'zonefleet.sqlite3'}"
        return
    name = f"zonefleet_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(
    database_url: str, workdir: Path, port: int, *, timeline: bool = True
) -> dict[str, str]:
    """The server's environment: this process's, minus any ZONEFLEET_* of the caller's own.
    `timeline=False` runs it with the zones' timelines unwritten, to measure their cost."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZONEFLEET_")}
    env |= {
        "ZONEFLEET_DATABASE__URL": database_url,
        "ZONEFLEET_API__BIND": f"127.0.0.1:{port}",
        # mdns on a port of its own, so runs beside tests or another server never collide.
        "ZONEFLEET_MDNS__BIND": f"127.0.0.1:{free_port()}",
        "ZONEFLEET_DATA_DIR": str(workdir / "data"),
        "ZONEFLEET_LOG_LEVEL": "WARNING",
        # 1,000 zones per project are loaded; the per-zone recordset quotas stay at their
        # defaults because the creates are spread over several zones.
        "ZONEFLEET_QUOTAS__ZONES": "-1",
        "ZONEFLEET_TIMELINE__ENABLED": "true" if timeline else "false",
    }
    return env


def upgrade_schema(env: dict[str, str]) -> None:
    done = subprocess.run(
        [zonefleet_command(), "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=MIGRATE_SECONDS,
    )
    if done.returncode != 0:
        raise BenchError(f"`zonefleet db upgrade` exited {done.returncode}: {done.stderr.strip()}")


@contextmanager
def serving(env: dict[str, str], workdir: Path, role: str = "serve") -> Iterator[Server]:
    """`zonefleet serve` (or another role with an API, `api`) as a subprocess, answering its
    health check; stopped on exit."""
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [zonefleet_command(), role], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        server = Server(f"http://{env['ZONEFLEET_API__BIND']}", process.pid, log)
        _wait_until_ready(process, server)
        yield server
    finally:
        _stop(process)


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_until_ready(process: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"`zonefleet serve` exited {process.returncode}:\n{log_tail(server.log)}"
            )
        try:
            if httpx2.get(f"{server.base_url}/healthcheck", timeout=1.0).status_code == 200:
                return
        except httpx2.TransportError:
            pass  # not listening yet
        time.sleep(0.05)
    raise BenchError(f"`zonefleet serve` did not become healthy in {STARTUP_SECONDS:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
            return
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
    process.wait()
