"""The benchmark's quick mode runs in the suite, so bench/api.py cannot rot."""

from __future__ import annotations

import pytest

from bench.api import main


@pytest.mark.slow
def test_bench_quick_mode_runs_against_a_real_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "recordset creates" in out
    assert "zone creates" in out
