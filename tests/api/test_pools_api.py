"""The v2 pools routes on the wire: admin-only reads of what pools.yaml loaded, and writes
answered 405 with the way to change a pool."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from zonefleet.pools.load import parse_pools
from zonefleet.service.pools import PoolService
from zonefleet.storage.database import Database
from zonefleet.storage.models import DEFAULT_POOL_ID

ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
POOLS = """
- name: default
  description: Default pool
  attributes: {tier: gold}
  ns_records:
    - {hostname: ns2.zonefleet.test., priority: 2}
    - {hostname: ns1.zonefleet.test., priority: 1}
  nameservers: [{host: 192.0.2.53, port: 53}]
  targets: []
- name: second
  ns_records: [{hostname: ns.second.test., priority: 1}]
  nameservers: [{host: 192.0.2.54, port: 53}]
  targets: []
"""


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def test_admins_read_the_pools_pools_yaml_loaded(
    client: TestClient, sqlite_database: Database
) -> None:
    PoolService(sqlite_database).update_pools(parse_pools(POOLS))
    listed = client.get("/v2/pools?sort_key=name", headers=ADMIN)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [pool["name"] for pool in body["pools"]] == ["default", "second"]
    assert body["metadata"] == {"total_count": 2}
    default = client.get(f"/v2/pools/{DEFAULT_POOL_ID}", headers=ADMIN).json()
    assert default["id"] == DEFAULT_POOL_ID
    assert (default["description"], default["attributes"]) == ("Default pool", {"tier": "gold"})
    assert default["ns_records"] == [
        {"hostname": "ns1.zonefleet.test.", "priority": 1},
        {"hostname": "ns2.zonefleet.test.", "priority": 2},
    ]
    assert default["links"]["self"].endswith(f"/v2/pools/{DEFAULT_POOL_ID}")
    assert [p["name"] for p in client.get("/v2/pools?name=sec*", headers=ADMIN).json()["pools"]
            ] == ["second"]  # fmt: skip
    assert_error(client.get("/v2/pools/00000000-0000-0000-0000-000000000001", headers=ADMIN),
                 404, "pool_not_found")  # fmt: skip


def test_members_may_not_read_and_nobody_writes_through_the_api(client: TestClient) -> None:
    assert_error(client.get("/v2/pools", headers=MEMBER), 403, "forbidden")
    assert_error(client.get(f"/v2/pools/{DEFAULT_POOL_ID}", headers=MEMBER), 403, "forbidden")
    for response in (
        client.post("/v2/pools", json={"name": "new"}, headers=ADMIN),
        client.patch(f"/v2/pools/{DEFAULT_POOL_ID}", json={"description": "x"}, headers=ADMIN),
        client.delete(f"/v2/pools/{DEFAULT_POOL_ID}", headers=ADMIN),
    ):
        refused = assert_error(response, 405, "method_not_allowed")
        assert "zonefleet pool update" in refused["message"]
    assert_error(client.delete(f"/v2/pools/{DEFAULT_POOL_ID}", headers=MEMBER), 403, "forbidden")
    pool = client.get(f"/v2/pools/{DEFAULT_POOL_ID}", headers=ADMIN).json()
    assert pool["description"] == "Default pool"
