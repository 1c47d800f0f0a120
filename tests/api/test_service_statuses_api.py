"""The v2 service_statuses routes on the wire: Designate's bodies, filters, paging, sort,
errors, the admin-only policy, DOWN for a silent process, and the /v2/service_status alias."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from zonefleet.storage.database import Database
from zonefleet.storage.models import ServiceState, utcnow
from zonefleet.storage.service_statuses import ServiceStatusRepository

ADMIN = {"X-Auth-Project-ID": "ops", "X-Roles": "admin"}
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}
READER = {"X-Auth-Project-ID": "p1", "X-Roles": "reader"}
FIELDS = {
    "id", "hostname", "service_name", "status", "stats", "capabilities", "heartbeated_at",
    "created_at", "updated_at", "links",
}  # fmt: skip
STALE = timedelta(minutes=5)  # well past the default down_after of 30 s


def beat(
    database: Database,
    hostname: str,
    service_name: str = "central",
    status: ServiceState = ServiceState.UP,
    *,
    at: datetime | None = None,
    row_id: str | None = None,
    stats: dict[str, Any] | None = None,
    capabilities: dict[str, Any] | None = None,
) -> str:
    """Write one heartbeat of a process (a new row unless `row_id` names one) and its id."""
    row_id = row_id or str(uuid.uuid4())
    with database.write() as session:
        ServiceStatusRepository(session).beat(
            row_id, service_name=service_name, hostname=hostname, status=status,
            stats=stats or {}, capabilities=capabilities or {}, now=at or utcnow(),
        )  # fmt: skip
    return row_id


def in_order(database: Database, count: int) -> list[str]:
    """`count` UP rows created a millisecond apart, hostnames h0..hN, oldest first; their ids
    sort the other way round, so an order by id is never an order by creation by chance."""
    start = utcnow() - timedelta(seconds=5)
    ids = [str(uuid.UUID(int=count - index)) for index in range(count)]
    for index, row_id in enumerate(ids):
        beat(database, f"h{index}", at=start + timedelta(milliseconds=index), row_id=row_id)
    return ids


def listed(client: TestClient, query: str = "", headers: dict[str, str] = ADMIN) -> Any:
    response = client.get(f"/v2/service_statuses{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: Any, code: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["type"]) == (code, error_type)
    assert body["request_id"] == response.headers["x-openstack-request-id"]
    return body


def test_list_and_show_in_designates_shape(client: TestClient, sqlite_database: Database) -> None:
    first_beat = utcnow() - timedelta(seconds=3)
    row_id = beat(
        sqlite_database, "api-1.example.net", "api", at=first_beat,
        stats={"pid": 42}, capabilities={"ixfr": True},
    )  # fmt: skip

    body = listed(client)
    assert set(body) == {"service_statuses", "links", "metadata"}
    assert body["links"] == {"self": "http://testserver/v2/service_statuses"}
    assert body["metadata"] == {"total_count": 1}
    [row] = body["service_statuses"]
    assert set(row) == FIELDS
    assert row == {
        "id": row_id,
        "hostname": "api-1.example.net",
        "service_name": "api",
        "status": "UP",
        "stats": {"pid": 42},
        "capabilities": {"ixfr": True},
        "heartbeated_at": first_beat.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "created_at": first_beat.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "updated_at": None,
        "links": {"self": f"http://testserver/v2/service_statuses/{row_id}"},
    }

    second_beat = first_beat + timedelta(seconds=1)
    beat(sqlite_database, "api-1.example.net", "api", ServiceState.WARNING, at=second_beat,
         row_id=row_id)  # fmt: skip
    shown = client.get(f"/v2/service_statuses/{row_id}", headers=ADMIN)
    assert shown.status_code == 200, shown.text
    assert set(shown.json()) == FIELDS
    assert shown.json()["status"] == "WARNING"
    assert shown.json()["heartbeated_at"] == second_beat.strftime("%Y-%m-%dT%H:%M:%S.%f")
    assert shown.json()["updated_at"] == second_beat.strftime("%Y-%m-%dT%H:%M:%S.%f")
    assert shown.json()["created_at"] == row["created_at"]
    assert shown.json()["links"] == row["links"]


def test_filters_exact_and_wildcard(client: TestClient, sqlite_database: Database) -> None:
    api_1 = beat(sqlite_database, "api-1.example.net", "api")
    api_2 = beat(sqlite_database, "api-2.example.net", "api", ServiceState.WARNING)
    worker = beat(sqlite_database, "worker-1.example.net", "worker")

    def ids(query: str) -> set[str]:
        return {row["id"] for row in listed(client, query)["service_statuses"]}

    assert ids("") == {api_1, api_2, worker}
    assert ids("?hostname=api-1.example.net") == {api_1}
    assert ids("?hostname=api-*") == {api_1, api_2}
    assert ids("?hostname=*.example.net&service_name=worker") == {worker}
    assert ids("?service_name=api") == {api_1, api_2}
    assert ids("?service_name=a*") == {api_1, api_2}
    assert ids("?status=WARNING") == {api_2}
    assert ids("?status=UP&service_name=api") == {api_1}
    assert ids("?hostname=api") == set()
    assert listed(client, "?service_name=api")["metadata"] == {"total_count": 2}


@pytest.mark.parametrize(
    ("query", "error_type"),
    [
        ("name=api", "bad_request"),
        ("hostname=a&hostname=b", "bad_request"),
        ("sort_key=pool_id", "invalid_sort_key"),
        ("sort_dir=up", "invalid_sort_dir"),
        ("limit=0", "invalid_limit"),
        ("marker=nope", "invalid_marker"),
        ("marker=" + str(uuid.UUID(int=1)), "marker_not_found"),
    ],
)
def test_bad_list_parameters(
    client: TestClient, sqlite_database: Database, query: str, error_type: str
) -> None:
    beat(sqlite_database, "api-1.example.net")
    assert_error(client.get(f"/v2/service_statuses?{query}", headers=ADMIN), 400, error_type)


def test_unknown_filter_is_named(client: TestClient) -> None:
    response = client.get("/v2/service_statuses?name=api", headers=ADMIN)
    assert assert_error(response, 400, "bad_request")["message"] == "Invalid filters name"


def test_paging_with_limit_marker_and_next(client: TestClient, sqlite_database: Database) -> None:
    ids = in_order(sqlite_database, 5)
    first = listed(client, "?limit=2")
    assert [row["id"] for row in first["service_statuses"]] == ids[:2]
    assert first["metadata"] == {"total_count": 5}
    assert first["links"]["self"] == "http://testserver/v2/service_statuses?limit=2"
    assert first["links"]["next"] == (
        f"http://testserver/v2/service_statuses?limit=2&marker={ids[1]}"
    )
    second = listed(client, f"?limit=2&marker={ids[1]}")
    assert [row["id"] for row in second["service_statuses"]] == ids[2:4]
    last = listed(client, f"?limit=2&marker={ids[3]}")
    assert [row["id"] for row in last["service_statuses"]] == ids[4:]
    assert "next" not in last["links"]
    hidden = client.get("/v2/service_statuses", headers={**ADMIN, "OpenStack-DNS-Hide-Counts": "1"})
    assert hidden.json()["metadata"] == {}


def test_sort_keys_and_directions(client: TestClient, sqlite_database: Database) -> None:
    ids = in_order(sqlite_database, 3)

    def hostnames(query: str) -> list[str]:
        return [row["hostname"] for row in listed(client, query)["service_statuses"]]

    assert hostnames("") == ["h0", "h1", "h2"]
    assert hostnames("?sort_dir=desc") == ["h2", "h1", "h0"]
    assert hostnames("?sort_key=hostname&sort_dir=desc") == ["h2", "h1", "h0"]
    by_id = [row["id"] for row in listed(client, "?sort_key=id")["service_statuses"]]
    assert by_id == sorted(ids)
    assert by_id == ids[::-1]
    beat(sqlite_database, "h1", row_id=ids[1])  # only h1 has an updated_at
    # Rows never updated sort as the oldest, and rows equal on the key by id (h2 < h0).
    assert hostnames("?sort_key=updated_at&sort_dir=desc") == ["h1", "h0", "h2"]
    assert hostnames("?sort_key=updated_at") == ["h2", "h0", "h1"]


def test_sort_by_status_pages_by_the_status_shown(
    client: TestClient, sqlite_database: Database
) -> None:
    now = utcnow()
    # By the stored status, "silent" (UP, a larger id than "up") would come after "up".
    beat(sqlite_database, "up", at=now - timedelta(seconds=3), row_id=str(uuid.UUID(int=1)))
    beat(sqlite_database, "warning", status=ServiceState.WARNING, at=now - timedelta(seconds=2))
    beat(sqlite_database, "silent", at=now - STALE, row_id=str(uuid.UUID(int=2)))

    def hostnames_paged(query: str) -> list[str]:
        seen, url = [], f"/v2/service_statuses{query}"
        for _ in range(5):
            page = client.get(url, headers=ADMIN).json()
            seen += [row["hostname"] for row in page["service_statuses"]]
            url = page["links"].get("next", "").removeprefix("http://testserver")
            if not url:
                return seen
        pytest.fail(f"links.next still given after 5 pages: {seen}")

    assert hostnames_paged("?sort_key=status&limit=1") == ["silent", "up", "warning"]
    assert hostnames_paged("?sort_key=status&sort_dir=desc&limit=1") == [
        "warning", "up", "silent",
    ]  # fmt: skip


def test_unknown_id_is_service_status_not_found(
    client: TestClient, sqlite_database: Database
) -> None:
    beat(sqlite_database, "api-1.example.net")
    missing = client.get(f"/v2/service_statuses/{uuid.uuid4()}", headers=ADMIN)
    body = assert_error(missing, 404, "service_status_not_found")
    assert body["message"] == "Could not find ServiceStatus"
    assert_error(client.get("/v2/service_statuses/nope", headers=ADMIN), 400, "invalid_uuid")


@pytest.mark.parametrize("headers", [MEMBER, READER], ids=["member", "reader"])
def test_non_admins_are_forbidden(
    client: TestClient, sqlite_database: Database, headers: dict[str, str]
) -> None:
    row_id = beat(sqlite_database, "api-1.example.net")
    for path, policy in (
        ("/v2/service_statuses", "find_service_statuses"),
        (f"/v2/service_statuses/{row_id}", "find_service_status"),
        ("/v2/service_status", "find_service_statuses"),
        (f"/v2/service_status/{uuid.uuid4()}", "find_service_status"),
    ):
        body = assert_error(client.get(path, headers=headers), 403, "forbidden")
        assert body["message"] == f"Policy doesn't allow {policy} to be performed."
    assert client.get(f"/v2/service_statuses/{row_id}", headers=ADMIN).status_code == 200


def test_a_silent_process_shows_DOWN(client: TestClient, sqlite_database: Database) -> None:
    now = utcnow()
    silent = beat(sqlite_database, "silent.example.net", at=now - STALE)
    warned = beat(sqlite_database, "warned.example.net", status=ServiceState.WARNING,
                  at=now - STALE)  # fmt: skip
    recent = beat(sqlite_database, "recent.example.net", at=now - timedelta(seconds=10))

    statuses = {row["id"]: row["status"] for row in listed(client)["service_statuses"]}
    assert statuses == {silent: "DOWN", warned: "DOWN", recent: "UP"}
    assert client.get(f"/v2/service_statuses/{silent}", headers=ADMIN).json()["status"] == "DOWN"
    down = {row["id"] for row in listed(client, "?status=DOWN")["service_statuses"]}
    assert down == {silent, warned}
    up = {row["id"] for row in listed(client, "?status=UP")["service_statuses"]}
    assert up == {recent}
    with sqlite_database.read() as session:
        stored = {row.id: row.status for row in ServiceStatusRepository(session).all()}
    assert stored[silent] == "UP", "showing DOWN is not a write"


def test_the_service_status_alias(client: TestClient, sqlite_database: Database) -> None:
    row_id = beat(sqlite_database, "api-1.example.net", "api")
    canonical = listed(client)
    alias = client.get("/v2/service_status", headers=ADMIN)
    assert alias.status_code == 200, alias.text
    assert alias.json()["service_statuses"] == canonical["service_statuses"]
    assert alias.json()["links"] == {"self": "http://testserver/v2/service_status"}
    shown = client.get(f"/v2/service_status/{row_id}", headers=ADMIN)
    assert shown.status_code == 200, shown.text
    assert shown.json() == canonical["service_statuses"][0]
    missing = client.get(f"/v2/service_status/{uuid.uuid4()}", headers=ADMIN)
    assert_error(missing, 404, "service_status_not_found")
    assert "/v2/service_statuses" in client.get("/openapi.json").json()["paths"]
