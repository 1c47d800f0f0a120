"""The zone timeline from a real propagation to BIND9: every step of a change, read through
`GET /v2/zones/{id}/timeline`. BIND's answers say the change arrived; the timeline must
hold the steps that got it there, in order, with who did each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dns.name
import pytest
from fastapi.testclient import TestClient

from tests.integration.conftest import NamedFactory, served_serial
from tests.integration.named import Named
from tests.integration.test_propagation_bind import load_pool, wait_until
from tests.stack import Stack
from zonefleet.api.app import create_app
from zonefleet.storage.models import Status

MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}


@pytest.fixture
def bind(named_factory: NamedFactory) -> Named:
    return named_factory()


@pytest.fixture
def bind_stack(stack_factory: Callable[..., Stack], bind: Named) -> Stack:
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="2", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    load_pool(stack, [bind])
    return stack


def timeline(client: TestClient, zone_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v2/zones/{zone_id}/timeline?limit=1000", headers=MEMBER)
    assert response.status_code == 200, response.text
    steps: list[dict[str, Any]] = response.json()["timeline"]
    return steps


def after(steps: list[dict[str, Any]], first: dict[str, Any], event: str) -> dict[str, Any]:
    """The first step named `event` that comes after `first`."""
    return next(s for s in steps if s["id"] > first["id"] and s["event"] == event)


def test_the_timeline_walks_a_change_from_the_api_to_bind_serving_it(
    bind_stack: Stack, bind: Named
) -> None:
    origin = dns.name.from_text("timeline.example.")
    with TestClient(create_app(bind_stack.services)) as client:
        created = client.post(
            "/v2/zones",
            json={"name": "timeline.example.", "email": "h@example.org"},
            headers=MEMBER,
        )
        assert created.status_code == 202, created.text
        zone, request_id = created.json(), created.headers["x-openstack-request-id"]
        active = bind_stack.wait_for(zone["id"], Status.ACTIVE)
        assert served_serial(bind.host, bind.port, origin) == active.serial
        wait_until(
            lambda: any(s["event"] == "transfer served" for s in timeline(client, zone["id"])),
            what="mdns's step",
        )
        steps = timeline(client, zone["id"])

        write = steps[0]
        assert (write["role"], write["event"], write["request_id"]) == (
            "api",
            "zone created",
            request_id,
        )
        claimed = after(steps, write, "claimed")
        assert (
            claimed["role"] == "worker" and claimed["subject"] == bind_stack.reconciler.ledger.owner
        )
        assert claimed["request_id"] == request_id
        assert claimed["detail"] == "push to 1 of 1 targets, woken by a hint from the bus"
        pushed = after(steps, claimed, "pushed")
        assert pushed["detail"] == "bind9: zone configured, refresh requested"
        served = after(steps, write, "transfer served")
        assert served["role"] == "mdns" and served["subject"] == bind.host
        assert served["detail"].startswith("AXFR: ") and served["serial"] == active.serial
        serving = after(steps, pushed, "serving")
        assert serving["subject"] == f"{bind.host}:{bind.port}"
        assert after(steps, serving, "status ACTIVE")["serial"] == active.serial

        record = client.post(
            f"/v2/zones/{zone['id']}/recordsets",
            headers=MEMBER,
            json={"name": "www.timeline.example.", "type": "A", "records": ["192.0.2.7"]},
        )
        assert record.status_code == 202, record.text
        wait_until(
            lambda: served_serial(bind.host, bind.port, origin) != active.serial,
            what="BIND to take the change",
        )
        wait_until(
            lambda: any(
                s["event"] == "transfer served" and s["detail"].startswith("IXFR")
                for s in timeline(client, zone["id"])
            ),
            what="the IXFR step",
        )
        steps = timeline(client, zone["id"])
        change = next(s for s in steps if s["event"] == "recordset created")
        assert change["detail"] == "www.timeline.example. A"
        assert change["request_id"] == record.headers["x-openstack-request-id"]
        ixfr = after(steps, change, "transfer served")
        assert ixfr["detail"].startswith(f"IXFR: from serial {active.serial}: ")
        assert ixfr["serial"] == change["serial"]
