"""Where a benchmark's CPU went: CPU seconds per group of processes, read from /proc.

A group is a label and the processes it covers (one `zonefleet` role, every process of
that role, the nameserver, the database's backends for the run, the benchmark itself).
`CpuMeter` reads each group's user + system time when a measurement starts and when it
ends; a process that is gone by the end counts for nothing, one that appeared meanwhile
counts from zero. The figures say which process a write's CPU is spent in, so a rate
that a 2-core machine caps shows what caps it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rich.table import Table

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Groups = Callable[[], Mapping[str, Iterable[int]]]  # label → process ids, read at each end


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process so far; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def pids_named(command: str) -> list[int]:
    """Every process whose command name (/proc/PID/comm) is `command`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="utf-8", errors="replace") as comm:
                if comm.read().strip() == command:
                    found.append(int(entry))
        except OSError:
            continue
    return found


@dataclass(frozen=True)
class CpuUse:
    """Each group's CPU seconds over `elapsed` wall seconds."""

    seconds: dict[str, float]
    elapsed: float

    def table(self, title: str, units: int, unit: str, caption: str = "") -> Table:
        """Cores used and CPU per unit of work (`units` of `unit`), one row per group."""
        table = Table(title=title, caption=caption or None)
        table.add_column("processes")
        table.add_column("cores", justify="right")
        table.add_column(f"CPU per {unit}", justify="right")
        shown = sorted(self.seconds.items(), key=lambda item: -item[1])
        for label, seconds in [*shown, ("all of these", sum(self.seconds.values()))]:
            table.add_row(
                label, f"{seconds / self.elapsed:.2f}", f"{seconds / units * 1000:.2f} ms"
            )
        return table


class CpuMeter:
    """`start()` then `stop()`: the groups' CPU seconds between the two."""

    def __init__(self, groups: Groups) -> None:
        self.groups = groups
        self._started: dict[int, float] = {}
        self._at = 0.0

    def start(self) -> None:
        self._started = self._read()
        self._at = time.perf_counter()

    def stop(self) -> CpuUse:
        elapsed = time.perf_counter() - self._at
        seconds: dict[str, float] = {}
        for label, pids in self.groups().items():
            total = 0.0
            for pid in set(pids):
                now = cpu_seconds(pid)
                if now is not None:
                    total += now - self._started.get(pid, 0.0)
            seconds[label] = total
        return CpuUse(seconds, elapsed)

    def _read(self) -> dict[int, float]:
        read: dict[int, float] = {}
        for pids in self.groups().values():
            for pid in pids:
                if (seconds := cpu_seconds(pid)) is not None:
                    read[pid] = seconds
        return read
