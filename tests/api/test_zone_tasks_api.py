"""POST /v2/zones/{id}/tasks/abandon: an admin forgets a zone in the database only; no worker
touches a backend or a nameserver for it afterwards. And tasks/xfr, refused for the PRIMARY
zones Zonefleet serves, in Designate's words."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

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
