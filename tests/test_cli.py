"""The `zonefleet` command: config sample, settings errors, db upgrade, and a real `serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query
import httpx2 as httpx
import pytest

from zonefleet.cli.main import main
from zonefleet.storage import migrate

ZONEFLEET = str(Path(sys.executable).with_name("zonefleet"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_config_sample_prints_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "sample"]) == 0
    out = capsys.readouterr().out
    for key in ("ZONEFLEET_DATABASE__URL", "ZONEFLEET_API__BIND", "ZONEFLEET_MDNS__BIND"):
        assert key in out


def test_bad_setting_exits_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZONEFLEET_API__BIND", "nowhere")
    assert main(["db", "current"]) == 2
    assert "api.bind" in capsys.readouterr().err


def test_db_upgrade_and_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZONEFLEET_DATA_DIR", str(tmp_path))
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == "empty"
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip().endswith(str(migrate.head_revision()))
    assert (tmp_path / "zonefleet.sqlite3").exists()


def test_serve_refuses_an_unmigrated_server_database(
    empty_postgresql_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", empty_postgresql_url)
    assert main(["serve"]) == 2
    assert "zonefleet db upgrade" in capsys.readouterr().err


@pytest.mark.parametrize("role", ["api", "worker", "mdns"])
def test_roles_refuse_an_unmigrated_server_database(
    role: str,
    empty_postgresql_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", empty_postgresql_url)
    assert main([role]) == 2
    assert "zonefleet db upgrade" in capsys.readouterr().err


def test_a_worker_needs_the_real_mdns_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZONEFLEET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZONEFLEET_MDNS__BIND", "127.0.0.1:0")
    assert main(["db", "upgrade"]) == 0
    assert main(["worker"]) == 2
    assert "mdns.bind" in capsys.readouterr().err


def test_serve_runs_the_embedded_default(tmp_path: Path) -> None:
    port, mdns_port = free_port(), free_port()
    env = {
        **os.environ,
        "ZONEFLEET_DATA_DIR": str(tmp_path),
        "ZONEFLEET_API__BIND": f"127.0.0.1:{port}",
        "ZONEFLEET_MDNS__BIND": f"127.0.0.1:{mdns_port}",
        "ZONEFLEET_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([ZONEFLEET, "serve"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        created = httpx.post(
            f"{base}/v2/zones", json={"name": "served.example.", "email": "a@served.example"}
        )
        assert created.status_code == 202
        listed = httpx.get(f"{base}/v2/zones").json()
        assert [z["name"] for z in listed["zones"]] == ["served.example."]
        # mdns and the worker run in the same process: mdns answers, the zone goes ACTIVE.
        query = dns.message.make_query("served.example.", "SOA")
        answer = dns.query.udp(query, "127.0.0.1", port=mdns_port, timeout=2)
        assert answer.answer[0][0].serial == created.json()["serial"]
        zone_url = f"{base}/v2/zones/{created.json()['id']}"
        while httpx.get(zone_url).json()["status"] != "ACTIVE":
            assert time.monotonic() < deadline + 10, "the zone never went ACTIVE"
            time.sleep(0.05)
        # /metrics of the one process counts what every role did and reads the zones' state.
        metrics = httpx.get(f"{base}/metrics").text
        assert 'zonefleet_zones{status="ACTIVE"} 1.0' in metrics
        assert "zonefleet_propagation_seconds_count 1.0" in metrics
        # The mdns role's heartbeat says where it listens; doctor, run as an operator would,
        # finds the serving process healthy.
        statuses = httpx.get(f"{base}/v2/service_statuses").json()["service_statuses"]
        [mdns] = [s for s in statuses if s["service_name"] == "mdns"]
        assert mdns["capabilities"] == {"listen": f"127.0.0.1:{mdns_port}"}
        doctor = subprocess.run(
            [ZONEFLEET, "doctor", "served.example."],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "verdict: healthy" in doctor.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        # Every role stops cleanly and the process exits 0, not by the signal.
        assert process.wait(timeout=15) == 0
