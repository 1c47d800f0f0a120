"""bind9 with a witness, for the cluster's race tests: every control-channel call (ensure,
remove) holds an exclusive lock file per (zone, target), taken without waiting; a call that
finds the file locked by another process writes the overlap down for the test to read.

It reaches the worker processes as a third-party driver would: an entry point of the
`zonefleet.backends` group, in a distribution the test puts on their PYTHONPATH.
NOTIFY (`request_refresh`) is not witnessed: it is idempotent and deliberately sent
without a lease.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from zonefleet.backends.base import ZoneRef
from zonefleet.backends.bind9 import Bind9Backend

DIRECTORY_ENV = "WITNESS_BACKEND_DIR"
HOLD_ENV = "WITNESS_BACKEND_HOLD"  # seconds each call keeps its lock


class WitnessedBind9Backend(Bind9Backend):
    kind: ClassVar[str] = "bind9-witness"

    def ensure_zone(self, zone: ZoneRef) -> None:
        self._witnessed(
            zone, "ensure", lambda: super(WitnessedBind9Backend, self).ensure_zone(zone)
        )

    def remove_zone(self, zone: ZoneRef) -> None:
        self._witnessed(
            zone, "remove", lambda: super(WitnessedBind9Backend, self).remove_zone(zone)
        )

    def _witnessed(self, zone: ZoneRef, verb: str, call: Callable[[], None]) -> None:
        directory = Path(os.environ[DIRECTORY_ENV])
        with (directory / f"{zone.id}.{self.target.id}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                with (directory / "overlaps").open("a") as overlaps:
                    overlaps.write(f"{verb} {zone.name} {self.target.id} pid {os.getpid()}\n")
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                with (directory / "calls").open("a") as calls:
                    calls.write(f"{verb} {zone.name} {self.target.id} pid {os.getpid()}\n")
                time.sleep(float(os.environ.get(HOLD_ENV, "0")))
                call()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def install(directory: Path) -> dict[str, str]:
    """Make the driver installable from `directory`; the environment its processes need."""
    dist = directory / "zonefleet_test_witness-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: zonefleet-test-witness\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[zonefleet.backends]\n{WitnessedBind9Backend.kind} = {__name__}:WitnessedBind9Backend\n"
    )
    witness = directory / "witness"
    witness.mkdir(exist_ok=True)
    project = Path(__file__).resolve().parents[2]
    path = os.pathsep.join([str(directory), str(project), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep), DIRECTORY_ENV: str(witness)}


def overlaps(env: dict[str, str]) -> list[str]:
    path = Path(env[DIRECTORY_ENV]) / "overlaps"
    return path.read_text().splitlines() if path.exists() else []


def calls(env: dict[str, str]) -> list[str]:
    path = Path(env[DIRECTORY_ENV]) / "calls"
    return path.read_text().splitlines() if path.exists() else []
