"""openstacksdk's dns proxy against a live API: discovery, zones, recordsets, projects.

Connections are Keystone-less (auth_type "none") on the unversioned root; the project
travels as noauth's X-Auth-Project-ID header on the connection's session.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from openstack import exceptions
from openstack.connection import Connection

from tests.clients.conftest import LiveApi

Connect = Callable[[str], Connection]

pytestmark = [
    pytest.mark.clients,
    # openstacksdk (4.22) warns on every connection: its config loader always returns an
    # influxdb section (of None values), which CloudRegion takes as InfluxDB being configured.
    pytest.mark.filterwarnings(
        "ignore:Support for InfluxDB requires the influxdb library"
        ":openstack.warnings.RemovedInSDK60Warning"
    ),
    # openstacksdk (4.22) Resource._update calls its own deprecated _compute_attributes.
    pytest.mark.filterwarnings(
        "ignore:The _compute_attributes method is deprecated"
        ":openstack.warnings.RemovedInSDK50Warning"
    ),
    # openstacksdk (4.22) Proxy passes service_type to its own _extract_name.
    pytest.mark.filterwarnings(
        "ignore:The 'service_type' parameter is unnecesary:openstack.warnings.RemovedInSDK50Warning"
    ),
]


def test_dns_proxy_discovers_v2_from_the_versions_document(sdk: Connect, live_api: LiveApi) -> None:
    conn = sdk("sdk-discovery")
    assert conn.dns.get_endpoint() == live_api.v2
    assert conn.dns.get_api_major_version() == (2, 0)


def test_zone_create_list_get_update_delete(sdk: Connect, unique: str) -> None:
    conn = sdk(f"sdk-{unique}")
    name = f"zone-{unique}.example.org."

    created = conn.dns.create_zone(
        name=name, email="admin@example.org", ttl=1800, description="made by the SDK"
    )
    assert (created.name, created.email, created.ttl) == (name, "admin@example.org", 1800)
    assert (created.description, created.type) == ("made by the SDK", "PRIMARY")
    assert created.project_id == f"sdk-{unique}"
    assert (created.status, created.action) == ("PENDING", "CREATE")
    assert created.serial > 0
    assert created.is_shared is False

    listed = list(conn.dns.zones())
    assert [(zone.id, zone.name) for zone in listed] == [(created.id, name)]
    assert [zone.id for zone in conn.dns.zones(name=name)] == [created.id]
    assert list(conn.dns.zones(name=f"other-{unique}.example.org.")) == []

    fetched = conn.dns.get_zone(created.id)
    assert (fetched.id, fetched.name, fetched.serial) == (created.id, name, created.serial)
    found = conn.dns.find_zone(name)
    assert found is not None
    assert found.id == created.id

    serial = created.serial
    # update_zone changes the Zone it is given in place and returns it.
    updated = conn.dns.update_zone(created, ttl=7200, description="changed")
    assert updated.id == created.id
    assert (updated.ttl, updated.description, updated.email) == (
        7200, "changed", "admin@example.org",
    )  # fmt: skip
    assert updated.serial > serial, "a new TTL for the apex NS set bumps the serial"
    conn.dns.update_zone(created.id, email="dns@example.org")
    refetched = conn.dns.get_zone(created.id)
    assert (refetched.ttl, refetched.description, refetched.email) == (
        7200, "changed", "dns@example.org",
    )  # fmt: skip

    # The SDK does not read a DELETE's body: the returned Zone is the one it was given.
    conn.dns.delete_zone(created, ignore_missing=False)
    gone = conn.dns.get_zone(created.id)
    assert (gone.status, gone.action) == ("PENDING", "DELETE")


def test_recordset_create_list_get_update_delete(sdk: Connect, unique: str) -> None:
    conn = sdk(f"sdk-{unique}")
    zone_name = f"rrset-{unique}.example.org."
    zone = conn.dns.create_zone(name=zone_name, email="admin@example.org")

    created = conn.dns.create_recordset(
        zone, name=f"www.{zone_name}", type="A", records=["192.0.2.1", "192.0.2.2"], ttl=600,
        description="web",
    )  # fmt: skip
    assert (created.name, created.type, created.ttl) == (f"www.{zone_name}", "A", 600)
    assert sorted(created.records) == ["192.0.2.1", "192.0.2.2"]
    assert (created.zone_id, created.zone_name) == (zone.id, zone_name)
    assert (created.status, created.action) == ("PENDING", "CREATE")

    in_zone = list(conn.dns.recordsets(zone))
    assert sorted((rs.name, rs.type) for rs in in_zone) == [
        (zone_name, "NS"), (zone_name, "SOA"), (f"www.{zone_name}", "A"),
    ]  # fmt: skip
    assert [rs.id for rs in conn.dns.recordsets(zone, type="A")] == [created.id]
    # Not conn.dns.recordsets() without a zone: openstacksdk 4.22's dns Resource.list drops
    # its base_path argument and fails client-side with KeyError 'zone_id'.

    fetched = conn.dns.get_recordset(created.id, zone.id)
    assert (fetched.id, fetched.name, sorted(fetched.records)) == (
        created.id, f"www.{zone_name}", ["192.0.2.1", "192.0.2.2"],
    )  # fmt: skip
    found = conn.dns.find_recordset(zone, f"www.{zone_name}")
    assert found is not None
    assert found.id == created.id

    updated = conn.dns.update_recordset(fetched, records=["198.51.100.9"], ttl=300)
    assert (updated.id, updated.records, updated.ttl) == (created.id, ["198.51.100.9"], 300)
    assert updated.description == "web"
    again = conn.dns.get_recordset(created, zone)
    assert (again.records, again.ttl) == (["198.51.100.9"], 300)

    # As in Designate, the set leaves storage at once (its records wait for the targets).
    conn.dns.delete_recordset(created, zone, ignore_missing=False)
    with pytest.raises(exceptions.NotFoundException):
        conn.dns.get_recordset(created.id, zone.id)
    assert sorted(rs.type for rs in conn.dns.recordsets(zone)) == ["NS", "SOA"]


@pytest.mark.parametrize(
    ("rdtype", "owner", "records"),
    [
        ("AAAA", "v6", ["2001:db8::1"]),
        ("MX", "", ["10 mail.{zone}", "20 mail2.{zone}"]),
        ("TXT", "txt", ['"v=spf1 -all"']),
        ("CNAME", "ftp", ["www.{zone}"]),
        ("SRV", "_sip._tcp", ["10 60 5060 sip.{zone}"]),
    ],
)
def test_recordset_types_round_trip(
    sdk: Connect, unique: str, rdtype: str, owner: str, records: list[str]
) -> None:
    conn = sdk(f"sdk-{unique}")
    zone_name = f"types-{unique}.example.org."
    zone = conn.dns.create_zone(name=zone_name, email="admin@example.org")
    name = f"{owner}.{zone_name}" if owner else zone_name
    expected = sorted(record.format(zone=zone_name) for record in records)

    created = conn.dns.create_recordset(zone, name=name, type=rdtype, records=expected)
    fetched = conn.dns.get_recordset(created.id, zone)
    assert (fetched.name, fetched.type, sorted(fetched.records)) == (name, rdtype, expected)
    assert fetched.ttl is None, "no ttl given: the set inherits the zone's"


def test_zones_list_follows_pages(sdk: Connect, unique: str) -> None:
    conn = sdk(f"sdk-{unique}")
    names = sorted(f"page{index}-{unique}.example.org." for index in range(5))
    for name in names:
        conn.dns.create_zone(name=name, email="admin@example.org")

    assert sorted(zone.name for zone in conn.dns.zones(limit=2)) == names


def test_projects_are_isolated(sdk: Connect, unique: str) -> None:
    owner, other = sdk(f"sdk-owner-{unique}"), sdk(f"sdk-other-{unique}")
    name = f"private-{unique}.example.org."
    zone = owner.dns.create_zone(name=name, email="admin@example.org", ttl=900)
    recordset = owner.dns.create_recordset(
        zone, name=f"www.{name}", type="A", records=["192.0.2.1"]
    )
    before = owner.dns.get_zone(zone.id).to_dict()

    assert list(other.dns.zones()) == []
    assert other.dns.find_zone(name) is None
    with pytest.raises(exceptions.NotFoundException):
        other.dns.get_zone(zone.id)
    with pytest.raises(exceptions.NotFoundException):
        other.dns.update_zone(zone.id, ttl=60)
    with pytest.raises(exceptions.NotFoundException):
        other.dns.delete_zone(zone.id, ignore_missing=False)
    with pytest.raises(exceptions.NotFoundException):
        list(other.dns.recordsets(zone.id))
    with pytest.raises(exceptions.NotFoundException):
        other.dns.get_recordset(recordset.id, zone.id)
    with pytest.raises(exceptions.ConflictException):
        other.dns.create_zone(name=name, email="admin@example.org")

    assert owner.dns.get_zone(zone.id).to_dict() == before
    assert [rs.records for rs in owner.dns.recordsets(zone, type="A")] == [["192.0.2.1"]]
    assert [z.id for z in owner.dns.zones()] == [zone.id]

    everyone = list(other.dns.zones(all_projects=True, name=name))
    assert [(z.id, z.project_id) for z in everyone] == [(zone.id, f"sdk-owner-{unique}")]
