"""Real pdns_server processes for tests: configuration, a fresh gsqlite3 database, stop by pid.

Each PowerDNS listens on one loopback address with its own DNS and API ports, an
API key made per run, `secondary=yes` so it transfers Slave zones, and its log
kept as evidence. Tests import `pdns_factory` and `pdns4_case` from here.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import dns.name
import dns.tsig
import pytest

from tests.conftest import unavailable
from tests.integration.conftest import NamedZoneSource
from tests.integration.named import SEARCH_PATH, TsigSecret, free_port
from zonefleet.backends.base import Master, TargetSpec
from zonefleet.backends.pdns4 import PowerDnsBackend, PowerDnsOptions

if TYPE_CHECKING:
    from tests.integration.test_backend_contract import ContractCase

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
# Debian ships the gsqlite3 schema in one of these places, depending on the release.
SCHEMAS = (
    Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"),
    Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"),
)
PowerDnsFactory = Callable[..., "PowerDns"]


def pdns_program() -> str:
    found = shutil.which("pdns_server", path=SEARCH_PATH)
    if found is None:
        unavailable("pdns_server is not installed (scripts/ensure-packages.sh installs PowerDNS)")
        raise AssertionError("unreachable")
    return found


def gsqlite3_schema() -> Path:
    for schema in SCHEMAS:
        if schema.exists():
            return schema
    unavailable("the gsqlite3 schema is missing (scripts/ensure-packages.sh installs it)")
    raise AssertionError("unreachable")


class PowerDns:
    """One pdns_server: its addresses, its API, its database and log, and stop/start by pid."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", *, dnssec: bool = False) -> None:
        self.dnssec = dnssec
        self.directory = directory
        self.host = host
        self.port = free_port(host)
        self.api_port = free_port(host)
        self.api_key = secrets.token_hex(16)
        self.database = directory / "pdns.sqlite3"
        self.log_path = directory / "pdns.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        directory.mkdir(parents=True)
        with sqlite3.connect(self.database) as database:
            database.executescript(gsqlite3_schema().read_text())
        database.close()
        (directory / "pdns.conf").write_text(self.config())

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def config(self) -> str:
        # `slave=yes` is the pre-4.5 spelling; 4.7 accepts `secondary=yes`. The SOA check of
        # every Slave zone runs each second, so a new zone transfers without a NOTIFY.
        return f"""
socket-dir={self.directory}
guardian=no
daemon=no
write-pid=no
disable-syslog=yes
loglevel=6
security-poll-suffix=
local-address={self.host}
local-port={self.port}
query-local-address={self.host}
receiver-threads=1
distributor-threads=1
launch=gsqlite3
gsqlite3-database={self.database}
gsqlite3-dnssec={"yes" if self.dnssec else "no"}
api=yes
api-key={self.api_key}
webserver=yes
webserver-address={self.host}
webserver-port={self.api_port}
webserver-allow-from=127.0.0.0/8
secondary=yes
xfr-cycle-interval=1
allow-notify-from=127.0.0.0/8
"""

    def start(self) -> None:
        """Run pdns_server in the foreground (its log kept in pdns.log) and wait for the API."""
        assert self.process is None, "pdns_server is already running"
        self._log = self.log_path.open("ab")
        argv = [pdns_program(), f"--config-dir={self.directory}"]
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self._fail(f"pdns_server on {self.host}:{self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM by pid, then SIGKILL if it lingers; start() again reuses the same ports."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _answers(self) -> bool:
        try:
            return self.api("GET", "")[0] == 200
        except OSError:
            return False

    def api(self, method: str, path: str, payload: object = None) -> tuple[int, Any]:
        """One request to /api/v1/servers/localhost{path}: the status and the JSON answer."""
        connection = http.client.HTTPConnection(self.host, self.api_port, timeout=5.0)
        body = None if payload is None else json.dumps(payload)
        try:
            connection.request(
                method, f"/api/v1/servers/localhost{path}", body=body,
                headers={"X-API-Key": self.api_key},
            )  # fmt: skip
            response = connection.getresponse()
            status, raw = response.status, response.read()
        finally:
            connection.close()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def zones(self) -> list[dict[str, Any]]:
        """PowerDNS's own listing of its zones."""
        status, listing = self.api("GET", "/zones")
        assert status == 200, listing
        zones: list[dict[str, Any]] = listing
        return zones

    def zone_names(self) -> list[str]:
        return [zone["name"] for zone in self.zones()]

    def zone(self, name: str) -> dict[str, Any]:
        """The one zone of that name as PowerDNS details it (keys, masters, serial)."""
        found = [zone for zone in self.zones() if zone["name"] == name]
        assert len(found) == 1, f"PowerDNS lists {name} {len(found)} times"
        status, detail = self.api("GET", f"/zones/{found[0]['id']}?rrsets=false")
        assert status == 200, detail
        zone: dict[str, Any] = detail
        return zone

    def add_tsig_key(self, key: TsigSecret) -> None:
        payload = {"name": key.name, "algorithm": key.algorithm, "key": key.secret}
        status, answer = self.api("POST", "/tsigkeys", payload)
        assert status == 201, answer

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 5.0, *, count: int = 1) -> None:
        """Poll pdns.log until `text` occurs `count` times (the webserver logs after answering)."""
        deadline = time.monotonic() + timeout
        while (seen := self.log().count(text)) < count:
            if time.monotonic() > deadline:
                self._fail(f"pdns_server logged {text!r} {seen} times, not {count}")
            time.sleep(0.05)

    def _fail(self, message: str) -> NoReturn:
        tail = "".join(self.log().splitlines(keepends=True)[-30:])
        pytest.fail(f"{message}\n--- {self.log_path} ---\n{tail}")


def pdns4_target(
    pdns: PowerDns,
    masters: Sequence[Master],
    *,
    tsig: dns.tsig.Key | None = None,
    target_id: str = "pdns4-test-target",
    **options: Any,
) -> TargetSpec:
    """A TargetSpec for the pdns4 driver that reaches `pdns` by its API."""
    settings = PowerDnsOptions.model_validate(
        {"api_endpoint": pdns.endpoint, "api_token": pdns.api_key, "api_timeout": 3, **options}
    )
    return TargetSpec(target_id, "pdns4", settings, tuple(masters), tsig)


def pdns_pool_yaml(
    pdns: PowerDns, mdns_host: str, mdns_port: int, *, api_token: str | None = None
) -> str:
    """A pools.yaml whose default pool has `pdns` as its one pdns4 target and nameserver,
    transferring from mdns at `mdns_host:mdns_port`; `api_token` replaces the real key."""
    token = pdns.api_key if api_token is None else api_token
    return f"""
- name: default
  ns_records: [{{hostname: ns1.zonefleet.test., priority: 1}}]
  nameservers: [{{host: {pdns.host}, port: {pdns.port}}}]
  targets:
    - type: pdns4
      description: pdns
      masters: [{{host: {mdns_host}, port: {mdns_port}}}]
      options: {{host: {pdns.host}, port: {pdns.port}, api_endpoint: "{pdns.endpoint}",
                 api_token: {token}, api_timeout: 3}}
"""


@pytest.fixture
def pdns_factory(tmp_path: Path) -> Iterator[PowerDnsFactory]:
    """Start pdns_server processes: `pdns_factory(host="127.0.0.2", dnssec=True)`."""
    pdns_program()
    gsqlite3_schema()
    started: list[PowerDns] = []

    def start(host: str = "127.0.0.1", *, dnssec: bool = False) -> PowerDns:
        pdns = PowerDns(tmp_path / f"pdns-{len(started)}-{host}", host, dnssec=dnssec)
        started.append(pdns)
        pdns.start()
        return pdns

    yield start
    for pdns in started:
        pdns.stop()


@pytest.fixture
def pdns4_case(pdns_factory: PowerDnsFactory, zone_source: NamedZoneSource) -> ContractCase:
    # Imported here: test_backend_contract imports this module for its fixtures.
    from tests.integration.test_backend_contract import ContractCase  # noqa: PLC0415

    pdns = pdns_factory()
    backend = PowerDnsBackend(pdns4_target(pdns, zone_source.masters))

    def configured(zone: dns.name.Name) -> int:
        return pdns.zone_names().count(zone.to_text())

    return ContractCase(backend, (pdns.host, pdns.port), configured, zone_source)
