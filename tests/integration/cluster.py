"""A Zonefleet cluster of real processes for tests: each role a `zonefleet` subprocess.

Every process logs to its own file in the cluster's directory (evidence for the
tests), is waited on until it is ready, and is stopped by its own process id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import httpx2

from bench.server import free_port, zonefleet_command

READY_SECONDS = 30.0
STOP_SECONDS = 20.0


@dataclass
class Role:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    address: str = ""  # HOST:PORT of the API or mdns

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the process and return its exit status (killed if it does not stop)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)
            try:
                return self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait()


@dataclass
class Topology:
    """The fault tests' cluster: two API processes, two workers, one mdns, two producers."""

    mdns: Role
    apis: list[Role]
    workers: list[Role]
    producers: list[Role]

    @property
    def roles(self) -> list[Role]:
        return [self.mdns, *self.apis, *self.workers, *self.producers]


@dataclass
class Cluster:
    """Roles sharing one database and one bus (exchange and queue made for this cluster)."""

    directory: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    roles: list[Role] = field(default_factory=list)
    mdns_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        unique = uuid.uuid4().hex[:10]
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ZONEFLEET_")},
            "ZONEFLEET_DATABASE__URL": self.database_url,
            "ZONEFLEET_DATA_DIR": str(self.directory / "data"),
            "ZONEFLEET_MDNS__BIND": f"127.0.0.1:{self.mdns_port}",
            "ZONEFLEET_BUS__EXCHANGE": f"zonefleet-test-{unique}",
            "ZONEFLEET_BUS__QUEUE": f"zonefleet-test-{unique}.worker",
            "ZONEFLEET_LOG_LEVEL": "INFO",
            **self.env,
        }

    def command(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [zonefleet_command(), *args],
            env=self.env | env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self, role: str, *, wait: bool = True, **env: str) -> Role:
        """Start one role process and (unless told not to) wait until it is ready."""
        env = self.env | env
        address = ""
        if role == "api":
            address = f"127.0.0.1:{free_port()}"
            env["ZONEFLEET_API__BIND"] = address
        elif role == "mdns":
            address = env["ZONEFLEET_MDNS__BIND"]
        log = self.directory / f"{role}-{len(self.roles)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [zonefleet_command(), role], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        started = Role(role, process, log, address)
        self.roles.append(started)
        if wait:
            self._wait_ready(started)
        return started

    def start_topology(self, **env: str) -> Topology:
        """Start the whole topology side by side and wait until every role is ready."""
        topology = Topology(
            mdns=self.start("mdns", wait=False, **env),
            apis=[self.start("api", wait=False, **env) for _ in range(2)],
            workers=[self.start("worker", wait=False, **env) for _ in range(2)],
            producers=[self.start("producer", wait=False, **env) for _ in range(2)],
        )
        self.wait_ready()
        return topology

    def wait_ready(self) -> None:
        """Wait for every role started with `wait=False` (they start side by side)."""
        for role in self.roles:
            self._wait_ready(role)

    def stop(self) -> None:
        for role in reversed(self.roles):
            role.stop()

    def _wait_ready(self, role: Role) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while not self._ready(role):
            if role.process.poll() is not None:
                status = role.process.returncode
                raise AssertionError(f"{role.name} exited {status}:\n{role.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{role.name} not ready in time:\n{role.text()}")
            time.sleep(0.05)

    @staticmethod
    def _ready(role: Role) -> bool:
        if role.name == "api":
            try:
                return httpx2.get(f"{role.url}/healthcheck", timeout=1.0).status_code == 200
            except httpx2.TransportError:
                return False
        if role.name == "mdns":
            host, port = role.address.rsplit(":", 1)
            try:
                query = dns.message.make_query("ready.", "SOA")
                dns.query.udp(query, host, port=int(port), timeout=0.2)
            except (OSError, dns.exception.Timeout):
                return False
            return True
        return "started" in role.text()
