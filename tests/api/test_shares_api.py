"""Shared zones on the wire: the project a zone is shared with sees it (also in its zone
list), adds recordsets it then owns, and changes only those; the owner cannot unshare while
that project holds recordsets, and deletes a shared zone only with X-Designate-Delete-Shares."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

OWNER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
GUEST = {"X-Auth-Project-ID": "p2", "X-Roles": "member"}
STRANGER = {"X-Auth-Project-ID": "p3", "X-Roles": "member"}


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def make_zone(client: TestClient) -> dict[str, Any]:
    zone: dict[str, Any] = client.post(
        "/v2/zones", json={"name": "shared.example.", "email": "h@example.org"}, headers=OWNER
    ).json()
    return zone


def add_a(client: TestClient, zone_id: str, label: str, headers: dict[str, str]) -> Any:
    return client.post(f"/v2/zones/{zone_id}/recordsets", headers=headers,
                       json={"name": f"{label}.shared.example.", "type": "A",
                             "records": ["192.0.2.1"]})  # fmt: skip


def test_a_guest_project_sees_the_zone_and_changes_only_its_own_recordsets(
    client: TestClient,
) -> None:
    zone = make_zone(client)
    path = f"/v2/zones/{zone['id']}"
    owners = add_a(client, zone["id"], "owners", OWNER).json()
    assert_error(client.get(path, headers=GUEST), 404, "zone_not_found")

    shared = client.post(f"{path}/shares", json={"target_project_id": "p2"}, headers=OWNER)
    assert shared.status_code == 201, shared.text
    share = shared.json()
    assert (share["zone_id"], share["project_id"], share["target_project_id"]) == (
        zone["id"], "p1", "p2",
    )  # fmt: skip
    assert shared.headers["location"] == share["links"]["self"]
    assert client.get(path, headers=OWNER).json()["shared"] is True
    assert client.get(path, headers=GUEST).json()["id"] == zone["id"]
    assert [z["id"] for z in client.get("/v2/zones", headers=GUEST).json()["zones"]] == [zone["id"]]
    assert_error(client.get(path, headers=STRANGER), 404, "zone_not_found")
    assert client.get("/v2/zones", headers=STRANGER).json()["zones"] == []

    guests = add_a(client, zone["id"], "guests", GUEST)
    assert guests.status_code == 202, guests.text
    assert guests.json()["project_id"] == "p2"
    listed = client.get(f"{path}/recordsets?type=A", headers=GUEST).json()["recordsets"]
    names = sorted(rs["name"] for rs in listed)
    assert names == ["guests.shared.example.", "owners.shared.example."]
    assert_error(client.put(f"{path}/recordsets/{owners['id']}", json={"ttl": 60},
                            headers=GUEST), 403, "forbidden")  # fmt: skip
    assert_error(client.delete(f"{path}/recordsets/{owners['id']}", headers=GUEST), 403,
                 "forbidden")  # fmt: skip
    changed = client.put(f"{path}/recordsets/{guests.json()['id']}", json={"ttl": 60},
                         headers=GUEST)  # fmt: skip
    assert changed.status_code == 202 and changed.json()["ttl"] == 60
    # The guest changes neither the zone nor its shares.
    assert_error(client.patch(path, json={"ttl": 60}, headers=GUEST), 404, "zone_not_found")
    assert_error(client.delete(path, headers=GUEST), 404, "zone_not_found")
    assert_error(client.post(f"{path}/shares", json={"target_project_id": "p3"},
                             headers=GUEST), 404, "zone_not_found")  # fmt: skip

    # Not unshared while the guest still owns a recordset; then it is.
    share_path = f"{path}/shares/{share['id']}"
    assert_error(client.delete(share_path, headers=OWNER), 400, "shared_zone_has_recordsets")
    assert client.delete(f"{path}/recordsets/{guests.json()['id']}", headers=GUEST).is_success
    assert client.delete(share_path, headers=OWNER).status_code == 204
    assert_error(client.get(path, headers=GUEST), 404, "zone_not_found")
    assert client.get(path, headers=OWNER).json()["shared"] is False


def test_shares_are_listed_refused_twice_and_block_a_plain_delete(client: TestClient) -> None:
    zone = make_zone(client)
    path = f"/v2/zones/{zone['id']}"
    for project in ("p2", "p3"):
        response = client.post(f"{path}/shares", json={"target_project_id": project},
                               headers=OWNER)  # fmt: skip
        assert response.status_code == 201, response.text
    assert_error(client.post(f"{path}/shares", json={"target_project_id": "p2"}, headers=OWNER),
                 409, "duplicate_shared_zone")  # fmt: skip
    assert_error(client.post(f"{path}/shares", json={"target_project_id": "p1"}, headers=OWNER),
                 400, "bad_request")  # fmt: skip
    owned = client.get(f"{path}/shares", headers=OWNER).json()["shared_zones"]
    assert sorted(share["target_project_id"] for share in owned) == ["p2", "p3"]
    mine = client.get(f"{path}/shares", headers=GUEST).json()["shared_zones"]
    assert [share["target_project_id"] for share in mine] == ["p2"]
    other = next(share for share in owned if share["target_project_id"] == "p3")
    assert_error(client.get(f"{path}/shares/{other['id']}", headers=GUEST), 404,
                 "shared_zone_not_found")  # fmt: skip

    assert_error(client.delete(path, headers=OWNER), 400, "zone_is_shared")
    deleted = client.delete(path, headers=OWNER | {"X-Designate-Delete-Shares": "true"})
    assert deleted.status_code == 202, deleted.text
    assert_error(client.get(path, headers=GUEST), 404, "zone_not_found")


def test_a_shared_zone_is_not_transferred(client: TestClient) -> None:
    zone = make_zone(client)
    path = f"/v2/zones/{zone['id']}"
    client.post(f"{path}/shares", json={"target_project_id": "p2"}, headers=OWNER)
    refused = client.post(f"{path}/tasks/transfer_requests", json={"target_project_id": "p3"},
                          headers=OWNER)  # fmt: skip
    assert_error(refused, 400, "bad_request")
    assert "unshare it first" in refused.json()["message"]
