"""Bad input: a 4xx in Designate's format, and the database unchanged. Never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.service.factories import snapshot
from zonefleet.storage.database import Database
from zonefleet.storage.repositories import Repositories

P1 = {"X-Auth-Project-ID": "p1"}


@pytest.fixture
def zone_id(client: TestClient) -> str:
    response = client.post(
        "/v2/zones", json={"name": "example.org.", "email": "joe@example.org"}, headers=P1
    )
    zid = response.json()["id"]
    client.post(
        f"/v2/zones/{zid}/recordsets",
        json={"name": "www.example.org.", "type": "A", "records": ["192.0.2.1"]},
        headers=P1,
    )
    return zid


ZONE_CASES = [
    ("malformed json", b'{"name": ', "application/json", 400, "invalid_json"),
    ("empty body", b"", "application/json", 400, "empty_request_body"),
    ("not json", b"name=x", "application/x-www-form-urlencoded", 415, "unsupported_content_type"),
    ("array body", b"[]", "application/json", 400, "invalid_object"),
    ("ttl as string", b'{"name": "a.example.", "email": "a@b.c", "ttl": "60"}',
     "application/json", 400, "invalid_object"),
    ("unknown field", b'{"name": "a.example.", "email": "a@b.c", "colour": 1}',
     "application/json", 400, "invalid_object"),
    ("read-only field", b'{"name": "a.example.", "email": "a@b.c", "id": "x"}',
     "application/json", 400, "invalid_object"),
    ("over-long name", b'{"name": "' + b"a" * 300 + b'.example.", "email": "a@b.c"}',
     "application/json", 400, "invalid_object"),
    ("label too long", b'{"name": "' + b"a" * 64 + b'.example.", "email": "a@b.c"}',
     "application/json", 400, "invalid_object"),
    ("one label", b'{"name": "example.", "email": "a@b.c"}', "application/json", 400,
     "invalid_zone_name"),
    ("duplicate", b'{"name": "example.org.", "email": "a@b.c"}', "application/json", 409,
     "duplicate_zone"),
    ("subzone of other project", b'{"name": "x.example.org.", "email": "a@b.c"}',
     "application/json", 403, "illegal_child"),
    ("negative ttl", b'{"name": "a.example.", "email": "a@b.c", "ttl": -1}',
     "application/json", 400, "invalid_object"),
    ("null name", b'{"name": null, "email": "a@b.c"}', "application/json", 400, "invalid_object"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "body", "content_type", "code", "error_type"),
    ZONE_CASES,
    ids=[case[0] for case in ZONE_CASES],
)
def test_bad_zone_creates(
    client: TestClient,
    sqlite_database: Database,
    zone_id: str,
    case: str,
    body: bytes,
    content_type: str,
    code: int,
    error_type: str,
) -> None:
    headers = {"Content-Type": content_type, "X-Auth-Project-ID": "p1"}
    if case == "subzone of other project":
        headers["X-Auth-Project-ID"] = "p2"
    before = snapshot(sqlite_database)
    response = client.post("/v2/zones", content=body, headers=headers)
    assert response.status_code == code, response.text
    assert response.json()["type"] == error_type
    assert snapshot(sqlite_database) == before


def test_validation_errors_are_double_nested(client: TestClient) -> None:
    response = client.post(
        "/v2/zones", json={"name": 5, "email": "a@b.c", "colour": 1, "ttl": "x"}, headers=P1
    )
    body = response.json()
    errors = body["errors"]["errors"]
    assert {tuple(e["path"]) for e in errors} == {("name",), ("colour",), ("ttl",)}
    assert all({"path", "message", "validator", "validator_value"} <= set(e) for e in errors)


RECORDSET_CASES = [
    ("bad rdata", {"name": "a.example.org.", "type": "A", "records": ["10.0.0.256"]}, 400,
     "invalid_object"),
    ("multi-line TXT", {"name": "t.example.org.", "type": "TXT", "records": ['"a\nb"']}, 400,
     "invalid_object"),
    ("outside the zone", {"name": "a.example.net.", "type": "A", "records": ["192.0.2.1"]}, 400,
     "invalid_recordset_location"),
    ("CNAME beside A", {"name": "www.example.org.", "type": "CNAME", "records": ["x."]}, 400,
     "invalid_recordset_location"),
    ("CNAME at apex", {"name": "example.org.", "type": "CNAME", "records": ["x."]}, 400,
     "invalid_recordset_location"),
    ("duplicate", {"name": "www.example.org.", "type": "A", "records": ["192.0.2.9"]}, 409,
     "duplicate_recordset"),
    ("unsupported type", {"name": "a.example.org.", "type": "LOC", "records": ["x"]}, 400,
     "invalid_object"),
    ("SOA", {"name": "example.org.", "type": "SOA", "records": ["a. b. 1 2 3 4 5"]}, 400,
     "bad_request"),
    ("records not a list", {"name": "a.example.org.", "type": "A", "records": "192.0.2.1"}, 400,
     "invalid_object"),
    ("over quota", {"name": "q.example.org.", "type": "A",
                    "records": [f"192.0.2.{i}" for i in range(21)]}, 413, "over_quota"),
    ("over-long name", {"name": "a" * 250 + ".example.org.", "type": "A",
                        "records": ["192.0.2.1"]}, 400, "invalid_object"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "body", "code", "error_type"),
    RECORDSET_CASES,
    ids=[case[0] for case in RECORDSET_CASES],
)
def test_bad_recordset_creates(
    client: TestClient,
    sqlite_database: Database,
    zone_id: str,
    case: str,
    body: dict[str, object],
    code: int,
    error_type: str,
) -> None:
    before = snapshot(sqlite_database)
    response = client.post(f"/v2/zones/{zone_id}/recordsets", json=body, headers=P1)
    assert response.status_code == code, response.text
    assert response.json()["type"] == error_type
    assert snapshot(sqlite_database) == before


def test_over_zone_quota(client: TestClient, sqlite_database: Database, zone_id: str) -> None:
    with sqlite_database.write() as session:
        Repositories(session).quotas.set("p1", "zones", 1)
    before = snapshot(sqlite_database)
    response = client.post(
        "/v2/zones", json={"name": "another.example.", "email": "a@b.c"}, headers=P1
    )
    assert response.status_code == 413 and response.json()["type"] == "over_quota"
    assert snapshot(sqlite_database) == before


def test_bad_updates_change_nothing(
    client: TestClient, sqlite_database: Database, zone_id: str
) -> None:
    rs = client.get(f"/v2/zones/{zone_id}/recordsets?type=A", headers=P1).json()["recordsets"][0]
    before = snapshot(sqlite_database)
    url = f"/v2/zones/{zone_id}/recordsets/{rs['id']}"
    for body, error_type in (
        ({"records": ["bad"]}, "invalid_object"),
        ({"records": []}, "invalid_object"),
        ({"ttl": "x"}, "invalid_object"),
        ({"name": "other.example.org."}, "invalid_object"),
    ):
        response = client.put(url, json=body, headers=P1)
        assert response.status_code == 400 and response.json()["type"] == error_type
    for body in ({"email": None}, {"ttl": None}, {"name": "renamed.example."}, {"email": "x"}):
        response = client.patch(f"/v2/zones/{zone_id}", json=body, headers=P1)
        assert response.status_code == 400, body
    assert snapshot(sqlite_database) == before
