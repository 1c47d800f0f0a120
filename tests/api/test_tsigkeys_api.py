"""The v2 tsigkeys routes on the wire: Designate's bodies and status codes, paging and
filters, the admin-only policy, validation errors that change nothing, and keys a pool
uses kept from rename and delete."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from zonefleet.pools.load import parse_pools
from zonefleet.service.pools import PoolService
from zonefleet.storage.database import Database
from zonefleet.storage.models import DEFAULT_POOL_ID

ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
FIELDS = {
    "id", "name", "algorithm", "secret", "scope", "resource_id", "created_at", "updated_at",
    "links",
}  # fmt: skip
SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    wanted = {"name": "transfer-key", "algorithm": "hmac-sha256", "secret": SECRET,
              "scope": "POOL", "resource_id": DEFAULT_POOL_ID} | body  # fmt: skip
    response = client.post("/v2/tsigkeys", json=wanted, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == created["links"]["self"]
    return created


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def listed(client: TestClient, query: str = "") -> dict[str, Any]:
    response = client.get(f"/v2/tsigkeys{query}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_show_list_update_delete(client: TestClient) -> None:
    created = create(client)
    assert set(created) == FIELDS
    assert (created["name"], created["algorithm"], created["secret"], created["scope"]) == (
        "transfer-key.", "hmac-sha256", SECRET, "POOL",
    )  # fmt: skip
    assert created["resource_id"] == DEFAULT_POOL_ID and created["updated_at"] is None
    path = f"/v2/tsigkeys/{created['id']}"
    assert created["links"]["self"].endswith(path)
    assert client.get(path, headers=ADMIN).json() == created

    body = listed(client)
    assert [key["id"] for key in body["tsigkeys"]] == [created["id"]]
    assert body["metadata"] == {"total_count": 1}
    assert body["links"]["self"].endswith("/v2/tsigkeys")

    changed = client.patch(path, json={"secret": base64.b64encode(b"x" * 32).decode(),
                                       "algorithm": "hmac-sha512"}, headers=ADMIN)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["algorithm"] == "hmac-sha512"
    assert changed.json()["secret"] == base64.b64encode(b"x" * 32).decode()
    assert changed.json()["updated_at"] is not None
    renamed = client.patch(path, json={"name": "Other-Key"}, headers=ADMIN)
    assert renamed.status_code == 200 and renamed.json()["name"] == "other-key."

    gone = client.delete(path, headers=ADMIN)
    assert gone.status_code == 204 and gone.content == b""
    assert_error(client.get(path, headers=ADMIN), 404, "tsigkey_not_found")
    assert_error(client.delete(path, headers=ADMIN), 404, "tsigkey_not_found")


def test_a_secret_is_generated_when_none_is_given(client: TestClient) -> None:
    created = create(client, secret=None, algorithm="hmac-sha384")
    assert len(base64.b64decode(created["secret"])) == 48


def test_paging_sorting_and_filters(client: TestClient) -> None:
    algorithms = ["hmac-sha256", "hmac-sha1", "hmac-sha256"]
    made = [create(client, name=f"key-{index}", algorithm=algorithm)
            for index, algorithm in enumerate(algorithms)]  # fmt: skip
    first = listed(client, "?limit=2&sort_key=name&sort_dir=desc")
    assert [key["name"] for key in first["tsigkeys"]] == ["key-2.", "key-1."]
    assert "next" in first["links"]
    rest = listed(client, f"?limit=2&sort_key=name&sort_dir=desc&marker={made[1]['id']}")
    assert [key["name"] for key in rest["tsigkeys"]] == ["key-0."]
    sha256 = listed(client, "?algorithm=hmac-sha256")
    assert {key["id"] for key in sha256["tsigkeys"]} == {made[0]["id"], made[2]["id"]}
    assert [key["name"] for key in listed(client, "?name=key-1*")["tsigkeys"]] == ["key-1."]
    assert_error(client.get("/v2/tsigkeys?sort_key=secret", headers=ADMIN), 400,
                 "invalid_sort_key")  # fmt: skip
    assert_error(client.get("/v2/tsigkeys?secret=x", headers=ADMIN), 400, "bad_request")
    assert_error(client.get(f"/v2/tsigkeys?marker={uuid.uuid4()}", headers=ADMIN), 400,
                 "marker_not_found")  # fmt: skip


def test_only_an_admin_may_see_or_touch_keys(client: TestClient) -> None:
    created = create(client)
    path = f"/v2/tsigkeys/{created['id']}"
    for response in (
        client.get("/v2/tsigkeys", headers=MEMBER),
        client.get(path, headers=MEMBER),
        client.post("/v2/tsigkeys", json={"name": "k", "algorithm": "hmac-sha256"}, headers=MEMBER),
        client.patch(path, json={"name": "mine"}, headers=MEMBER),
        client.delete(path, headers=MEMBER),
    ):
        assert_error(response, 403, "forbidden")
    assert client.get(path, headers=ADMIN).json() == created


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"algorithm": "hmac-sha256"}, "invalid_object"),  # no name
        ({"name": "k", "algorithm": "hmac-sha3"}, "invalid_object"),
        ({"name": "k", "algorithm": "hmac-sha256", "secret": ""}, "invalid_object"),
        ({"name": "k", "algorithm": "hmac-sha256", "secret": "not base64!"}, "invalid_object"),
        ({"name": "k", "algorithm": "hmac-sha256", "scope": "TENANT"}, "invalid_object"),
        ({"name": "bad name", "algorithm": "hmac-sha256"}, "invalid_object"),
        ({"name": "k", "algorithm": "hmac-sha256", "colour": "red"}, "invalid_object"),
        ({"name": "k", "algorithm": "hmac-sha256", "scope": "ZONE"}, "invalid_object"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, body: dict[str, Any], error_type: str
) -> None:
    assert_error(client.post("/v2/tsigkeys", json=body, headers=ADMIN), 400, error_type)
    assert listed(client)["tsigkeys"] == []


def test_a_key_must_name_a_pool_or_zone_that_exists(client: TestClient) -> None:
    body = {"name": "k", "algorithm": "hmac-sha256", "scope": "ZONE",
            "resource_id": str(uuid.uuid4())}  # fmt: skip
    assert_error(client.post("/v2/tsigkeys", json=body, headers=ADMIN), 404, "zone_not_found")
    body["scope"] = "POOL"
    assert_error(client.post("/v2/tsigkeys", json=body, headers=ADMIN), 404, "pool_not_found")
    assert listed(client)["tsigkeys"] == []


def test_duplicates_and_bad_patches_change_nothing(client: TestClient) -> None:
    first, second = create(client, name="one"), create(client, name="two")
    path = f"/v2/tsigkeys/{second['id']}"
    assert_error(client.post("/v2/tsigkeys", json={"name": "ONE.", "algorithm": "hmac-sha1"},
                             headers=ADMIN), 409, "duplicate_tsigkey")  # fmt: skip
    assert_error(client.patch(path, json={"name": "one"}, headers=ADMIN), 409,
                 "duplicate_tsigkey")  # fmt: skip
    assert_error(client.patch(path, json={"name": None}, headers=ADMIN), 400, "invalid_object")
    assert_error(client.patch(path, json={"algorithm": "md5", "secret": "!"}, headers=ADMIN),
                 400, "invalid_object")  # fmt: skip
    # A ZONE key's resource is a zone: the default pool's id is none.
    assert_error(client.patch(path, json={"scope": "ZONE"}, headers=ADMIN), 404,
                 "zone_not_found")  # fmt: skip
    assert client.get(path, headers=ADMIN).json() == second
    assert client.get(f"/v2/tsigkeys/{first['id']}", headers=ADMIN).json() == first
    assert_error(client.get("/v2/tsigkeys/not-a-uuid", headers=ADMIN), 400, "invalid_uuid")


def test_a_key_a_pool_uses_keeps_its_name_and_stays(
    client: TestClient, sqlite_database: Database
) -> None:
    created = create(client, name="pool-key")
    PoolService(sqlite_database).update_pools(
        parse_pools("""
- name: default
  ns_records: [{hostname: ns1.zonefleet.test., priority: 1}]
  nameservers: [{host: 192.0.2.53, port: 53}]
  targets:
    - type: bind9
      masters: [{host: 127.0.0.1, port: 5354}]
      tsigkey_name: pool-key.
      options: {host: 192.0.2.53, port: 53, rndc_host: 192.0.2.53, rndc_port: 953,
                rndc_key_file: /etc/bind/rndc.key}
""")
    )
    path = f"/v2/tsigkeys/{created['id']}"
    refused = assert_error(client.delete(path, headers=ADMIN), 400, "tsigkey_in_use")
    assert "pool 'default'" in refused["message"]
    assert_error(client.patch(path, json={"name": "renamed"}, headers=ADMIN), 400,
                 "tsigkey_in_use")  # fmt: skip
    rotated = client.patch(path, json={"secret": base64.b64encode(b"y" * 32).decode()},
                           headers=ADMIN)  # fmt: skip
    assert rotated.status_code == 200 and rotated.json()["name"] == "pool-key."
