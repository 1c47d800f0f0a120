"""Real named processes for tests and benchmarks: configuration, rndc, start/stop by pid.

Each named listens on one loopback address with its own DNS and rndc ports, keys
made per run, `allow-new-zones yes` so rndc addzone works, and its log kept as
evidence. Used by tests/integration/conftest.py and bench/propagation.py.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest

from tests.conftest import unavailable

# Debian keeps named and rndc in /usr/sbin, which an ordinary user's PATH may lack.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def program(name: str) -> str:
    found = shutil.which(name, path=SEARCH_PATH)
    if found is None:
        unavailable(f"{name} is not installed (scripts/ensure-packages.sh installs BIND 9)")
        raise AssertionError("unreachable")
    return found


def free_port(host: str) -> int:
    """A port free for both TCP and UDP on `host` (DNS needs both on one number)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no port free for both TCP and UDP on {host}")


@dataclass(frozen=True)
class TsigSecret:
    """A TSIG key as named.conf declares it and as dnspython signs with it."""

    name: str
    secret: str
    algorithm: str = "hmac-sha256"

    @classmethod
    def generate(cls, name: str, algorithm: str = "hmac-sha256") -> TsigSecret:
        return cls(name, base64.b64encode(secrets.token_bytes(32)).decode(), algorithm)

    def key(self) -> dns.tsig.Key:
        return dns.tsig.Key(self.name, self.secret, self.algorithm)

    def conf(self) -> str:
        return f'key "{self.name}" {{ algorithm {self.algorithm}; secret "{self.secret}"; }};\n'


@dataclass(frozen=True)
class PrimaryZone:
    """A static primary zone of a named, read from a zone file in its directory."""

    name: str
    serial: int
    allow_transfer: str = "any;"
    # Keep the difference of each reload with a new serial, to answer IXFR with it (BIND's
    # default answers IXFR from a zone file with the whole zone).
    ixfr: bool = False

    @property
    def file(self) -> str:
        return f"{self.name.rstrip('.')}.db"

    def text(self, serial: int) -> str:
        # A refresh of an hour keeps a secondary from polling on its own during a
        # test, so a new serial can only arrive because of a NOTIFY.
        return (
            f"$ORIGIN {self.name}\n$TTL 300\n"
            f"@ SOA ns1 hostmaster {serial} 3600 600 86400 300\n"
            "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n"
        )


@dataclass(frozen=True)
class CatalogConsumer:
    """A catalog zone named consumes (RFC 9432): a secondary of mdns, its members too."""

    name: str
    primary_host: str
    primary_port: int

    def primaries(self) -> str:
        return f"{{ {self.primary_host} port {self.primary_port}; }}"

    def zone(self) -> str:
        return (
            f'zone "{self.name}" {{ type secondary; primaries {self.primaries()}; '
            f'file "catalog.db"; }};\n'
        )

    def option(self, directory: Path) -> str:
        # Members are added as the catalog changes, without the default 5 s between updates.
        (directory / "catz").mkdir(exist_ok=True)
        return (
            f'    catalog-zones {{ zone "{self.name}" default-primaries {self.primaries()} '
            f'zone-directory "{directory / "catz"}" in-memory no min-update-interval 0; }};\n'
        )


class Named:
    """One named process: its addresses, rndc access, files, and stop/start by pid."""

    def __init__(
        self,
        directory: Path,
        host: str,
        keys: Sequence[TsigSecret],
        zones: Sequence[PrimaryZone],
        catalog: CatalogConsumer | None = None,
        transfer_source: str | None = None,
    ) -> None:
        self.directory = directory
        self.catalog = catalog
        self.host = host
        self.transfer_source = transfer_source or host
        self.port = free_port(host)
        self.rndc_port = free_port(host)
        self.keys = list(keys)
        self.zones = list(zones)
        self.config_file = directory / "named.conf"
        self.rndc_key_file = directory / "rndc.key"
        self.rndc_config_file = directory / "rndc.conf"
        self.log_path = directory / "named.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        directory.mkdir(parents=True)
        subprocess.run(
            [program("rndc-confgen"), "-a", "-k", "rndc-key", "-c", str(self.rndc_key_file)],
            check=True, capture_output=True,
        )  # fmt: skip
        self.rndc_config_file.write_text(
            f'include "{self.rndc_key_file}";\n'
            f'options {{ default-key "rndc-key"; default-server {host}; '
            f"default-port {self.rndc_port}; }};\n"
        )
        for zone in self.zones:
            (directory / zone.file).write_text(zone.text(zone.serial))
        self.write_config()

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def write_config(self) -> None:
        keys = "".join(key.conf() for key in self.keys)
        zones = "".join(
            f'zone "{zone.name}" {{ type primary; file "{zone.file}"; '
            f"allow-transfer {{ {zone.allow_transfer} }}; "
            f"ixfr-from-differences {'yes' if zone.ixfr else 'no'}; }};\n"
            for zone in self.zones
        )
        catalog_zones = ""
        if self.catalog is not None:
            zones += self.catalog.zone()
            catalog_zones = self.catalog.option(self.directory)
        self.config_file.write_text(f"""
options {{
    directory "{self.directory}";
    pid-file "{self.directory}/named.pid";
    session-keyfile "{self.directory}/session.key";
    managed-keys-directory "{self.directory}";
    listen-on port {self.port} {{ {self.host}; }};
    listen-on-v6 {{ none; }};
    allow-new-zones yes;
    serial-query-rate 1000;
    // One master (mdns) feeds every zone: BIND's default of 2 transfers per master at
    // once would queue a pool's worth of zones behind each other.
    transfers-in 100;
    transfers-per-ns 50;
    notify no;
    transfer-source {self.transfer_source};
    notify-source {self.host};
    allow-notify {{ any; }};
    dnssec-validation no;
    recursion no;
{catalog_zones}}};
include "{self.rndc_key_file}";
controls {{
    inet {self.host} port {self.rndc_port} allow {{ 127.0.0.0/8; }} keys {{ "rndc-key"; }};
}};
{keys}{zones}""")
        argv = [program("named-checkconf"), str(self.config_file)]
        checked = subprocess.run(argv, capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            pytest.fail(f"named-checkconf refuses {self.config_file}: {checked.stdout}")

    def start(self) -> None:
        """Run named in the foreground (-g logs to stderr, kept in named.log) and wait for rndc."""
        assert self.process is None, "named is already running"
        self._log = self.log_path.open("ab")
        argv = [program("named"), "-g", "-4", "-n", "1", "-c", str(self.config_file)]
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while self.rndc("status").returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self._fail(f"named on {self.host}:{self.port} did not start")
            time.sleep(0.05)
        if not self._answers_tcp():
            self.stop()
            unavailable(
                f"named does not listen on {self.host}: it only binds addresses configured on an "
                f"interface (as root: ip addr add {self.host}/32 dev lo)"
            )

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

    def _answers_tcp(self) -> bool:
        # named has set up its listeners by the time rndc answers, so one try is enough.
        try:
            socket.create_connection((self.host, self.port), timeout=2.0).close()
        except OSError:
            return False
        return True

    def rndc(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [program("rndc"), "-c", str(self.rndc_config_file), *command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)

    def add_key(self, key: TsigSecret) -> None:
        """Declare one more TSIG key and make the running named read it."""
        self.keys.append(key)
        self.write_config()
        self._check(self.rndc("reconfig"))

    def set_serial(self, zone: PrimaryZone, serial: int) -> None:
        """Rewrite a primary zone's file with a new serial and reload it."""
        (self.directory / zone.file).write_text(zone.text(serial))
        self._check(self.rndc("reload", zone.name))

    def added_zones(self) -> list[str]:
        """The zones named keeps as added by rndc addzone, in its own words (named-nzd2nzf)."""
        database = self.directory / "_default.nzd"
        if not database.exists():
            return []
        done = subprocess.run(
            [program("named-nzd2nzf"), str(database)], capture_output=True, text=True, check=True
        )
        return [line.split('"')[1] for line in done.stdout.splitlines() if line.startswith("zone")]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 5.0) -> None:
        """Poll named.log until a line contains `text`."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                self._fail(f"named never logged {text!r}")
            time.sleep(0.05)

    def _check(self, done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            self._fail(f"rndc {done.args[3:]} failed: {done.stderr.strip()}")

    def _fail(self, message: str) -> NoReturn:
        tail = "".join(self.log().splitlines(keepends=True)[-30:])
        pytest.fail(f"{message}\n--- {self.log_path} ---\n{tail}")


def bind_pool_yaml(
    servers: Sequence[Named], mdns_host: str, mdns_port: int, *, threshold: int = 100
) -> str:
    """A pools.yaml whose default pool has each named as a bind9 target and a nameserver,
    all transferring from mdns at `mdns_host:mdns_port`."""
    targets = "".join(
        f"""
    - type: bind9
      description: {named.host}:{named.port}
      masters: [{{host: {mdns_host}, port: {mdns_port}}}]
      options:
        host: {named.host}
        port: {named.port}
        rndc_host: {named.host}
        rndc_port: {named.rndc_port}
        rndc_key_file: {named.rndc_key_file}
        rndc_timeout: 3
        notify_timeout: 1"""
        for named in servers
    )
    nameservers = "".join(
        f"\n    - {{host: {named.host}, port: {named.port}}}" for named in servers
    )
    return f"""
- name: default
  description: BIND 9 under test
  threshold_percentage: {threshold}
  ns_records:
    - {{hostname: ns1.zonefleet.test., priority: 1}}
  nameservers:{nameservers}
  targets:{targets}
"""
