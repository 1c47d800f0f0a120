"""The v2 zones routes on the wire: status codes, bodies, headers, paging, errors."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from zonefleet.storage.database import Database
from zonefleet.storage.models import Zone

P1 = {"X-Auth-Project-ID": "p1"}
P2 = {"X-Auth-Project-ID": "p2"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}


def create(client: TestClient, name: str = "example.org.", headers: dict[str, str] = P1) -> dict:
    response = client.post(
        "/v2/zones", json={"name": name, "email": "joe@example.org"}, headers=headers
    )
    assert response.status_code == 202, response.text
    return response.json()


def assert_error(response, code: int, error_type: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == code, response.text
    body = response.json()
    assert body["code"] == code
    assert body["type"] == error_type
    assert body["request_id"] == response.headers["x-openstack-request-id"]
    assert body["request_id"].startswith("req-")
    return body


def test_versions_document_links_to_v2(client: TestClient) -> None:
    body = client.get("/").json()
    ids = [v["id"] for v in body["versions"]]
    assert "v2" in ids
    assert body["versions"][0]["links"][0] == {"href": "http://testserver/v2", "rel": "self"}


def test_healthcheck_and_openapi(client: TestClient) -> None:
    assert client.get("/healthcheck").text == "OK"
    spec = client.get("/openapi.json").json()
    assert "/v2/zones" in spec["paths"]
    assert "/v2/zones/{zone_id}/recordsets/{recordset_id}" in spec["paths"]


def test_create_returns_202_location_and_designate_fields(client: TestClient) -> None:
    response = client.post(
        "/v2/zones",
        json={
            "name": "example.org.",
            "email": "joe@example.org",
            "ttl": 7200,
            "description": "This is an example zone.",
            "attributes": {"tier": "gold"},
        },
        headers=P1,
    )
    assert response.status_code == 202
    zone = response.json()
    assert response.headers["location"] == zone["links"]["self"]
    assert zone["links"]["self"] == f"http://testserver/v2/zones/{zone['id']}"
    assert set(zone) == {
        "id", "pool_id", "project_id", "name", "email", "ttl", "serial", "status", "action",
        "description", "masters", "type", "transferred_at", "version", "created_at",
        "updated_at", "attributes", "shared", "links",
    }  # fmt: skip
    assert zone["pool_id"] == "794ccc2c-d751-44fe-b57f-8894c9f5c842"
    assert (zone["project_id"], zone["type"], zone["status"], zone["action"]) == (
        "p1",
        "PRIMARY",
        "PENDING",
        "CREATE",
    )
    assert zone["updated_at"] is None
    assert len(zone["created_at"]) == len("2014-07-07T18:25:31.275934")
    assert zone["attributes"] == {"tier": "gold"}


def test_noauth_defaults_to_admin_in_noauth_project(client: TestClient) -> None:
    zone = client.post("/v2/zones", json={"name": "a.example.", "email": "a@a.example"}).json()
    assert zone["project_id"] == "noauth-project"


def test_show_update_delete(client: TestClient) -> None:
    zone = create(client)
    shown = client.get(f"/v2/zones/{zone['id']}", headers=P1)
    assert shown.status_code == 200 and shown.json()["id"] == zone["id"]
    patched = client.patch(
        f"/v2/zones/{zone['id']}", json={"ttl": 600, "description": "x"}, headers=P1
    )
    assert patched.status_code == 202
    assert (patched.json()["ttl"], patched.json()["description"]) == (600, "x")
    assert patched.json()["serial"] > zone["serial"]
    deleted = client.delete(f"/v2/zones/{zone['id']}", headers=P1)
    assert deleted.status_code == 202
    assert (deleted.json()["action"], deleted.json()["status"]) == ("DELETE", "PENDING")


def test_trailing_slash_is_ignored(client: TestClient) -> None:
    zone = create(client)
    assert client.get(f"/v2/zones/{zone['id']}/", headers=P1).status_code == 200
    assert client.get("/v2/zones/", headers=P1).json()["zones"][0]["id"] == zone["id"]


def test_nameservers(client: TestClient) -> None:
    zone = create(client)
    body = client.get(f"/v2/zones/{zone['id']}/nameservers", headers=P1).json()
    assert body == {"nameservers": [{"hostname": "ns1.zonefleet.test.", "priority": 1}]}


def test_other_projects_get_404_never_403(client: TestClient) -> None:
    zone = create(client, headers=P1)
    for method in ("get", "delete"):
        response = getattr(client, method)(f"/v2/zones/{zone['id']}", headers=P2)
        assert_error(response, 404, "zone_not_found")
    response = client.patch(f"/v2/zones/{zone['id']}", json={"ttl": 5}, headers=P2)
    assert_error(response, 404, "zone_not_found")
    assert client.get("/v2/zones", headers=P2).json()["zones"] == []
    all_projects = client.get("/v2/zones", headers={**P2, "X-Auth-All-Projects": "true"})
    assert [z["id"] for z in all_projects.json()["zones"]] == [zone["id"]]


def test_sudo_acts_as_another_project(client: TestClient) -> None:
    zone = create(client, headers={**P1, "X-Auth-Sudo-Project-ID": "p3"})
    assert zone["project_id"] == "p3"
    assert client.get(f"/v2/zones/{zone['id']}", headers={"X-Auth-Project-ID": "p3"}).is_success


@pytest.mark.parametrize(
    "header",
    [
        {"X-Auth-All-Projects": "true"},
        {"X-Auth-Sudo-Project-ID": "p9"},
        {"X-Designate-Edit-Managed-Records": "true"},
        {"X-Designate-Hard-Delete": "true"},
    ],
)
def test_admin_only_headers_are_forbidden_to_members(
    client: TestClient, header: dict[str, str]
) -> None:
    assert_error(client.get("/v2/zones", headers={**MEMBER, **header}), 403, "forbidden")


def test_paging_links_counts_and_hide_counts(client: TestClient) -> None:
    ids = [create(client, f"z{i}.example.")["id"] for i in range(5)]
    first = client.get("/v2/zones?limit=2", headers=P1).json()
    assert [z["id"] for z in first["zones"]] == ids[:2]
    assert first["metadata"] == {"total_count": 5}
    assert first["links"]["self"] == "http://testserver/v2/zones?limit=2"
    assert first["links"]["next"] == f"http://testserver/v2/zones?limit=2&marker={ids[1]}"
    seen = []
    url = "/v2/zones?limit=2"
    while url:
        page = client.get(url, headers=P1).json()
        seen += [z["id"] for z in page["zones"]]
        url = page["links"].get("next", "").removeprefix("http://testserver")
    assert seen == ids
    hidden = client.get("/v2/zones", headers={**P1, "OpenStack-DNS-Hide-Counts": "true"})
    assert hidden.json()["metadata"] == {}
    by_name = client.get("/v2/zones?sort_key=name&sort_dir=desc&limit=max", headers=P1).json()
    assert by_name["zones"][0]["name"] == "z4.example."
    assert "next" not in by_name["links"]


def test_filters(client: TestClient) -> None:
    create(client, "a.example.")
    create(client, "b.example.")
    found = client.get("/v2/zones?name=a*", headers=P1).json()["zones"]
    assert [z["name"] for z in found] == ["a.example."]
    assert client.get("/v2/zones?ttl=3600", headers=P1).json()["metadata"]["total_count"] == 2
    assert client.get("/v2/zones?status=ACTIVE", headers=P1).json()["zones"] == []


@pytest.mark.parametrize(
    ("query", "error_type"),
    [
        ("limit=0", "invalid_limit"),
        ("limit=abc", "invalid_limit"),
        ("sort_key=email", "invalid_sort_key"),
        ("sort_dir=up", "invalid_sort_dir"),
        ("marker=nope", "invalid_marker"),
        ("marker=" + str(uuid.UUID(int=1)), "marker_not_found"),
        ("colour=red", "bad_request"),
        ("name=a.&name=b.", "bad_request"),
        ("ttl=big", "bad_request"),
    ],
)
def test_bad_list_parameters(client: TestClient, query: str, error_type: str) -> None:
    assert_error(client.get(f"/v2/zones?{query}", headers=P1), 400, error_type)


def test_unknown_and_repeated_filters_are_named(client: TestClient) -> None:
    body = assert_error(client.get("/v2/zones?colour=red", headers=P1), 400, "bad_request")
    assert body["message"] == "Invalid filters colour"
    body = assert_error(client.get("/v2/zones?name=a&name=b", headers=P1), 400, "bad_request")
    assert body["message"] == "Duplicate filters name"


def test_limit_above_max_is_capped(client: TestClient) -> None:
    create(client)
    assert client.get("/v2/zones?limit=99999", headers=P1).status_code == 200


def test_routing_errors(client: TestClient) -> None:
    assert_error(client.get("/v2/zones/not-a-uuid", headers=P1), 400, "invalid_uuid")
    assert_error(client.get("/v2/nothing", headers=P1), 404, "not_found")
    assert_error(client.get("/v2", headers=P1), 404, "not_found")
    assert_error(client.put("/v2/zones", json={}, headers=P1), 405, "method_not_allowed")
    assert client.get("/v2/zones.json", headers=P1).status_code == 404


def test_non_ascii_digits_in_numeric_filters_are_refused(client: TestClient) -> None:
    assert_error(client.get("/v2/zones?ttl=%C2%B2", headers=P1), 400, "bad_request")
    assert_error(client.get("/v2/zones?limit=%C2%B2", headers=P1), 400, "invalid_limit")


def test_a_hard_delete_is_kept_on_the_zone_for_its_targets(
    client: TestClient, sqlite_database: Database
) -> None:
    soft, hard = create(client, "soft.example."), create(client, "hard.example.")
    assert client.delete(f"/v2/zones/{soft['id']}", headers=P1).status_code == 202
    headers = {**P1, "X-Designate-Hard-Delete": "true"}
    assert client.delete(f"/v2/zones/{hard['id']}", headers=headers).status_code == 202
    with sqlite_database.read() as session:
        flags = dict(session.execute(select(Zone.name, Zone.hard_delete)).all())
    assert flags == {"soft.example.": False, "hard.example.": True}


def test_secondary_zones_need_masters_and_take_no_email_or_ttl(client: TestClient) -> None:
    def errors(body: dict[str, object]) -> dict[str, str]:
        response = client.post("/v2/zones", json={"name": "sec.example.", **body}, headers=P1)
        found = assert_error(response, 400, "invalid_object")
        return {".".join(map(str, e["path"])): e["message"] for e in found["errors"]["errors"]}

    assert set(errors({"type": "SECONDARY"})) == {"masters"}
    assert set(errors({"type": "SECONDARY", "masters": ["192.0.2.1"], "email": "a@b.c",
                       "ttl": 60})) == {"email", "ttl"}  # fmt: skip
    bad = errors({"type": "SECONDARY", "masters": ["ns1.example.", "192.0.2.1:99999"]})
    assert set(bad) == {"masters.0", "masters.1"}
    assert "IP address" in bad["masters.0"] and "port" in bad["masters.1"]
    assert set(errors({"masters": ["192.0.2.1"], "email": "a@b.c"})) == {"masters"}
    created = client.post(
        "/v2/zones",
        json={
            "name": "sec.example.",
            "type": "SECONDARY",
            "masters": ["192.0.2.1:53", "[2001:db8::1]:5353"],
        },
        headers=P1,
    )
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["masters"] == ["192.0.2.1", "[2001:db8::1]:5353"] and body["serial"] == 1
    xfr = client.post(f"/v2/zones/{body['id']}/tasks/xfr", headers=P1)
    assert xfr.status_code == 202


def test_patch_of_a_secondary_zone_takes_masters_not_email(client: TestClient) -> None:
    body = {"name": "sec.example.", "type": "SECONDARY", "masters": ["192.0.2.1"]}
    zone = client.post("/v2/zones", json=body, headers=P1).json()
    path = f"/v2/zones/{zone['id']}"
    changed = client.patch(path, json={"masters": ["192.0.2.9:5300"]}, headers=P1)
    assert changed.status_code == 202 and changed.json()["masters"] == ["192.0.2.9:5300"]
    found = assert_error(client.patch(path, json={"email": "a@b.c"}, headers=P1), 400,
                         "invalid_object")  # fmt: skip
    assert [e["path"] for e in found["errors"]["errors"]] == [["email"]]
    primary = client.post("/v2/zones", json={"name": "pri.example.", "email": "a@b.c"},
                          headers=P1).json()  # fmt: skip
    found = assert_error(client.patch(f"/v2/zones/{primary['id']}", json={"masters": ["192.0.2.1"]},
                                      headers=P1), 400, "invalid_object")  # fmt: skip
    assert [e["path"] for e in found["errors"]["errors"]] == [["masters"]]
