"""bench/cpu.py: CPU seconds per group of processes, read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.cpu import CpuMeter, cpu_seconds, pids_named

SPIN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_the_meter_charges_cpu_to_the_group_of_the_process_that_spent_it() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    spinner = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()\n" + SPIN],
                               stdin=subprocess.PIPE)  # fmt: skip
    try:
        meter = CpuMeter(lambda: {"spinner": [spinner.pid], "sleeper": [sleeper.pid]})
        meter.start()
        assert spinner.stdin is not None
        spinner.stdin.close()  # it spins only once measured
        deadline = time.monotonic() + 10
        while (cpu_seconds(spinner.pid) or 0) < 0.4 and time.monotonic() < deadline:
            time.sleep(0.02)
        use = meter.stop()
        assert use.seconds["spinner"] >= 0.3
        assert use.seconds["sleeper"] < 0.05
        assert use.elapsed > 0
        rendered = use.table("t", 10, "write")
        assert [column.header for column in rendered.columns] == [
            "processes", "cores", "CPU per write",
        ]  # fmt: skip
        assert rendered.row_count == 3  # both groups and their total
    finally:
        for process in (sleeper, spinner):
            process.kill()
            process.wait()


def test_a_process_that_is_gone_reads_as_none_and_names_are_found_by_command() -> None:
    assert cpu_seconds(2**22 + 12345) is None  # above Linux's largest pid_max
    with open(f"/proc/{os.getpid()}/comm", encoding="utf-8") as comm:
        assert os.getpid() in pids_named(comm.read().strip())
