"""The v2 recordset routes on the wire."""

from __future__ import annotations

from fastapi.testclient import TestClient

P1 = {"X-Auth-Project-ID": "p1"}


def zone(client: TestClient) -> dict:
    return client.post(
        "/v2/zones", json={"name": "example.org.", "email": "joe@example.org"}, headers=P1
    ).json()


def test_recordset_lifecycle(client: TestClient) -> None:
    z = zone(client)
    url = f"/v2/zones/{z['id']}/recordsets"
    created = client.post(
        url,
        json={
            "name": "www.example.org.",
            "type": "A",
            "records": ["10.1.0.2"],
            "ttl": 3600,
            "description": "web",
        },
        headers=P1,
    )
    assert created.status_code == 202
    rs = created.json()
    assert (
        created.headers["location"] == rs["links"]["self"] == f"http://testserver{url}/{rs['id']}"
    )
    assert set(rs) == {
        "id", "zone_id", "zone_name", "project_id", "name", "type", "records", "ttl",
        "description", "status", "action", "version", "created_at", "updated_at", "links",
    }  # fmt: skip
    assert (rs["zone_name"], rs["records"], rs["status"], rs["action"]) == (
        "example.org.",
        ["10.1.0.2"],
        "PENDING",
        "CREATE",
    )
    shown = client.get(f"{url}/{rs['id']}", headers=P1).json()
    assert shown == rs
    put = client.put(f"{url}/{rs['id']}", json={"records": ["10.1.0.3"], "ttl": None}, headers=P1)
    assert put.status_code == 202
    assert (put.json()["records"], put.json()["ttl"]) == (["10.1.0.3"], None)
    listed = client.get(url, headers=P1).json()
    assert [r["type"] for r in listed["recordsets"]] == ["SOA", "NS", "A"]
    assert listed["metadata"]["total_count"] == 3
    deleted = client.delete(f"{url}/{rs['id']}", headers=P1)
    assert deleted.status_code == 202 and deleted.json()["action"] == "DELETE"
    assert client.get(f"{url}/{rs['id']}", headers=P1).json()["type"] == "recordset_not_found"


def test_cross_zone_list_and_redirect(client: TestClient) -> None:
    z = zone(client)
    rs = client.post(
        f"/v2/zones/{z['id']}/recordsets",
        json={"name": "mail.example.org.", "type": "MX", "records": ["10 mx.example.org."]},
        headers=P1,
    ).json()
    found = client.get("/v2/recordsets?type=MX", headers=P1).json()
    assert [r["id"] for r in found["recordsets"]] == [rs["id"]]
    assert (
        client.get("/v2/recordsets?type=MX", headers={"X-Auth-Project-ID": "p2"}).json()[
            "recordsets"
        ]
        == []
    )
    moved = client.get(f"/v2/recordsets/{rs['id']}", headers=P1, follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == rs["links"]["self"]
    assert client.get("/v2/recordsets?sort_key=records", headers=P1).status_code == 400


def test_filters_on_data_and_name(client: TestClient) -> None:
    z = zone(client)
    url = f"/v2/zones/{z['id']}/recordsets"
    for name, data in (("a", "192.0.2.1"), ("b", "192.0.2.2")):
        client.post(
            url, json={"name": f"{name}.example.org.", "type": "A", "records": [data]}, headers=P1
        )
    assert [
        r["name"] for r in client.get(f"{url}?data=192.0.2.2", headers=P1).json()["recordsets"]
    ] == ["b.example.org."]
    assert client.get(f"{url}?name=A.EXAMPLE.ORG.", headers=P1).json()["metadata"] == {
        "total_count": 1
    }


def test_managed_records_are_refused_in_designates_words(client: TestClient) -> None:
    z = zone(client)
    url = f"/v2/zones/{z['id']}/recordsets"
    ns = client.get(f"{url}?type=NS", headers=P1).json()["recordsets"][0]
    refused = client.put(f"{url}/{ns['id']}", json={"records": ["ns9.example.net."]}, headers=P1)
    assert refused.status_code == 400
    assert refused.json()["message"] == "Managed records may not be updated"
    still = client.put(
        f"{url}/{ns['id']}",
        json={"records": ["ns9.example.net."]},
        headers={**P1, "X-Designate-Edit-Managed-Records": "true"},
    )
    assert still.status_code == 400
    assert still.json()["message"] == "Updating a root zone NS record is not allowed"
