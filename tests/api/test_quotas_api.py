"""The v2 quotas and limits routes on the wire: flat dicts, admin-only writes, a reset back
to the configured defaults, bad input refused without a change, and quotas that bite."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
READER = {"X-Auth-Project-ID": "p1", "X-Roles": "reader"}
DEFAULTS = {"api_export_size": 1000, "recordset_records": 20, "zone_records": 500,
            "zone_recordsets": 500, "zones": 10}  # fmt: skip


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def test_quotas_read_set_and_reset(client: TestClient) -> None:
    assert client.get("/v2/quotas", headers=MEMBER).json() == DEFAULTS
    assert client.get("/v2/quotas/p1", headers=READER).json() == DEFAULTS
    changed = client.patch("/v2/quotas/p1", json={"zones": 1, "zone_records": -1},
                           headers=ADMIN)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json() == DEFAULTS | {"zones": 1, "zone_records": -1}
    assert client.get("/v2/quotas", headers=MEMBER).json() == changed.json()
    assert client.get("/v2/quotas/p2", headers=ADMIN).json() == DEFAULTS  # others untouched

    # The quota bites: p1 may hold one zone.
    first = client.post("/v2/zones", json={"name": "one.example.", "email": "h@example.org"},
                        headers=MEMBER)  # fmt: skip
    assert first.status_code == 202, first.text
    second = client.post("/v2/zones", json={"name": "two.example.", "email": "h@example.org"},
                         headers=MEMBER)  # fmt: skip
    assert_error(second, 413, "over_quota")

    reset = client.delete("/v2/quotas/p1", headers=ADMIN)
    assert reset.status_code == 204 and reset.content == b""
    assert client.get("/v2/quotas", headers=MEMBER).json() == DEFAULTS


def test_only_admins_write_and_others_read_only_their_own(client: TestClient) -> None:
    assert_error(client.get("/v2/quotas/p2", headers=MEMBER), 403, "forbidden")
    assert_error(client.patch("/v2/quotas/p1", json={"zones": 99}, headers=MEMBER), 403,
                 "forbidden")  # fmt: skip
    assert_error(client.delete("/v2/quotas/p1", headers=MEMBER), 403, "forbidden")
    assert client.get("/v2/quotas", headers=MEMBER).json() == DEFAULTS


def test_bad_quotas_are_refused_and_change_nothing(client: TestClient) -> None:
    for body in ({"zones": "ten"}, {"zones": -2}, {"zones": 2147483648}, {"zones": True},
                 {"colours": 3}, {"zones": 5, "colours": 3}, {}):  # fmt: skip
        response = client.patch("/v2/quotas/p1", json=body, headers=ADMIN)
        assert_error(response, 400, "invalid_object")
    assert_error(client.patch("/v2/quotas/p1", json=[1], headers=ADMIN), 400, "invalid_object")
    assert client.get("/v2/quotas/p1", headers=ADMIN).json() == DEFAULTS


def test_limits_are_the_project_quotas_and_the_configured_bounds(client: TestClient) -> None:
    client.patch("/v2/quotas/p1", json={"zones": 3, "recordset_records": 7}, headers=ADMIN)
    assert client.get("/v2/limits", headers=MEMBER).json() == {
        "max_page_limit": 1000, "max_recordset_name_length": 255, "max_recordset_records": 7,
        "max_zone_name_length": 255, "max_zone_records": 500, "max_zone_recordsets": 500,
        "max_zones": 3, "min_ttl": 0,
    }  # fmt: skip
