"""Zone transfers between projects on the wire: the owner's request in full, the receiver's
reduced view, the key checked, the zone and its recordsets moved in one go, a request used
only once, the receiver's quota, and other projects kept out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

OWNER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
RECEIVER = {"X-Auth-Project-ID": "p2", "X-Roles": "member"}
STRANGER = {"X-Auth-Project-ID": "p3", "X-Roles": "member"}
ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin", "X-Auth-All-Projects": "true"}
REQUESTS = "/v2/zones/tasks/transfer_requests"
ACCEPTS = "/v2/zones/tasks/transfer_accepts"


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def zone_with_records(client: TestClient, name: str = "moving.example.") -> dict[str, Any]:
    zone: dict[str, Any] = client.post(
        "/v2/zones", json={"name": name, "email": "h@example.org"}, headers=OWNER
    ).json()
    client.post(f"/v2/zones/{zone['id']}/recordsets", headers=OWNER,
                json={"name": f"www.{name}", "type": "A", "records": ["192.0.2.1"]})  # fmt: skip
    return zone


def offer(client: TestClient, zone_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v2/zones/{zone_id}/tasks/transfer_requests", json=body,
                           headers=OWNER)  # fmt: skip
    assert response.status_code == 201, response.text
    request: dict[str, Any] = response.json()
    assert response.headers["location"] == request["links"]["self"]
    return request


def test_a_targeted_transfer_moves_the_zone_and_its_recordsets(client: TestClient) -> None:
    zone = zone_with_records(client)
    request = offer(client, zone["id"], target_project_id="p2", description="yours")
    assert (request["status"], request["zone_name"], request["target_project_id"]) == (
        "ACTIVE", "moving.example.", "p2",
    )  # fmt: skip
    key = request["key"]
    assert len(key) == 8 and key.isalnum() and key.upper() == key

    path = f"{REQUESTS}/{request['id']}"
    reduced = client.get(path, headers=RECEIVER).json()
    assert set(reduced) == {"id", "zone_id", "zone_name", "description", "status", "links"}
    assert_error(client.get(path, headers=STRANGER), 404, "zone_transfer_request_not_found")
    assert [r["id"] for r in client.get(REQUESTS, headers=RECEIVER).json()["transfer_requests"]
            ] == [request["id"]]  # fmt: skip
    assert client.get(REQUESTS, headers=STRANGER).json()["transfer_requests"] == []

    wrong = client.post(ACCEPTS, json={"key": "AAAAAAAA", "zone_transfer_request_id":
                                       request["id"]}, headers=RECEIVER)  # fmt: skip
    assert_error(wrong, 403, "invalid_key")
    assert_error(client.post(ACCEPTS, json={"key": key, "zone_transfer_request_id":
                                            request["id"]}, headers=STRANGER),
                 404, "zone_transfer_request_not_found")  # fmt: skip
    accepted = client.post(ACCEPTS, json={"key": key, "zone_transfer_request_id":
                                          request["id"]}, headers=RECEIVER)  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    accept = accepted.json()
    assert (accept["status"], accept["zone_id"], accept["project_id"]) == (
        "COMPLETE", zone["id"], "p2",
    )  # fmt: skip

    moved = client.get(f"/v2/zones/{zone['id']}", headers=RECEIVER).json()
    assert moved["project_id"] == "p2" and moved["transferred_at"] is not None
    assert_error(client.get(f"/v2/zones/{zone['id']}", headers=OWNER), 404, "zone_not_found")
    recordsets = client.get(f"/v2/zones/{zone['id']}/recordsets", headers=RECEIVER).json()
    assert {rs["project_id"] for rs in recordsets["recordsets"]} == {"p2"}
    assert client.get(path, headers=OWNER).json()["status"] == "COMPLETE"  # its own request
    assert client.get(path, headers=ADMIN).json()["status"] == "COMPLETE"
    again = client.post(ACCEPTS, json={"key": key, "zone_transfer_request_id": request["id"]},
                        headers=RECEIVER)  # fmt: skip
    assert_error(again, 400, "invalid_zone_transfer_request")
    assert client.get(f"{ACCEPTS}/{accept['id']}", headers=RECEIVER).json() == accept
    assert_error(client.get(f"{ACCEPTS}/{accept['id']}", headers=OWNER), 404,
                 "zone_transfer_accept_not_found")  # fmt: skip
    assert_error(client.get(ACCEPTS, headers=RECEIVER), 403, "forbidden")
    assert [a["id"] for a in client.get(ACCEPTS, headers=ADMIN).json()["transfer_accepts"]] == [
        accept["id"]
    ]


def test_an_untargeted_request_goes_to_whoever_has_the_key(client: TestClient) -> None:
    zone = zone_with_records(client)
    request = offer(client, zone["id"])
    assert request["target_project_id"] is None
    assert client.get(f"{REQUESTS}/{request['id']}", headers=STRANGER).status_code == 200
    accepted = client.post(ACCEPTS, json={"key": request["key"], "zone_transfer_request_id":
                                          request["id"]}, headers=STRANGER)  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    assert client.get(f"/v2/zones/{zone['id']}", headers=STRANGER).json()["project_id"] == "p3"


def test_owner_edits_only_the_description_and_may_withdraw(client: TestClient) -> None:
    zone = zone_with_records(client)
    request = offer(client, zone["id"], target_project_id="p2")
    path = f"{REQUESTS}/{request['id']}"
    assert_error(client.post(f"/v2/zones/{zone['id']}/tasks/transfer_requests", json={},
                             headers=OWNER), 409, "duplicate_zone_transfer_request")  # fmt: skip
    changed = client.patch(path, json={"description": "new words"}, headers=OWNER)
    assert changed.status_code == 200 and changed.json()["description"] == "new words"
    assert_error(client.patch(path, json={"target_project_id": "p3"}, headers=OWNER), 400,
                 "invalid_object")  # fmt: skip
    assert_error(client.patch(path, json={"description": "mine"}, headers=RECEIVER), 404,
                 "zone_transfer_request_not_found")  # fmt: skip
    assert_error(client.delete(path, headers=RECEIVER), 404, "zone_transfer_request_not_found")
    assert client.delete(path, headers=OWNER).status_code == 204
    assert_error(client.get(path, headers=OWNER), 404, "zone_transfer_request_not_found")
    assert_error(client.post(f"/v2/zones/{zone['id']}/tasks/transfer_requests",
                             json={"target_project_id": "p1"}, headers=OWNER), 400,
                 "bad_request")  # fmt: skip


def test_the_receivers_zone_quota_is_checked(client: TestClient) -> None:
    zone = zone_with_records(client)
    client.patch("/v2/quotas/p2", json={"zones": 0},
                 headers={"X-Auth-Project-ID": "ops", "X-Roles": "admin"})  # fmt: skip
    request = offer(client, zone["id"], target_project_id="p2")
    refused = client.post(ACCEPTS, json={"key": request["key"], "zone_transfer_request_id":
                                         request["id"]}, headers=RECEIVER)  # fmt: skip
    assert_error(refused, 413, "over_quota")
    assert client.get(f"/v2/zones/{zone['id']}", headers=OWNER).json()["project_id"] == "p1"
    assert client.get(f"{REQUESTS}/{request['id']}", headers=OWNER).json()["status"] == "ACTIVE"
