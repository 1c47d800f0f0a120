"""The `openstack` CLI (python-openstackclient + python-designateclient) against a live API.

Each command runs in this process through openstackclient.shell.main, Keystone-less
(`--os-auth-type none --os-endpoint .../v2`), with `-f json` output parsed and checked.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.clients.conftest import InProcessOpenStack, LiveApi
from zonefleet.pools.load import parse_pools
from zonefleet.service.pools import PoolService
from zonefleet.storage.models import DEFAULT_POOL_ID, ServiceState, ZoneEvent, new_id, utcnow
from zonefleet.storage.service_statuses import ServiceStatusRepository

pytestmark = [
    pytest.mark.clients,
    # osc_lib (4.7) warns on import of osc_lib.version, pulled in by `import osc_lib`.
    pytest.mark.filterwarnings(
        "ignore:The osc_lib.version module is deprecated:DeprecationWarning"
    ),
    # osc_lib (4.7) ClientCache, instantiated by openstackclient when it loads plugins.
    pytest.mark.filterwarnings("ignore:The ClientCache class is deprecated:DeprecationWarning"),
    # osc_lib.utils.build_kwargs_dict, called by designateclient's make_client.
    pytest.mark.filterwarnings(
        "ignore:This function is deprecated and is not necessary with openstacksdk"
        ":DeprecationWarning"
    ),
]


def records_of(shown: dict[str, object]) -> list[str]:
    """designateclient prints a recordset's records joined by newlines."""
    return sorted(str(shown["records"]).split("\n"))


def create_zone(
    openstack: InProcessOpenStack, name: str, project: str, *options: str
) -> dict[str, Any]:
    zone: dict[str, Any] = openstack.json(
        "zone", "create", "--email", f"hostmaster@{name.rstrip('.')}", name, *options,
        project=project,
    )  # fmt: skip
    return zone


# -- zones ----------------------------------------------------------------------------


def test_zone_create_list_show_set_delete(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"cli-{unique}"
    name = f"zone-{unique}.example.org."

    created = openstack.json(
        "zone", "create", name, "--email", "admin@example.org", "--ttl", "1800",
        "--description", "made by the CLI", project=project,
    )  # fmt: skip
    assert created["name"] == name
    assert created["email"] == "admin@example.org"
    assert created["ttl"] == 1800
    assert created["description"] == "made by the CLI"
    assert created["type"] == "PRIMARY"
    assert created["project_id"] == project
    assert (created["status"], created["action"]) == ("PENDING", "CREATE")
    assert created["serial"] > 0
    zone_id = created["id"]

    listed = openstack.json("zone", "list", project=project)
    assert [(z["id"], z["name"], z["type"]) for z in listed] == [(zone_id, name, "PRIMARY")]
    assert (listed[0]["status"], listed[0]["action"]) == ("PENDING", "CREATE")
    assert listed[0]["serial"] == created["serial"]

    by_id = openstack.json("zone", "show", zone_id, project=project)
    by_name = openstack.json("zone", "show", name, project=project)
    assert by_id == by_name
    assert {key: by_id[key] for key in ("id", "name", "email", "ttl", "serial")} == {
        key: created[key] for key in ("id", "name", "email", "ttl", "serial")
    }

    updated = openstack.json(
        "zone", "set", name, "--ttl", "7200", "--email", "dns@example.org",
        "--description", "changed", project=project,
    )  # fmt: skip
    assert updated["id"] == zone_id
    assert (updated["ttl"], updated["email"], updated["description"]) == (
        7200, "dns@example.org", "changed",
    )  # fmt: skip
    assert updated["serial"] > created["serial"], "an SOA change bumps the serial"
    assert updated["status"] == "PENDING"
    shown = openstack.json("zone", "show", zone_id, project=project)
    assert (shown["ttl"], shown["email"], shown["description"]) == (
        7200, "dns@example.org", "changed",
    )  # fmt: skip
    assert shown["updated_at"] is not None

    cleared = openstack.json("zone", "set", zone_id, "--no-description", project=project)
    assert cleared["description"] is None
    assert cleared["ttl"] == 7200

    deleted = openstack.json("zone", "delete", name, project=project)
    assert deleted["id"] == zone_id
    assert (deleted["status"], deleted["action"]) == ("PENDING", "DELETE")
    after = openstack.json("zone", "show", zone_id, project=project)
    assert (after["status"], after["action"]) == ("PENDING", "DELETE")


def test_zone_list_filters(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"cli-{unique}"
    names = [f"{label}-{unique}.example.net." for label in ("alpha", "beta", "gamma")]
    ttls = {names[0]: "3600", names[1]: "900", names[2]: "3600"}
    zones = {name: create_zone(openstack, name, project, "--ttl", ttls[name]) for name in names}

    def listed(*filters: str) -> list[str]:
        return sorted(z["name"] for z in openstack.json("zone", "list", *filters, project=project))

    assert listed() == sorted(names)
    assert listed("--name", names[0]) == [names[0]]
    assert listed("--name", f"*-{unique}.example.net.") == sorted(names)
    assert listed("--name", f"gam*-{unique}.example.net.") == [names[2]]
    assert listed("--ttl", "900") == [names[1]]
    assert listed("--type", "PRIMARY", "--status", "PENDING") == sorted(names)
    assert listed("--email", f"hostmaster@alpha-{unique}.example.net") == [names[0]]
    assert listed("--name", f"nothing-{unique}.example.net.") == []

    long = openstack.json("zone", "list", "--long", "--name", names[1], project=project)
    assert long == [
        {
            "id": zones[names[1]]["id"],
            "name": names[1],
            "type": "PRIMARY",
            "serial": zones[names[1]]["serial"],
            "status": "PENDING",
            "action": "CREATE",
            "ttl": 900,
            "pool_id": zones[names[1]]["pool_id"],
            "email": f"hostmaster@beta-{unique}.example.net",
            "attributes": {},
            "masters": [],
        }
    ]


# -- recordsets -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordsetCase:
    """A recordset as the CLI is given it, and what it is changed to; `{zone}` is the origin."""

    type: str
    name: str  # relative names are completed by designateclient with the zone's name
    records: tuple[str, ...]
    new_records: tuple[str, ...]

    def given_name(self, zone: str) -> str:
        return self.name.format(zone=zone)

    def owner(self, zone: str) -> str:
        name = self.given_name(zone)
        return name if name.endswith(".") else f"{name}.{zone}"


CASES = [
    RecordsetCase("A", "www", ("192.0.2.1", "192.0.2.2"), ("198.51.100.7",)),
    RecordsetCase("AAAA", "v6", ("2001:db8::1",), ("2001:db8::2", "2001:db8::3")),
    RecordsetCase("MX", "{zone}", ("10 mail.{zone}", "20 mail2.{zone}"), ("5 mx.example.net.",)),
    RecordsetCase("TXT", "txt", ('"v=spf1 -all"',), ('"hello world"', '"second string"')),
    RecordsetCase("CNAME", "ftp", ("www.{zone}",), ("cdn.example.net.",)),
    RecordsetCase(
        "SRV", "_sip._tcp.{zone}", ("10 60 5060 sip.{zone}",), ("20 30 5061 sip2.{zone}",)
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.type for case in CASES])
def test_recordset_create_list_show_set_delete(
    openstack: InProcessOpenStack, unique: str, case: RecordsetCase
) -> None:
    project = f"cli-{unique}"
    zone = f"rrset-{unique}.example.org."
    zone_id = create_zone(openstack, zone, project)["id"]
    owner = case.owner(zone)
    records = sorted(record.format(zone=zone) for record in case.records)
    new_records = sorted(record.format(zone=zone) for record in case.new_records)
    record_args = [arg for record in records for arg in ("--record", record)]

    created = openstack.json(
        "recordset", "create", zone, case.given_name(zone), "--type", case.type,
        *record_args, "--ttl", "600", "--description", f"{case.type} set", project=project,
    )  # fmt: skip
    assert (created["name"], created["type"]) == (owner, case.type)
    assert records_of(created) == records
    assert (created["ttl"], created["description"]) == (600, f"{case.type} set")
    assert (created["zone_id"], created["zone_name"]) == (zone_id, zone)
    assert created["project_id"] == project
    assert (created["status"], created["action"]) == ("PENDING", "CREATE")
    rrset_id = created["id"]

    listed = openstack.json("recordset", "list", zone, project=project)
    assert {(rs["name"], rs["type"]) for rs in listed} == {
        (zone, "SOA"), (zone, "NS"), (owner, case.type),
    }  # fmt: skip
    [mine] = [rs for rs in listed if rs["id"] == rrset_id]
    assert records_of(mine) == records
    assert (mine["status"], mine["action"]) == ("PENDING", "CREATE")

    by_id = openstack.json("recordset", "show", zone_id, rrset_id, project=project)
    assert by_id["id"] == rrset_id
    assert records_of(by_id) == records
    if case.type != "MX":  # the MX set shares the apex name with SOA and NS
        by_name = openstack.json("recordset", "show", zone, owner, project=project)
        assert by_name == by_id

    updated = openstack.json(
        "recordset", "set", zone, rrset_id, *[a for r in new_records for a in ("--record", r)],
        "--ttl", "300", "--description", "replaced", project=project,
    )  # fmt: skip
    assert updated["id"] == rrset_id
    assert records_of(updated) == new_records
    assert (updated["ttl"], updated["description"]) == (300, "replaced")
    assert updated["version"] > created["version"]

    inherited = openstack.json(
        "recordset", "set", zone_id, rrset_id, "--no-ttl", "--no-description", project=project
    )
    assert (inherited["ttl"], inherited["description"]) == (None, None)
    assert records_of(inherited) == new_records
    shown = openstack.json("recordset", "show", zone, rrset_id, project=project)
    assert (shown["ttl"], records_of(shown)) == (None, new_records)

    deleted = openstack.json("recordset", "delete", zone, rrset_id, project=project)
    assert deleted["id"] == rrset_id
    assert (deleted["status"], deleted["action"]) == ("PENDING", "DELETE")
    # As in Designate, the set leaves storage at once (its records wait for the targets).
    missing = openstack.fails("recordset", "show", zone, rrset_id, project=project)
    assert "Could not find" in missing.stderr
    remaining = openstack.json("recordset", "list", zone, project=project)
    assert sorted(rs["type"] for rs in remaining) == ["NS", "SOA"]


def test_recordset_list_filters_and_all_zones(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"cli-{unique}"
    first, second = (f"{label}-{unique}.example.com." for label in ("one", "two"))
    for zone in (first, second):
        create_zone(openstack, zone, project)
        openstack.json(
            "recordset", "create", zone, "www", "--type", "A", "--record", "192.0.2.10",
            project=project,
        )  # fmt: skip
    openstack.json(
        "recordset", "create", first, "mail", "--type", "A", "--record", "192.0.2.20",
        "--ttl", "120", project=project,
    )  # fmt: skip

    def names(*args: str) -> list[tuple[str, str]]:
        listed = openstack.json("recordset", "list", *args, project=project)
        return sorted((rs["name"], rs["type"]) for rs in listed)

    assert names(first, "--type", "A") == [(f"mail.{first}", "A"), (f"www.{first}", "A")]
    assert names(first, "--name", f"www.{first}") == [(f"www.{first}", "A")]
    assert names(first, "--data", "192.0.2.20") == [(f"mail.{first}", "A")]
    assert names(first, "--ttl", "120") == [(f"mail.{first}", "A")]
    assert names(first, "--type", "NS") == [(first, "NS")]
    assert names(first, "--name", f"*.{first}") == [(f"mail.{first}", "A"), (f"www.{first}", "A")]

    everywhere = openstack.json("recordset", "list", "all", "--type", "A", project=project)
    assert sorted((rs["zone_name"], rs["name"]) for rs in everywhere) == [
        (first, f"mail.{first}"), (first, f"www.{first}"), (second, f"www.{second}"),
    ]  # fmt: skip

    long = openstack.json(
        "recordset", "list", first, "--long", "--name", f"mail.{first}", project=project
    )
    assert [(rs["ttl"], rs["records"], rs["version"]) for rs in long] == [(120, "192.0.2.20", 1)]


def test_recordset_list_follows_pages(openstack: InProcessOpenStack, unique: str) -> None:
    """More recordsets than a page (default limit 20): designateclient follows links.next."""
    project = f"cli-{unique}"
    zone = f"pages-{unique}.example.org."
    create_zone(openstack, zone, project)
    hosts = [f"host{index:02d}" for index in range(23)]
    for index, host in enumerate(hosts):
        openstack.json(
            "recordset", "create", zone, host, "--type", "A", "--record", f"192.0.2.{index + 1}",
            project=project,
        )  # fmt: skip

    listed = openstack.json("recordset", "list", zone, "--type", "A", project=project)
    assert sorted(rs["name"] for rs in listed) == [f"{host}.{zone}" for host in hosts]
    everything = openstack.json("recordset", "list", zone, project=project)
    assert len(everything) == len(hosts) + 2  # and the SOA and NS sets
    assert len({rs["id"] for rs in everything}) == len(everything)


def test_invalid_record_is_refused(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"cli-{unique}"
    zone = f"bad-{unique}.example.org."
    create_zone(openstack, zone, project)
    failed = openstack.fails(
        "recordset", "create", zone, "www", "--type", "A", "--record", "not-an-address",
        project=project,
    )  # fmt: skip
    # designateclient shows the error's message (Designate's words for invalid_object).
    assert "Provided object does not match schema" in failed.stderr
    assert openstack.json("recordset", "list", zone, "--type", "A", project=project) == []


# -- projects -------------------------------------------------------------------------


def test_projects_are_isolated(openstack: InProcessOpenStack, unique: str) -> None:
    owner, other = f"cli-owner-{unique}", f"cli-other-{unique}"
    name = f"private-{unique}.example.org."
    zone = create_zone(openstack, name, owner)
    openstack.json(
        "recordset", "create", name, "www", "--type", "A", "--record", "192.0.2.1", project=owner
    )
    before = openstack.json("zone", "show", zone["id"], project=owner)

    assert openstack.json("zone", "list", project=other) == []
    assert openstack.json("recordset", "list", "all", project=other) == []
    assert "Could not find" in openstack.fails("zone", "show", zone["id"], project=other).stderr
    assert "didn't resolve" in openstack.fails("zone", "show", name, project=other).stderr
    openstack.fails("zone", "set", zone["id"], "--ttl", "60", project=other)
    openstack.fails("zone", "delete", zone["id"], project=other)
    openstack.fails("recordset", "list", zone["id"], project=other)
    duplicate = openstack.fails("zone", "create", "--email", "x@example.org", name, project=other)
    assert "different tenant" in duplicate.stderr

    assert openstack.json("zone", "show", zone["id"], project=owner) == before
    assert [z["id"] for z in openstack.json("zone", "list", project=owner)] == [zone["id"]]

    # --all-projects (X-Auth-All-Projects) is how an admin sees past the project boundary.
    everyone = openstack.json("zone", "list", "--all-projects", "--name", name)
    assert [(z["id"], z["project_id"]) for z in everyone] == [(zone["id"], owner)]
    assert openstack.json("zone", "show", zone["id"], "--all-projects")["project_id"] == owner
    rrsets = openstack.json("recordset", "list", "all", "--all-projects", "--name", f"www.{name}")
    assert [(rs["project_id"], rs["records"]) for rs in rrsets] == [(owner, "192.0.2.1")]


# -- managed recordsets (SOA and apex NS) ---------------------------------------------


# What Designate answers (designate/api/v2/controllers/zones/recordsets.py put_one and
# delete_one, central delete_recordset): put_one refuses a managed set first (SOA and apex
# NS records are managed=True), then SOA, then the apex NS set even with
# X-Designate-Edit-Managed-Records. designateclient prints the message as the CLI's error.
MANAGED_REFUSALS = [
    pytest.param(
        "set", "SOA", (), "Managed records may not be updated",
        id="set-SOA",
    ),
    pytest.param(
        "set", "SOA", ("--edit-managed",), "Updating SOA recordsets is not allowed",
        id="set-SOA-edit-managed",
    ),
    pytest.param(
        "set", "NS", (), "Managed records may not be updated",
        id="set-apex-NS",
    ),
    pytest.param("delete", "SOA", (), "Deleting a SOA recordset is not allowed", id="delete-SOA"),
    pytest.param(
        "delete", "NS", (), "Managed records may not be deleted",
        id="delete-apex-NS",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "rdtype", "flags", "message"), MANAGED_REFUSALS)
def test_managed_recordsets_are_refused_with_designates_message(
    openstack: InProcessOpenStack,
    unique: str,
    verb: str,
    rdtype: str,
    flags: tuple[str, ...],
    message: str,
) -> None:
    project = f"cli-{unique}"
    zone = f"managed-{unique}.example.org."
    create_zone(openstack, zone, project)
    [managed] = openstack.json("recordset", "list", zone, "--type", rdtype, project=project)
    records = ("--record", "ns9.example.net.") if verb == "set" else ()

    refused = openstack.fails("recordset", verb, zone, managed["id"], *records, *flags,
                              project=project)  # fmt: skip
    assert message in refused.stderr
    shown = openstack.json("recordset", "show", zone, managed["id"], project=project)
    assert shown["records"] == managed["records"]


def test_apex_NS_cannot_be_replaced_even_with_edit_managed(
    openstack: InProcessOpenStack, unique: str
) -> None:
    project = f"cli-{unique}"
    zone = f"apex-{unique}.example.org."
    create_zone(openstack, zone, project)
    [ns] = openstack.json("recordset", "list", zone, "--type", "NS", project=project)

    refused = openstack.run(
        "recordset", "set", zone, ns["id"], "--record", "ns9.example.net.", "--edit-managed",
        "-f", "json", project=project,
    )  # fmt: skip
    shown = openstack.json("recordset", "show", zone, ns["id"], project=project)
    assert shown["records"] == ns["records"], "the pool's nameservers were replaced"
    assert refused.exit_code == 1
    assert "Updating a root zone NS record is not allowed" in refused.stderr


# -- action after a change ------------------------------------------------------------


def test_zone_set_reports_action_UPDATE(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"cli-{unique}"
    zone = f"action-{unique}.example.org."
    assert create_zone(openstack, zone, project)["action"] == "CREATE"

    updated = openstack.json("zone", "set", zone, "--ttl", "600", project=project)
    assert updated["ttl"] == 600
    assert (updated["status"], updated["action"]) == ("PENDING", "UPDATE")


def test_recordset_set_reports_action_UPDATE(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"cli-{unique}"
    zone = f"action-{unique}.example.org."
    create_zone(openstack, zone, project)
    created = openstack.json(
        "recordset", "create", zone, "www", "--type", "A", "--record", "192.0.2.1",
        project=project,
    )  # fmt: skip
    assert created["action"] == "CREATE"

    updated = openstack.json(
        "recordset", "set", zone, created["id"], "--record", "192.0.2.2", project=project
    )
    assert updated["records"] == "192.0.2.2"
    assert (updated["status"], updated["action"]) == ("PENDING", "UPDATE")
    # Designate also marks the zone: any recordset change sets the zone's action to UPDATE.
    assert openstack.json("zone", "show", zone, project=project)["action"] == "UPDATE"


# -- service statuses -----------------------------------------------------------------


def test_dns_service_list_and_show(
    openstack: InProcessOpenStack, live_api: LiveApi, unique: str
) -> None:
    """Heartbeat rows written into the live API's database, read back by the CLI; the row
    silent for longer than down_after (30 s by default) shows DOWN."""
    hostname = f"node-{unique}.example.net"
    alive, silent = new_id(), new_id()
    with live_api.database.write() as session:
        rows = ServiceStatusRepository(session)
        for row_id, service_name, at in (
            (alive, "central", utcnow()),
            (silent, "worker", utcnow() - timedelta(minutes=5)),
        ):
            rows.beat(
                row_id, service_name=service_name, hostname=hostname, status=ServiceState.UP,
                stats={"pid": 7}, capabilities={}, now=at,
            )  # fmt: skip

    listed = openstack.json("dns", "service", "list", "--hostname", hostname)
    assert sorted(
        (s["id"], s["hostname"], s["service_name"], s["status"]) for s in listed
    ) == sorted([(alive, hostname, "central", "UP"), (silent, hostname, "worker", "DOWN")])
    workers = openstack.json("dns", "service", "list", "--hostname", hostname,
                             "--service_name", "worker")  # fmt: skip
    assert [s["id"] for s in workers] == [silent]

    shown = openstack.json("dns", "service", "show", alive)
    assert (shown["id"], shown["hostname"], shown["service_name"], shown["status"]) == (
        alive, hostname, "central", "UP",
    )  # fmt: skip
    assert shown["stats"] == "pid"  # designateclient prints a dict's keys, one a line
    assert openstack.json("dns", "service", "show", silent)["status"] == "DOWN"
    missing = openstack.fails("dns", "service", "show", new_id())
    assert "Could not find ServiceStatus" in missing.stderr


# -- TSIG keys ----------------------------------------------------------------------------


def test_tsigkey_create_list_show_set_delete(openstack: InProcessOpenStack, unique: str) -> None:
    name = f"cli-{unique}"
    secret = base64.b64encode(f"secret-{unique}".encode()).decode()
    created = openstack.json("tsigkey", "create", "--name", name, "--algorithm", "hmac-sha256",
                             "--secret", secret, "--scope", "POOL", "--resource-id",
                             DEFAULT_POOL_ID)  # fmt: skip
    assert (created["name"], created["algorithm"], created["secret"]) == (
        f"{name}.", "hmac-sha256", secret,
    )  # fmt: skip
    listed = openstack.json("tsigkey", "list", "--name", name)
    assert [key["id"] for key in listed] == [created["id"]]
    # designateclient resolves a name to an id through the list's name filter.
    assert openstack.json("tsigkey", "show", name)["id"] == created["id"]
    changed = openstack.json("tsigkey", "set", created["id"], "--algorithm", "hmac-sha512")
    assert changed["algorithm"] == "hmac-sha512"
    openstack.run("tsigkey", "delete", name)
    missing = openstack.fails("tsigkey", "show", created["id"])
    assert "Could not find TsigKey" in missing.stderr


# -- TLDs ---------------------------------------------------------------------------------


def test_tld_create_list_show_set_delete(openstack: InProcessOpenStack, unique: str) -> None:
    name = f"tld-{unique}"
    created = openstack.json("tld", "create", "--name", name, "--description", "a test TLD")
    assert (created["name"], created["description"]) == (name, "a test TLD")
    assert [tld["id"] for tld in openstack.json("tld", "list", "--name", name)] == [created["id"]]
    assert openstack.json("tld", "show", name)["id"] == created["id"]
    changed = openstack.json("tld", "set", created["id"], "--no-description")
    assert changed["description"] is None
    openstack.run("tld", "delete", name)
    assert "Could not find Tld" in openstack.fails("tld", "show", created["id"]).stderr


# -- blacklists ---------------------------------------------------------------------------


def test_zone_blacklist_create_list_show_set_delete(
    openstack: InProcessOpenStack, unique: str
) -> None:
    pattern = rf"^blocked-{unique}\."
    created = openstack.json("zone", "blacklist", "create", "--pattern", pattern,
                             "--description", "blocked")  # fmt: skip
    assert (created["pattern"], created["description"]) == (pattern, "blocked")
    listed = openstack.json("zone", "blacklist", "list")
    assert created["id"] in [blacklist["id"] for blacklist in listed]
    assert openstack.json("zone", "blacklist", "show", created["id"])["pattern"] == pattern
    changed = openstack.json("zone", "blacklist", "set", created["id"], "--no-description")
    assert changed["description"] is None
    openstack.run("zone", "blacklist", "delete", created["id"])
    assert (
        "Could not find Blacklist"
        in openstack.fails("zone", "blacklist", "show", created["id"]).stderr
    )


# -- quotas and limits --------------------------------------------------------------------


def test_dns_quota_set_list_reset_and_limits(openstack: InProcessOpenStack, unique: str) -> None:
    project = f"quota-{unique}"
    changed = openstack.json("dns", "quota", "set", "--project-id", project, "--zones", "3",
                             "--recordset-records", "7")  # fmt: skip
    assert (changed["zones"], changed["recordset_records"]) == (3, 7)
    listed = openstack.json("dns", "quota", "list", "--project-id", project)
    assert (listed["zones"], listed["zone_records"]) == (3, 500)
    rows = openstack.json("dns", "limit", "list", project=project)
    limits = {row["Limit"]: row["Value"] for row in rows}
    assert (limits["max_zones"], limits["max_recordset_records"]) == (3, 7)
    openstack.run("dns", "quota", "reset", "--project-id", project)
    assert openstack.json("dns", "quota", "list", "--project-id", project)["zones"] == 10


def test_zone_abandon(openstack: InProcessOpenStack, unique: str) -> None:
    project, name = f"abandon-{unique}", f"abandon-{unique}.example.org."
    zone = openstack.json("zone", "create", name, "--email", "h@example.org", project=project)
    openstack.run("zone", "abandon", zone["id"], project=project)
    assert "Could not find Zone" in openstack.fails("zone", "show", zone["id"],
                                                    project=project).stderr  # fmt: skip


# -- exports ------------------------------------------------------------------------------


def test_zone_export_create_list_show_showfile_delete(
    openstack: InProcessOpenStack, unique: str
) -> None:
    project, name = f"export-{unique}", f"export-{unique}.example.org."
    zone = openstack.json("zone", "create", name, "--email", "h@example.org", project=project)
    openstack.json("recordset", "create", zone["id"], "www", "--type", "A", "--record",
                   "192.0.2.9", project=project)  # fmt: skip
    task = openstack.json("zone", "export", "create", zone["id"], project=project)
    assert (task["status"], task["zone_id"]) == ("COMPLETE", zone["id"])
    listed = openstack.json("zone", "export", "list", project=project)
    assert [item["id"] for item in listed] == [task["id"]]
    assert openstack.json("zone", "export", "show", task["id"], project=project)["id"] == task["id"]
    zone_file = openstack.json("zone", "export", "showfile", task["id"], project=project)["data"]
    assert f"www.{name} 3600 IN A 192.0.2.9" in zone_file
    openstack.run("zone", "export", "delete", task["id"], project=project)
    assert openstack.json("zone", "export", "list", project=project) == []


# -- imports ------------------------------------------------------------------------------


def test_zone_import_create_list_show_delete(
    openstack: InProcessOpenStack, unique: str, tmp_path: Path
) -> None:
    project, name = f"import-{unique}", f"import-{unique}.example.org."
    zone_file = tmp_path / "zone.db"
    zone_file.write_text(
        f"$ORIGIN {name}\n$TTL 300\n@ IN SOA ns.example.net. hostmaster.{name} 1 2 3 4 5\n"
        "www IN A 192.0.2.80\n"
    )
    task = openstack.json("zone", "import", "create", str(zone_file), project=project)
    assert task["status"] == "COMPLETE", task
    shown = openstack.json("zone", "import", "show", task["id"], project=project)
    assert shown["zone_id"] == task["zone_id"]
    listed = openstack.json("zone", "import", "list", project=project)
    assert [item["id"] for item in listed] == [task["id"]]
    records = openstack.json("recordset", "list", task["zone_id"], "--type", "A", project=project)
    assert [(r["name"], r["records"]) for r in records] == [(f"www.{name}", "192.0.2.80")]
    openstack.run("zone", "import", "delete", task["id"], project=project)
    assert openstack.json("zone", "import", "list", project=project) == []


# -- zone transfers -----------------------------------------------------------------------


def test_zone_transfer_request_and_accept(openstack: InProcessOpenStack, unique: str) -> None:
    owner, receiver = f"giver-{unique}", f"taker-{unique}"
    name = f"transfer-{unique}.example.org."
    zone = openstack.json("zone", "create", name, "--email", "h@example.org", project=owner)
    request = openstack.json("zone", "transfer", "request", "create", zone["id"],
                             "--target-project-id", receiver, "--description", "take it",
                             project=owner)  # fmt: skip
    assert (request["target_project_id"], request["status"]) == (receiver, "ACTIVE")
    listed = openstack.json("zone", "transfer", "request", "list", "--status", "ACTIVE",
                            project=owner)  # fmt: skip
    assert [item["id"] for item in listed] == [request["id"]]
    changed = openstack.json("zone", "transfer", "request", "set", request["id"],
                             "--description", "please take it", project=owner)  # fmt: skip
    assert changed["description"] == "please take it"
    accept = openstack.json("zone", "transfer", "accept", "request", "--transfer-id",
                            request["id"], "--key", request["key"], project=receiver)  # fmt: skip
    assert (accept["status"], accept["zone_id"]) == ("COMPLETE", zone["id"])
    shown = openstack.json("zone", "transfer", "accept", "show", accept["id"], project=receiver)
    assert shown["project_id"] == receiver
    assert openstack.json("zone", "show", zone["id"], project=receiver)["project_id"] == receiver


# -- shared zones -------------------------------------------------------------------------


def test_zone_share_create_list_show_delete(openstack: InProcessOpenStack, unique: str) -> None:
    owner, guest = f"sharer-{unique}", f"guest-{unique}"
    zone = openstack.json("zone", "create", f"share-{unique}.example.org.", "--email",
                          "h@example.org", project=owner)  # fmt: skip
    share = openstack.json("zone", "share", "create", zone["id"], guest, project=owner)
    assert (share["zone_id"], share["target_project_id"]) == (zone["id"], guest)
    listed = openstack.json("zone", "share", "list", zone["id"], project=owner)
    assert [item["id"] for item in listed] == [share["id"]]
    shown = openstack.json("zone", "share", "show", zone["id"], share["id"], project=owner)
    assert shown["target_project_id"] == guest
    assert openstack.json("zone", "show", zone["id"], project=guest)["id"] == zone["id"]
    openstack.run("zone", "share", "delete", zone["id"], share["id"], project=owner)
    assert openstack.json("zone", "share", "list", zone["id"], project=owner) == []


def test_zone_move_to_another_pool_and_back(
    openstack: InProcessOpenStack, live_api: LiveApi, unique: str
) -> None:
    pools = PoolService(live_api.database)
    default = "- name: default\n  ns_records: [{hostname: ns1.zonefleet.test., priority: 1}]\n"
    other = f"- name: other-{unique}\n  ns_records: [{{hostname: ns1.other.test., priority: 1}}]\n"
    pools.update_pools(parse_pools(default + other))
    try:
        [moved_to] = [p.id for p in pools.list_pools() if p.name == f"other-{unique}"]
        project, name = f"move-{unique}", f"move-{unique}.example.org."
        zone = openstack.json("zone", "create", name, "--email", "h@example.org", project=project)
        refused = openstack.run("zone", "move", zone["id"], "--all-projects")  # in default already
        assert refused.exit_code != 0 and "Target pool must be different" in refused.stderr
        openstack.run("zone", "move", zone["id"], "--pool-id", str(moved_to), "--all-projects")
        assert openstack.json("zone", "show", zone["id"], project=project)["pool_id"] == moved_to
        openstack.run("zone", "move", zone["id"], project=project)  # no pool: the default one
        shown = openstack.json("zone", "show", zone["id"], project=project)
        assert shown["pool_id"] == DEFAULT_POOL_ID
    finally:
        pools.update_pools(parse_pools(default), delete=True)


def test_secondary_zone_create_axfr_and_new_masters(
    openstack: InProcessOpenStack, live_api: LiveApi, unique: str
) -> None:
    project, name = f"sec-{unique}", f"sec-{unique}.example.org."
    zone = openstack.json("zone", "create", name, "--type", "SECONDARY", "--masters",
                          "192.0.2.1", "192.0.2.2:5353", project=project)  # fmt: skip
    assert (zone["type"], zone["masters"]) == ("SECONDARY", "192.0.2.1, 192.0.2.2:5353")
    openstack.run("zone", "axfr", zone["id"], project=project)
    changed = openstack.json("zone", "set", zone["id"], "--masters", "192.0.2.3", project=project)
    assert changed["masters"] == "192.0.2.3"
    with live_api.database.read() as session:
        events = list(session.scalars(select(ZoneEvent.event).where(
            ZoneEvent.zone_id == zone["id"])))  # fmt: skip
    assert events == ["zone created", "transfer asked", "zone updated"]
    failed = openstack.run("zone", "set", zone["id"], "--email", "a@b.c", project=project)
    assert failed.exit_code != 0 and "does not match schema" in failed.stderr  # the primary's
