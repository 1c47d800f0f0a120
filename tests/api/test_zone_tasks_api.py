"""POST /v2/zones/{id}/tasks/abandon: an admin forgets a zone in the database only; no worker
touches a backend or a nameserver for it afterwards. And tasks/xfr, refused for the PRIMARY
zones Zonefleet serves, in Designate's words."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zonefleet.pools.load import parse_pools
from zonefleet.service.pools import PoolService
from zonefleet.storage.database import Database
from zonefleet.storage.models import ZoneEvent, ZoneTarget

ADMIN = {"X-Auth-Project-ID": "p1", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def create_zone(client: TestClient, name: str) -> dict[str, Any]:
    response = client.post("/v2/zones", json={"name": name, "email": "h@example.org"},
                           headers=MEMBER)  # fmt: skip
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_admin_abandons_a_zone_and_its_name_is_free_again(
    client: TestClient, sqlite_database: Database
) -> None:
    zone = create_zone(client, "abandoned.example.")
    path = f"/v2/zones/{zone['id']}"
    assert_error(client.post(f"{path}/tasks/abandon", headers=MEMBER), 403, "forbidden")
    done = client.post(f"{path}/tasks/abandon", headers=ADMIN)
    assert done.status_code == 204 and done.content == b""
    assert_error(client.get(path, headers=MEMBER), 404, "zone_not_found")
    assert_error(client.post(f"{path}/tasks/abandon", headers=ADMIN), 404, "zone_not_found")
    with sqlite_database.read() as session:
        targets = session.scalar(select(func.count()).select_from(ZoneTarget)
                                 .where(ZoneTarget.zone_id == zone["id"]))  # fmt: skip
        events = session.scalars(select(ZoneEvent.event).where(ZoneEvent.zone_id == zone["id"]))
        assert targets == 0 and "zone abandoned" in list(events)
    assert create_zone(client, "abandoned.example.")["id"] != zone["id"]


def test_a_zone_with_subzones_is_not_abandoned(client: TestClient) -> None:
    parent = create_zone(client, "parent.example.")
    create_zone(client, "child.parent.example.")
    response = client.post(f"/v2/zones/{parent['id']}/tasks/abandon", headers=ADMIN)
    assert_error(response, 400, "zone_has_sub_zone")
    assert client.get(f"/v2/zones/{parent['id']}", headers=MEMBER).status_code == 200


def test_xfr_is_refused_for_a_primary_zone(client: TestClient) -> None:
    zone = create_zone(client, "primary.example.")
    refused = assert_error(client.post(f"/v2/zones/{zone['id']}/tasks/xfr", headers=MEMBER),
                           400, "bad_request")  # fmt: skip
    assert refused["message"] == "Can't XFR a non Secondary zone."
    other = {"X-Auth-Project-ID": "p2", "X-Roles": "member"}
    assert_error(client.post(f"/v2/zones/{zone['id']}/tasks/xfr", headers=other), 404,
                 "zone_not_found")  # fmt: skip


OTHER_POOL = """
- name: default
  ns_records: [{hostname: ns1.zonefleet.invalid., priority: 1}]
- name: other
  id: 5d4fbc8f-1d4e-4a5a-9f1c-6a1f0e6f2b0a
  ns_records: [{hostname: ns1.other.test., priority: 1}, {hostname: ns2.other.test., priority: 2}]
"""


def test_an_admin_moves_a_zone_to_another_pool_with_its_ns_records(
    client: TestClient, sqlite_database: Database
) -> None:
    PoolService(sqlite_database).update_pools(parse_pools(OTHER_POOL))
    zone = create_zone(client, "moving.example.")
    path = f"/v2/zones/{zone['id']}/tasks/pool_move"
    other = {"pool_id": "5d4fbc8f-1d4e-4a5a-9f1c-6a1f0e6f2b0a"}
    assert_error(client.post(path, json=other, headers=MEMBER), 403, "forbidden")
    assert_error(client.post(path, headers=ADMIN), 400, "bad_request")  # default → default
    unknown = {"pool_id": "00000000-0000-0000-0000-000000000000"}
    assert_error(client.post(path, json=unknown, headers=ADMIN), 404, "pool_not_found")
    moved = client.post(path, json=other, headers=ADMIN)
    assert moved.status_code == 202 and moved.content == b""
    shown = client.get(f"/v2/zones/{zone['id']}", headers=MEMBER).json()
    assert (shown["pool_id"], shown["status"]) == (other["pool_id"], "PENDING")
    assert shown["serial"] > zone["serial"]
    ns = client.get(f"/v2/zones/{zone['id']}/nameservers", headers=MEMBER).json()
    assert [n["hostname"] for n in ns["nameservers"]] == ["ns1.other.test.", "ns2.other.test."]
    assert client.post(path, headers=ADMIN).status_code == 202  # and back to the default pool
    with sqlite_database.read() as session:
        events = list(session.scalars(select(ZoneEvent.detail).where(
            ZoneEvent.zone_id == zone["id"], ZoneEvent.event == "pool moved")))  # fmt: skip
    assert events == ["from pool default to pool other", "from pool other to pool default"]
    client.delete(f"/v2/zones/{zone['id']}", headers=MEMBER)
    assert_error(client.post(path, json=other, headers=ADMIN), 400, "bad_request")
