"""The v2 tlds routes on the wire, and what TLDs do to zone creates: once any exists, a zone
must sit under one and may not be one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
FIELDS = {"id", "name", "description", "created_at", "updated_at", "links"}


def create(client: TestClient, name: str, description: str | None = None) -> dict[str, Any]:
    response = client.post("/v2/tlds", json={"name": name, "description": description},
                           headers=ADMIN)  # fmt: skip
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == created["links"]["self"]
    return created


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def tld_names(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/v2/tlds{query}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return [tld["name"] for tld in response.json()["tlds"]]


def create_zone(client: TestClient, name: str) -> Any:
    return client.post("/v2/zones", json={"name": name, "email": "h@example.org"},
                       headers=MEMBER)  # fmt: skip


def test_create_show_list_update_delete(client: TestClient) -> None:
    created = create(client, "Com", "commercial")
    assert set(created) == FIELDS
    assert (created["name"], created["description"], created["updated_at"]) == (
        "com", "commercial", None,
    )  # fmt: skip
    path = f"/v2/tlds/{created['id']}"
    assert client.get(path, headers=ADMIN).json() == created
    create(client, "co.uk")
    listed = client.get("/v2/tlds?sort_key=name", headers=ADMIN).json()
    assert [tld["name"] for tld in listed["tlds"]] == ["co.uk", "com"]
    assert listed["metadata"] == {"total_count": 2}
    assert tld_names(client, "?name=co.*") == ["co.uk"]

    changed = client.patch(path, json={"description": None}, headers=ADMIN)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["description"]) == ("com", None)
    assert changed.json()["updated_at"] is not None
    assert client.patch(path, json={"name": "net"}, headers=ADMIN).json()["name"] == "net"

    gone = client.delete(path, headers=ADMIN)
    assert gone.status_code == 204 and gone.content == b""
    assert_error(client.get(path, headers=ADMIN), 404, "tld_not_found")
    assert tld_names(client) == ["co.uk"]


@pytest.mark.parametrize(
    "name", ["com.", "-com", "com-", "a..b", "", "spaced out", "x" * 64, "ünï", ".com"]
)
def test_a_bad_name_is_refused_and_changes_nothing(client: TestClient, name: str) -> None:
    response = client.post("/v2/tlds", json={"name": name}, headers=ADMIN)
    assert_error(response, 400, "invalid_object")
    assert tld_names(client) == []


def test_duplicates_unknown_ids_and_non_admins_are_refused(client: TestClient) -> None:
    com = create(client, "com")
    net = create(client, "net")
    assert_error(client.post("/v2/tlds", json={"name": "COM"}, headers=ADMIN), 409,
                 "duplicate_tld")  # fmt: skip
    path = f"/v2/tlds/{net['id']}"
    assert_error(client.patch(path, json={"name": "com"}, headers=ADMIN), 409, "duplicate_tld")
    assert_error(client.patch(path, json={"name": None}, headers=ADMIN), 400, "invalid_object")
    assert_error(client.patch(path, json={"colour": "red"}, headers=ADMIN), 400,
                 "invalid_object")  # fmt: skip
    assert client.get(path, headers=ADMIN).json() == net
    assert_error(client.get(f"/v2/tlds/{uuid.uuid4()}", headers=ADMIN), 404, "tld_not_found")
    for response in (
        client.get("/v2/tlds", headers=MEMBER),
        client.get(f"/v2/tlds/{com['id']}", headers=MEMBER),
        client.post("/v2/tlds", json={"name": "org"}, headers=MEMBER),
        client.patch(f"/v2/tlds/{com['id']}", json={"name": "org"}, headers=MEMBER),
        client.delete(f"/v2/tlds/{com['id']}", headers=MEMBER),
    ):
        assert_error(response, 403, "forbidden")
    assert sorted(tld_names(client)) == ["com", "net"]


def test_zones_must_sit_under_a_tld_once_any_exists(client: TestClient) -> None:
    assert create_zone(client, "free.example.").status_code == 202  # no TLDs yet: any zone
    create(client, "com")
    create(client, "co.uk")
    assert create_zone(client, "shop.com.").status_code == 202
    assert create_zone(client, "deep.shop2.com.").status_code == 202
    assert create_zone(client, "shop.co.uk.").status_code == 202
    refused = assert_error(create_zone(client, "shop.org."), 400, "invalid_zone_name")
    assert refused["message"] == "Invalid TLD"
    refused = assert_error(create_zone(client, "co.uk."), 400, "invalid_zone_name")
    assert refused["message"] == "Zone name cannot be the same as a TLD"
    names = [zone["name"] for zone in client.get("/v2/zones", headers=MEMBER).json()["zones"]]
    assert sorted(names) == ["deep.shop2.com.", "free.example.", "shop.co.uk.", "shop.com."]
