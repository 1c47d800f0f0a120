"""Zone exports on the wire: a task COMPLETE at once, whose file BIND's own named-checkzone
accepts and dnspython reads back to the zone's data; the project's own; over quota is 413."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import dns.rdatatype
import dns.zone
from fastapi.testclient import TestClient

from tests.integration.named import program

MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
OTHER = {"X-Auth-Project-ID": "p2", "X-Roles": "member"}
ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
RECORDSETS = [
    ("www", "A", ["192.0.2.1", "192.0.2.2"]),
    ("www", "AAAA", ["2001:db8::1"]),
    ("mail", "MX", ["10 mx1.example.net.", "20 mx2.export.example."]),
    ("txt", "TXT", ['"one string"', '"two" "strings"']),
    ("_sip._tcp", "SRV", ["10 5 5060 sip.export.example."]),
    ("alias", "CNAME", ["www.export.example."]),
    ("sub", "NS", ["ns.elsewhere.example."]),
]


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def make_zone(client: TestClient) -> dict[str, Any]:
    zone = client.post("/v2/zones", json={"name": "export.example.", "email": "h@example.org",
                                          "ttl": 600}, headers=MEMBER).json()  # fmt: skip
    for label, rdtype, records in RECORDSETS:
        response = client.post(
            f"/v2/zones/{zone['id']}/recordsets",
            json={"name": f"{label}.export.example.", "type": rdtype, "records": records},
            headers=MEMBER,
        )
        assert response.status_code == 202, response.text
    return zone


def export(client: TestClient, zone_id: str) -> dict[str, Any]:
    response = client.post(f"/v2/zones/{zone_id}/tasks/export", headers=MEMBER)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == body["links"]["self"]
    return body


def test_an_export_named_checkzone_accepts_and_that_reads_back_to_the_zone(
    client: TestClient, tmp_path: Path
) -> None:
    zone = make_zone(client)
    task = export(client, zone["id"])
    assert (task["status"], task["zone_id"], task["project_id"]) == ("COMPLETE", zone["id"], "p1")
    assert task["location"] == f"designate://v2/zones/tasks/exports/{task['id']}/export"
    fetched = client.get(task["links"]["export"], headers=MEMBER)
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"].startswith("text/dns")
    text = fetched.text
    assert text.startswith("$ORIGIN export.example.\n$TTL 600\n")

    zone_file = tmp_path / "export.example.zone"
    zone_file.write_text(text)
    checked = subprocess.run(
        [program("named-checkzone"), "export.example", str(zone_file)],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in checked.stdout

    parsed = dns.zone.from_text(text, origin="export.example.", relativize=False)
    for label, rdtype, records in RECORDSETS:
        rdataset = parsed.find_rdataset(f"{label}.export.example.", rdtype)
        assert sorted(rdata.to_text() for rdata in rdataset) == sorted(records)
    soa = parsed.find_rdataset("export.example.", dns.rdatatype.SOA)[0]
    assert soa.serial == client.get(f"/v2/zones/{zone['id']}", headers=MEMBER).json()["serial"]


def test_exports_are_the_projects_own_listed_and_deleted(client: TestClient) -> None:
    zone = make_zone(client)
    task = export(client, zone["id"])
    path = f"/v2/zones/tasks/exports/{task['id']}"
    assert client.get(path, headers=MEMBER).json() == task
    listed = client.get("/v2/zones/tasks/exports", headers=MEMBER).json()
    assert [item["id"] for item in listed["exports"]] == [task["id"]]
    assert client.get("/v2/zones/tasks/exports", headers=OTHER).json()["exports"] == []
    assert_error(client.get(path, headers=OTHER), 404, "zone_export_not_found")
    assert_error(client.get(f"{path}/export", headers=OTHER), 404, "zone_export_not_found")
    assert_error(client.delete(path, headers=OTHER), 404, "zone_export_not_found")
    assert_error(client.post(f"/v2/zones/{zone['id']}/tasks/export", headers=OTHER), 404,
                 "zone_not_found")  # fmt: skip
    all_projects = ADMIN | {"X-Auth-All-Projects": "true"}
    assert client.get(path, headers=all_projects).status_code == 200
    assert client.delete(path, headers=MEMBER).status_code == 204
    assert_error(client.get(path, headers=MEMBER), 404, "zone_export_not_found")


def test_a_zone_over_the_export_quota_is_refused(client: TestClient) -> None:
    zone = make_zone(client)
    assert client.patch("/v2/quotas/p1", json={"api_export_size": 3}, headers=ADMIN).is_success
    response = client.post(f"/v2/zones/{zone['id']}/tasks/export", headers=MEMBER)
    assert_error(response, 413, "over_quota")
    assert client.get("/v2/zones/tasks/exports", headers=MEMBER).json()["exports"] == []
