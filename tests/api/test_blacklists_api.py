"""The v2 blacklists routes on the wire, and what a pattern does to zone creates: a tenant's
matching zone is refused, an admin's is not, and a pattern that backtracks without end costs
a create its time limit, never a stall."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from zonefleet.service.blacklists import MATCH_TIMEOUT

ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
FIELDS = {"id", "pattern", "description", "created_at", "updated_at", "links"}


def create(client: TestClient, pattern: str, description: str | None = None) -> dict[str, Any]:
    response = client.post("/v2/blacklists", json={"pattern": pattern,
                           "description": description}, headers=ADMIN)  # fmt: skip
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == created["links"]["self"]
    return created


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def patterns(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/v2/blacklists{query}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return [blacklist["pattern"] for blacklist in response.json()["blacklists"]]


def create_zone(client: TestClient, name: str, headers: dict[str, str] = MEMBER) -> Any:
    return client.post("/v2/zones", json={"name": name, "email": "h@example.org"},
                       headers=headers)  # fmt: skip


def test_create_show_list_update_delete(client: TestClient) -> None:
    created = create(client, r"^evil\.", "no evil")
    assert set(created) == FIELDS
    assert (created["pattern"], created["description"]) == (r"^evil\.", "no evil")
    path = f"/v2/blacklists/{created['id']}"
    assert client.get(path, headers=ADMIN).json() == created
    create(client, "casino")
    assert patterns(client, "?sort_key=pattern") == ["^evil\\.", "casino"]
    assert patterns(client, "?pattern=cas*") == ["casino"]
    changed = client.patch(path, json={"pattern": r"^wicked\.", "description": None},
                           headers=ADMIN)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["pattern"], changed.json()["description"]) == (r"^wicked\.", None)
    assert client.delete(path, headers=ADMIN).status_code == 204
    assert_error(client.get(path, headers=ADMIN), 404, "blacklist_not_found")
    assert patterns(client) == ["casino"]


@pytest.mark.parametrize("pattern", ["", "(unclosed", "[z-a]", "*lead", "x" * 256])
def test_a_bad_pattern_is_refused_and_changes_nothing(client: TestClient, pattern: str) -> None:
    response = client.post("/v2/blacklists", json={"pattern": pattern}, headers=ADMIN)
    assert_error(response, 400, "invalid_object")
    assert patterns(client) == []


def test_duplicates_unknown_ids_and_non_admins_are_refused(client: TestClient) -> None:
    first, second = create(client, "one"), create(client, "two")
    path = f"/v2/blacklists/{second['id']}"
    assert_error(client.post("/v2/blacklists", json={"pattern": "one"}, headers=ADMIN), 409,
                 "duplicate_blacklist")  # fmt: skip
    assert_error(client.patch(path, json={"pattern": "one"}, headers=ADMIN), 409,
                 "duplicate_blacklist")  # fmt: skip
    assert_error(client.patch(path, json={"pattern": "("}, headers=ADMIN), 400,
                 "invalid_object")  # fmt: skip
    assert client.get(path, headers=ADMIN).json() == second
    assert_error(client.delete(f"/v2/blacklists/{uuid.uuid4()}", headers=ADMIN), 404,
                 "blacklist_not_found")  # fmt: skip
    for response in (
        client.get("/v2/blacklists", headers=MEMBER),
        client.get(f"/v2/blacklists/{first['id']}", headers=MEMBER),
        client.post("/v2/blacklists", json={"pattern": "x"}, headers=MEMBER),
        client.patch(path, json={"pattern": "x"}, headers=MEMBER),
        client.delete(path, headers=MEMBER),
    ):
        assert_error(response, 403, "forbidden")
    assert patterns(client, "?sort_key=pattern") == ["one", "two"]


def test_a_tenant_may_not_create_a_blacklisted_zone_and_an_admin_may(client: TestClient) -> None:
    create(client, r"^evil\.")
    create(client, r"casino\.example\.$")
    for name in ("evil.example.", "my-casino.example."):
        refused = assert_error(create_zone(client, name), 400, "invalid_zone_name")
        assert refused["message"] == "Blacklisted zone name"
    assert create_zone(client, "not-evil.example.").status_code == 202
    assert create_zone(client, "evil.example.", ADMIN).status_code == 202
    listed = client.get("/v2/zones?all_projects=true", headers=ADMIN | {
        "X-Auth-All-Projects": "true"})  # fmt: skip
    assert sorted(zone["name"] for zone in listed.json()["zones"]) == [
        "evil.example.", "not-evil.example.",
    ]  # fmt: skip


def test_a_pattern_that_backtracks_without_end_refuses_within_its_time_limit(
    client: TestClient,
) -> None:
    create(client, "((a|a)+)+b")
    started = time.monotonic()
    response = create_zone(client, f"{'a' * 60}.example.")
    assert time.monotonic() - started < 1.0  # the search gave up at MATCH_TIMEOUT
    assert MATCH_TIMEOUT < 1.0
    assert_error(response, 400, "invalid_zone_name")
