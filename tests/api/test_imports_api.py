"""Zone imports on the wire: a master file becomes a zone and its recordsets in one go, or an
ERROR task naming what is wrong with nothing else changed; an export imports back to the
same data; files past the size limit are refused before they are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import build_services, make_settings
from zonefleet.api.app import create_app
from zonefleet.storage.database import Database

MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
OTHER = {"X-Auth-Project-ID": "p2", "X-Roles": "member"}
ZONE_FILE = """; an example
$ORIGIN import.example.
$TTL 900
@       IN SOA ns.elsewhere.example. hostmaster.import.example. 7 3600 600 86400 300
@       IN NS  ns.elsewhere.example.
@       IN MX  10 mail
www     IN A   192.0.2.10
www     IN A   192.0.2.11
        IN AAAA 2001:db8::10
mail 600 IN A  192.0.2.25
txt     IN TXT "first string" "second string"
alias   IN CNAME www
_sip._tcp IN SRV 10 5 5060 www
sub     IN NS  ns.sub.elsewhere.example.
"""


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    return body


def post_import(client: TestClient, text: str, headers: dict[str, str] = MEMBER) -> dict[str, Any]:
    response = client.post("/v2/zones/tasks/imports", content=text.encode(),
                           headers=headers | {"Content-Type": "text/dns"})  # fmt: skip
    assert response.status_code == 202, response.text
    task: dict[str, Any] = response.json()
    assert response.headers["location"] == task["links"]["self"]
    return task


def rrsets(client: TestClient, zone_id: str) -> dict[tuple[str, str], tuple[int | None, list[str]]]:
    listed = client.get(f"/v2/zones/{zone_id}/recordsets?limit=1000", headers=MEMBER).json()
    return {(rs["name"], rs["type"]): (rs["ttl"], sorted(rs["records"]))
            for rs in listed["recordsets"]}  # fmt: skip


def test_a_zone_file_becomes_a_zone_and_its_recordsets(client: TestClient) -> None:
    task = post_import(client, ZONE_FILE)
    assert task["status"] == "COMPLETE", task
    assert task["message"] == "import.example. imported"
    zone = client.get(f"/v2/zones/{task['zone_id']}", headers=MEMBER).json()
    assert (zone["name"], zone["email"], zone["ttl"]) == (
        "import.example.", "hostmaster@import.example", 900,
    )  # fmt: skip
    assert task["links"]["href"].endswith(f"/v2/zones/{zone['id']}")
    found = rrsets(client, zone["id"])
    assert found[("www.import.example.", "A")] == (900, ["192.0.2.10", "192.0.2.11"])
    assert found[("www.import.example.", "AAAA")] == (900, ["2001:db8::10"])
    assert found[("mail.import.example.", "A")] == (600, ["192.0.2.25"])
    assert found[("import.example.", "MX")] == (900, ["10 mail.import.example."])
    assert found[("txt.import.example.", "TXT")][1] == ['"first string" "second string"']
    assert found[("alias.import.example.", "CNAME")][1] == ["www.import.example."]
    assert found[("_sip._tcp.import.example.", "SRV")][1] == ["10 5 5060 www.import.example."]
    assert found[("sub.import.example.", "NS")][1] == ["ns.sub.elsewhere.example."]
    # The SOA and apex NS are the pool's, not the file's.
    assert found[("import.example.", "NS")][1] == ["ns1.zonefleet.test."]
    assert found[("import.example.", "SOA")][1][0].startswith("ns1.zonefleet.test. ")


def test_the_json_form_carries_attributes(client: TestClient) -> None:
    response = client.post("/v2/zones/tasks/imports", json={"zonefile": ZONE_FILE,
                           "attributes": {"tier": "gold"}}, headers=MEMBER)  # fmt: skip
    assert response.status_code == 202, response.text
    zone_id = response.json()["zone_id"]
    assert client.get(f"/v2/zones/{zone_id}", headers=MEMBER).json()["attributes"] == {
        "tier": "gold"
    }


def test_an_export_imports_back_to_the_same_data(client: TestClient) -> None:
    first = post_import(client, ZONE_FILE)
    task = client.post(f"/v2/zones/{first['zone_id']}/tasks/export", headers=MEMBER).json()
    exported = client.get(task["links"]["export"], headers=MEMBER).text
    before = rrsets(client, first["zone_id"])
    again = post_import(client, exported.replace("import.example.", "again.example."))
    assert again["status"] == "COMPLETE", again
    after = rrsets(client, again["zone_id"])
    renamed = {(name.replace("import.example.", "again.example."), kind): (ttl, [
        record.replace("import.example.", "again.example.") for record in records])
        for (name, kind), (ttl, records) in before.items() if kind != "SOA"}  # fmt: skip
    assert {key: value for key, value in after.items() if key[1] != "SOA"} == renamed


HEAD = "$ORIGIN x.example.\n@ 300 IN SOA ns.example. h.x.example. 1 2 3 4 5\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("www IN A 192.0.2.1\n", "The $ORIGIN statement is required"),
        ("$TTL 300\n$ORIGIN x.example.\n", "The $ORIGIN statement is required"),
        ("$ORIGIN x.example.\n@ 300 IN NS ns.example.\n", "An SOA record is required."),
        (HEAD + "www 300 IN BOGUS x\n", "line 3"),
        (HEAD + "www 300 IN A 10.0.0.256\n", "Malformed zonefile"),
        (HEAD + "www.other.example. 300 IN A 192.0.2.4\n", "Malformed zonefile"),
        (HEAD + "@ 300 IN SOA ns2.example. h2.x.example. 1 2 3 4 5\n", "Only one SOA"),
        (HEAD + "@ 300 IN CNAME y.example.\n", "CNAME"),
        (HEAD + "w 300 IN CNAME y.example.\nw 300 IN TXT hi\n", "CNAME"),
        (HEAD + 'w 300 IN HINFO "cpu" "os"\n', "not supported"),
        ("\x00\x01binary", "The $ORIGIN statement is required"),
    ],
)
def test_a_bad_zone_file_makes_an_error_task_and_nothing_else(
    client: TestClient, text: str, message: str
) -> None:
    task = post_import(client, text)
    assert task["status"] == "ERROR" and task["zone_id"] is None, task
    assert message in task["message"]
    assert client.get("/v2/zones", headers=MEMBER).json()["zones"] == []


def test_a_taken_name_and_a_quota_are_errors_too(client: TestClient) -> None:
    assert post_import(client, ZONE_FILE)["status"] == "COMPLETE"
    again = post_import(client, ZONE_FILE)
    assert (again["status"], again["message"]) == ("ERROR", "Duplicate zone.")
    client.patch("/v2/quotas/p2", json={"zone_recordsets": 3},
                 headers={"X-Auth-Project-ID": "ops", "X-Roles": "admin"})  # fmt: skip
    over = post_import(client, ZONE_FILE.replace("import.example.", "other.example."), OTHER)
    assert over["status"] == "ERROR" and "zone_recordsets" in over["message"]
    assert client.get("/v2/zones", headers=OTHER).json()["zones"] == []


def test_imports_are_the_projects_own_listed_and_deleted(client: TestClient) -> None:
    task = post_import(client, ZONE_FILE)
    path = f"/v2/zones/tasks/imports/{task['id']}"
    assert client.get(path, headers=MEMBER).json() == task
    listed = client.get("/v2/zones/tasks/imports", headers=MEMBER).json()["imports"]
    assert [item["id"] for item in listed] == [task["id"]]
    assert client.get("/v2/zones/tasks/imports", headers=OTHER).json()["imports"] == []
    assert_error(client.get(path, headers=OTHER), 404, "zone_import_not_found")
    assert client.delete(path, headers=MEMBER).status_code == 204
    assert_error(client.get(path, headers=MEMBER), 404, "zone_import_not_found")


def test_bad_requests_are_refused(client: TestClient) -> None:
    url = "/v2/zones/tasks/imports"
    assert_error(client.post(url, content=b"x", headers=MEMBER | {"Content-Type": "text/plain"}),
                 415, "unsupported_content_type")  # fmt: skip
    assert_error(client.post(url, content=b"", headers=MEMBER | {"Content-Type": "text/dns"}),
                 400, "empty_request_body")  # fmt: skip
    assert_error(client.post(url, json={"zonefile": 5}, headers=MEMBER), 400, "invalid_object")
    assert_error(client.post(url, content=b"{", headers=MEMBER | {
        "Content-Type": "application/json"}), 400, "invalid_json")  # fmt: skip
    assert client.get("/v2/zones/tasks/imports", headers=MEMBER).json()["imports"] == []


def test_a_file_past_the_size_limit_is_refused_with_413(
    sqlite_database: Database, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, ZONEFLEET_API__MAX_IMPORT_BYTES="2048")
    with TestClient(create_app(build_services(settings, sqlite_database))) as client:
        big = ZONE_FILE + "".join(f"h{index} IN A 192.0.2.1\n" for index in range(200))
        response = client.post("/v2/zones/tasks/imports", content=big.encode(),
                               headers=MEMBER | {"Content-Type": "text/dns"})  # fmt: skip
        body = assert_error(response, 413, "over_quota")
        assert "2048 bytes" in body["message"]
        assert client.get("/v2/zones/tasks/imports", headers=MEMBER).json()["imports"] == []
