"""Real knotd processes for tests: a configuration database, knotc, start/stop by pid.

Each knotd listens on one loopback address and a free port, runs on a confdb
imported once from knot.conf (so `knotc conf-*` changes survive a restart), and
logs at info to knotd.log, where transfers show. Its control socket lives in a
short directory of its own: a UNIX socket path may not pass 107 bytes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
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
from zonefleet.backends.knot import KnotBackend, KnotOptions

if TYPE_CHECKING:
    from tests.integration.test_backend_contract import ContractCase

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def knot_program(name: str) -> str:
    found = shutil.which(name, path=SEARCH_PATH)
    if found is None:
        unavailable(f"{name} is not installed (scripts/ensure-packages.sh installs Knot DNS)")
        raise AssertionError("unreachable")
    return found


class Knot:
    """One knotd process: its address, control socket, confdb, log, and stop/start by pid."""

    def __init__(
        self,
        directory: Path,
        host: str,
        keys: Sequence[TsigSecret],
        *,
        zone_in_journal: bool = False,
    ) -> None:
        self.directory = directory
        self.zone_in_journal = zone_in_journal
        self.host = host
        self.port = free_port(host)
        self.keys = list(keys)
        self.rundir = Path(tempfile.mkdtemp(prefix="zf-knot-"))
        self.socket = self.rundir / "knot.sock"
        self.confdb = directory / "confdb"
        self.config_file = directory / "knot.conf"
        self.log_path = directory / "knotd.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        for made in (directory, directory / "db", directory / "zones"):
            made.mkdir(parents=True)
        self.config_file.write_text(self.config())
        argv = [knot_program("knotc"), "-C", str(self.confdb), "conf-import", str(self.config_file)]
        imported = subprocess.run(argv, capture_output=True, text=True, check=False)
        if imported.returncode != 0:
            pytest.fail(f"knotc conf-import refuses {self.config_file}: {imported.stderr}")

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def config(self) -> str:
        keys = "".join(
            f"  - id: {key.name}\n    algorithm: {key.algorithm}\n    secret: {key.secret}\n"
            for key in self.keys
        )
        storage, zones = self.directory / "db", self.directory / "zones"
        # Knot's own set-up for a secondary of a busy zone: every transfer is kept in the
        # journal, which is the zone's copy on disk, instead of the zone file being written
        # out whole after each one (a 100k-record zone's file takes knotd some 25 ms).
        journal = (
            "    zonefile-sync: -1\n    zonefile-load: none\n    journal-content: all\n"
            if self.zone_in_journal
            else ""
        )
        return f"""server:
    rundir: "{self.rundir}"
    listen: {self.host}@{self.port}
log:
  - target: stderr
    any: info
database:
    storage: "{storage}"
control:
    listen: "{self.socket}"
template:
  - id: default
    storage: "{zones}"
{journal}""" + (f"key:\n{keys}" if keys else "")

    def start(self) -> None:
        """Run knotd in the foreground on the confdb alone (no -c) and wait for `knotc status`."""
        assert self.process is None, "knotd is already running"
        self._log = self.log_path.open("ab")
        argv = [knot_program("knotd"), "-C", str(self.confdb)]
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while self.knotc("status").returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self._fail(f"knotd on {self.host}:{self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM by pid, then SIGKILL if it lingers; start() again reuses port and confdb."""
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

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.rundir, ignore_errors=True)

    def knotc(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [knot_program("knotc"), "-s", str(self.socket), "-t", "10", *command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)

    def zones(self) -> list[str]:
        """The zones in knotd's configuration, in its own words (`conf-read zone.domain`)."""
        done = self.knotc("conf-read", "zone.domain")
        assert done.returncode == 0, done.stderr
        return [line.partition(" = ")[2] for line in done.stdout.splitlines()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 5.0) -> None:
        """Poll knotd.log until a line contains `text`."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                self._fail(f"knotd never logged {text!r}")
            time.sleep(0.05)

    def _fail(self, message: str) -> NoReturn:
        tail = "".join(self.log().splitlines(keepends=True)[-30:])
        pytest.fail(f"{message}\n--- {self.log_path} ---\n{tail}")


KnotFactory = Callable[..., Knot]


@pytest.fixture
def knot_factory(tmp_path: Path) -> Iterator[KnotFactory]:
    """Start knotd servers: `knot_factory(host="127.0.0.1", keys=[...])`."""
    knot_program("knotd")
    started: list[Knot] = []

    def start(host: str = "127.0.0.1", *, keys: Sequence[TsigSecret] = ()) -> Knot:
        knot = Knot(tmp_path / f"knot-{len(started)}-{host}", host, keys)
        started.append(knot)
        knot.start()
        return knot

    yield start
    for knot in started:
        knot.close()


def knot_target(
    knot: Knot,
    masters: Sequence[Master],
    *,
    tsig: dns.tsig.Key | None = None,
    target_id: str = "knot-test-target",
    **options: Any,
) -> TargetSpec:
    """A TargetSpec for the knot driver that reaches `knot` by its control socket and DNS port."""
    settings = KnotOptions.model_validate(
        {
            "host": knot.host,
            "port": knot.port,
            "notify_timeout": 2.0,
            "knotc_path": knot_program("knotc"),
            "socket": str(knot.socket),
            "timeout": 5,
            **options,
        }
    )
    return TargetSpec(target_id, "knot", settings, tuple(masters), tsig)


@pytest.fixture
def knot_case(knot_factory: KnotFactory, zone_source: NamedZoneSource) -> ContractCase:
    # test_backend_contract imports this module for its fixtures: importing it on top is circular.
    from tests.integration.test_backend_contract import ContractCase  # noqa: PLC0415

    knot = knot_factory()
    backend = KnotBackend(knot_target(knot, zone_source.masters))

    def configured(zone: dns.name.Name) -> int:
        return knot.zones().count(zone.to_text())

    return ContractCase(backend, (knot.host, knot.port), configured, zone_source)
