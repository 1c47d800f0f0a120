"""`zonefleet doctor` over the embedded default (mdns is the pool's nameserver): every zone
at once, one pool, a zone that does not exist, a pools file that does not load, a database
that cannot be reached, and the human report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.service.factories import make_zone
from tests.stack import Stack
from zonefleet.cli.main import main
from zonefleet.doctor.findings import Finding, Link, Report, Verdict, capped
from zonefleet.producer.heartbeat import Heartbeat
from zonefleet.storage.models import ServiceState, Status


@pytest.fixture
def doctor(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", str(stack.database.url))
    monkeypatch.setenv("ZONEFLEET_MDNS__BIND", str(stack.mdns.address))
    Heartbeat(stack.database, stack.settings.heartbeat, "worker").beat(ServiceState.UP, {})

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        status = main(["doctor", *args, "--timeout", "0.5"])
        return status, capsys.readouterr().out

    return run


def report_of(output: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(output)
    return found


def test_every_zone_at_once_and_one_pool(
    stack: Stack, doctor: Callable[..., tuple[int, str]]
) -> None:
    zones = [make_zone(stack.services, f"z{n}.every.example.") for n in range(3)]
    for zone in zones:
        stack.wait_for(zone.id, Status.ACTIVE)
    status, output = doctor("--json")
    report = report_of(output)
    assert (status, report["scope"], report["verdict"]) == (0, "every zone", "healthy")
    [storage] = [f for f in report["findings"] if f["link"] == "storage"]
    assert storage["summary"] == "3 live zones stored" and storage["evidence"] == ["3 ACTIVE"]
    assert doctor("--pool", "default", "--json")[0] == 0
    status, output = doctor("--pool", "nosuch", "--json")
    assert status == 1 and report_of(output)["first_broken"]["summary"] == "no pool named nosuch"


def test_the_human_report_names_each_link_and_the_verdict(
    stack: Stack, doctor: Callable[..., tuple[int, str]]
) -> None:
    zone = make_zone(stack.services, "human.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    status, output = doctor("human.example")
    assert status == 0
    for line in (
        "ok storage: zone human.example. is stored",
        "ok workers: 1 worker(s) alive",
        f"ok mdns reachability: {stack.mdns.address} answers",
        "verdict: healthy",
    ):
        assert line in output, output
    status, output = doctor("missing.example.")
    assert status == 1 and "BROKEN storage: no live zone named missing.example." in output


def test_a_pools_file_that_does_not_load_is_broken_with_its_reasons(
    stack: Stack, doctor: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    make_zone(stack.services, "file.example.")
    bad = tmp_path / "pools.yaml"
    bad.write_text("- name: default\n  threshold_percentage: 300\n")
    status, output = doctor("file.example.", "--pools-file", str(bad), "--json")
    first = report_of(output)["first_broken"]
    assert (status, first["link"]) == (1, "pool config")
    assert first["summary"] == f"pools file {bad} does not load"
    assert any("threshold_percentage" in line for line in first["evidence"])
    status, output = doctor("file.example.", "--pools-file", str(tmp_path / "gone.yaml"), "--json")
    assert status == 1 and "cannot be read" in report_of(output)["first_broken"]["summary"]


def test_an_unreachable_database_cannot_be_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    started = time.monotonic()
    assert main(["doctor", "--json"]) == 2
    report = report_of(capsys.readouterr().out)
    assert time.monotonic() - started < 10  # refused at once, never waiting on a timeout
    assert report["verdict"] == "unknown"
    assert report["findings"][0]["summary"].startswith("cannot read the database: ")


def test_the_first_broken_link_is_the_earliest_in_the_chain() -> None:
    late = Finding(Link.NAMESERVERS, Verdict.BROKEN, "ns lags")
    early = Finding(Link.MDNS, Verdict.BROKEN, "mdns elsewhere")
    unknown = Finding(Link.CONTROL, Verdict.UNKNOWN, "not asked")
    assert Report("x", (late, early)).first_broken == early
    assert Report("x", (late, unknown)).exit_status == 1
    assert Report("x", (unknown,)).exit_status == 2
    assert Report("x", ()).exit_status == 0
    assert capped([str(n) for n in range(12)], 10)[-1] == "… and 2 more"
