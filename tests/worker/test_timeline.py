"""The zone timeline (`GET /v2/zones/{id}/timeline`, `zonefleet zone timeline`) from a real
round of the reconciler over mdns: paging, order, who may read it, and the operator's view."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.api.app import create_app
from zonefleet.cli.main import main
from zonefleet.storage.models import Status

P1 = {"X-Auth-Project-ID": "p1"}


def get(client: TestClient, path: str, headers: dict[str, str] = P1) -> dict[str, Any]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_timeline_pages_oldest_first_or_newest_first(stack: Stack) -> None:
    zone = make_zone(stack.services, "paged.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.paged.example.", "A", "192.0.2.1")
    )
    stack.wait_for(zone.id, Status.ACTIVE)
    path = f"/v2/zones/{zone.id}/timeline"
    with TestClient(create_app(stack.services)) as client:
        whole = get(client, path)["timeline"]
        events = [step["event"] for step in whole]
        assert events[0] == "zone created" and "recordset created" in events
        assert events.count("status ACTIVE") == 2
        assert [s["id"] for s in whole] == sorted(s["id"] for s in whole)
        first = get(client, f"{path}?limit=2")
        assert [s["id"] for s in first["timeline"]] == [s["id"] for s in whole[:2]]
        following = first["links"]["next"].split("/v2/", 1)[1]
        assert [s["id"] for s in get(client, f"/v2/{following}")["timeline"]] == [
            s["id"] for s in whole[2:4]
        ]
        newest = get(client, f"{path}?sort_dir=desc&limit=1")
        assert newest["timeline"][0]["id"] == whole[-1]["id"] and "next" in newest["links"]
        last = get(client, f"{path}?marker={whole[-2]['id']}")
        assert [s["id"] for s in last["timeline"]] == [whole[-1]["id"]]
        assert "next" not in last["links"]


def test_the_timeline_is_the_zone_owners_and_bad_paging_is_refused(stack: Stack) -> None:
    zone = make_zone(stack.services, "private.example.")
    path = f"/v2/zones/{zone.id}/timeline"
    with TestClient(create_app(stack.services)) as client:
        other = client.get(path, headers={"X-Auth-Project-ID": "p2"})
        assert (other.status_code, other.json()["type"]) == (404, "zone_not_found")
        admin = {"X-Auth-Project-ID": "p2", "X-Roles": "admin", "X-Auth-All-Projects": "true"}
        assert get(client, path, admin)["timeline"][0]["event"] == "zone created"
        for query, error in (
            ("marker=abc", "invalid_marker"),
            ("limit=0", "invalid_limit"),
            ("sort_dir=up", "invalid_sort_dir"),
            ("role=api", "bad_request"),
        ):
            response = client.get(f"{path}?{query}", headers=P1)
            assert (response.status_code, response.json()["type"]) == (400, error), query


def test_zone_timeline_prints_the_steps_by_name_and_after_the_zone_is_gone(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    zone = make_zone(stack.services, "told.example.")
    stack.wait_for(zone.id, Status.ACTIVE)
    stack.services.zones.delete_zone(ctx(), zone.id)
    stack.wait_for(zone.id, Status.DELETED)
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", str(stack.database.url))
    assert main(["zone", "timeline", "told.example"]) == 0
    printed = capsys.readouterr().out
    assert f"zone {zone.id}" in printed
    for event in ("zone created", "zone deleted", "status DELETED", "req-test"):
        assert event in printed
    assert printed.index("zone created") < printed.index("status DELETED")
    assert main(["zone", "timeline", zone.id, "--limit", "1", "--oldest"]) == 0
    printed = capsys.readouterr().out
    assert "zone created" in printed and "status DELETED" not in printed
    assert "later steps not shown" in printed
    assert main(["zone", "timeline", "never.example."]) == 1
