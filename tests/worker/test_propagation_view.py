"""The propagation view (API extension and `zonefleet zone status`) shows what the worker saw."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.service.factories import make_zone
from tests.stack import Stack
from zonefleet.api.app import create_app
from zonefleet.cli.main import main
from zonefleet.storage.models import Status


def test_the_propagation_endpoint_names_each_nameserver_and_its_serial(stack: Stack) -> None:
    zone = make_zone(stack.services, "example.org.", project="p1")
    served = stack.wait_for(zone.id, Status.ACTIVE)
    with TestClient(create_app(stack.services)) as client:
        body = client.get(
            f"/v2/zones/{zone.id}/propagation", headers={"X-Auth-Project-ID": "p1"}
        ).json()
        assert (body["zone_id"], body["serial"], body["status"]) == (
            zone.id, served.serial, "ACTIVE",
        )  # fmt: skip
        [nameserver] = body["nameservers"]
        assert (nameserver["host"], nameserver["port"]) == tuple(stack.mdns.address)
        assert (nameserver["serial"], nameserver["state"]) == (served.serial, "SERVING")
        assert body["targets"] == []
        other = client.get(f"/v2/zones/{zone.id}/propagation", headers={"X-Auth-Project-ID": "p2"})
        assert other.status_code == 404
        assert other.json()["type"] == "zone_not_found"


def test_zone_status_prints_the_same_as_a_table(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    zone = make_zone(stack.services, "example.org.")
    served = stack.wait_for(zone.id, Status.ACTIVE)
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", str(stack.database.url))
    assert main(["zone", "status", "example.org"]) == 0
    printed = capsys.readouterr().out
    assert f"serial {served.serial}" in printed
    assert str(stack.mdns.address) in printed
    assert "SERVING" in printed
    assert main(["zone", "status", "missing.example."]) == 1
