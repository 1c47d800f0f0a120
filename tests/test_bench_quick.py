"""The benchmarks' quick modes run in the suite, so bench/ cannot rot."""

from __future__ import annotations

import importlib

import pytest

from bench import cluster, doctor, ixfr, propagation
from bench.api import main


@pytest.mark.slow
def test_bench_quick_mode_runs_against_a_real_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "recordset creates" in out
    assert "zone creates" in out


@pytest.mark.slow
def test_bench_quick_mode_measures_the_api_role_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--role", "api"]) == 0
    out = capsys.readouterr().out
    assert "`zonefleet api`" in out
    assert "zone creates" in out


@pytest.mark.slow
def test_propagation_bench_quick_mode_runs_against_real_bind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert propagation.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "recordset write → BIND serves it" in out
    assert "AXFR warm" in out


@pytest.mark.slow
def test_cluster_bench_quick_mode_runs_real_processes_against_real_bind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cluster.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "recordset writes/s" in out
    assert "write → BIND serves it" in out
    assert "convergence after a BIND outage" in out


@pytest.mark.slow
def test_ixfr_bench_quick_mode_runs_against_real_bind_knot_and_powerdns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert ixfr.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "one-record change in a large zone" in out
    assert "transfers (server's log)" in out
    assert "zone creates" in out
    for kind in ("BIND 9", "Knot", "PowerDNS"):
        assert out.count(kind) >= 3, kind  # the title, the change rows and the zone creates row


@pytest.mark.slow
def test_import_bench_quick_mode_imports_exports_and_reaches_real_bind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench_import = importlib.import_module("bench.import")  # `import` is a keyword
    assert bench_import.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "zone import and export" in out
    assert "1,005" in out  # every record of the file, and the pool's NS, exported again


@pytest.mark.slow
def test_doctor_bench_quick_mode_times_real_doctor_runs_against_real_bind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert doctor.main(["--quick"]) == 0  # each run's exit status is checked inside
    out = capsys.readouterr().out
    for run in ("one zone, healthy", "every zone", "one zone, everything down"):
        assert run in out
