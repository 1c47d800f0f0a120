"""Zone rules on every engine (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import delete, select

from tests.conftest import build_services
from tests.service.factories import admin, ctx, make_zone, rs_request, snapshot, zone_request
from zonefleet.api.deps import ApiServices
from zonefleet.errors import (
    BadRequestError,
    DuplicateZoneError,
    ForbiddenError,
    IllegalChildZoneError,
    IllegalParentZoneError,
    InvalidObjectError,
    InvalidTTLError,
    InvalidZoneNameError,
    MarkerNotFound,
    OverQuotaError,
    ZoneHasSubZoneError,
    ZoneNotFound,
)
from zonefleet.service.values import UNSET
from zonefleet.service.zones import NoServersConfiguredError, ZoneUpdate
from zonefleet.settings import Settings
from zonefleet.storage.filters import PageRequest, RecordsetFilter, ZoneFilter
from zonefleet.storage.models import JournalEntry, PoolNsRecord, Recordset, Zone
from zonefleet.storage.repositories import Repositories


def test_create_builds_soa_and_apex_ns_from_the_pool(services: ApiServices) -> None:
    zone = make_zone(services, "Example.ORG.")
    assert (zone.name, zone.status, zone.action, zone.version) == (
        "example.org.",
        "PENDING",
        "CREATE",
        1,
    )
    page = services.recordsets.list_recordsets(ctx(), zone.id, RecordsetFilter(), PageRequest())
    by_type = {rs.type: rs for rs in page.items}
    assert set(by_type) == {"SOA", "NS"}
    assert [r.data for r in by_type["NS"].records] == ["ns1.zonefleet.test."]
    soa = by_type["SOA"].records[0].data.split()
    assert soa[:3] == ["ns1.zonefleet.test.", "hostmaster.example.org.", str(zone.serial)]
    assert 3500 <= int(soa[3]) <= 3600
    assert by_type["SOA"].managed and by_type["NS"].managed


def test_create_journals_every_record_at_the_first_serial(services: ApiServices) -> None:
    zone = make_zone(services)
    with services.database.read() as session:
        entries = Repositories(session).journal.for_zone(zone.id)
    assert {(e.serial, e.op, e.type) for e in entries} == {
        (zone.serial, 1, "SOA"),
        (zone.serial, 1, "NS"),
    }


def test_serial_is_at_least_now(services: ApiServices) -> None:
    before = int(time.time())
    zone = make_zone(services)
    assert zone.serial >= before


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("org.", InvalidZoneNameError),
        ("example.org", InvalidObjectError),
        ("exa mple.org.", InvalidObjectError),
        ("-x.example.org.", InvalidObjectError),
        ("*.example.org.", InvalidObjectError),
        ("a" * 64 + ".org.", InvalidObjectError),
    ],
)
def test_bad_names_change_nothing(services: ApiServices, name: str, error: type) -> None:
    before = snapshot(services.database)
    with pytest.raises(error):
        services.zones.create_zone(ctx(), zone_request(name))
    assert snapshot(services.database) == before


def test_every_bad_field_is_reported_at_once(services: ApiServices) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        services.zones.create_zone(
            ctx(), zone_request("bad name.", email="nobody", ttl=-1, type="CATALOG")
        )
    paths = {reason.path for reason in caught.value.reasons}
    assert paths == {("name",), ("email",), ("ttl",), ("type",)}
    with pytest.raises(InvalidObjectError) as caught:  # a SECONDARY zone's own rules too
        services.zones.create_zone(
            ctx(), zone_request("bad name.", email="nobody", ttl=-1, type="SECONDARY")
        )
    paths = {reason.path for reason in caught.value.reasons}
    assert paths == {("name",), ("email",), ("ttl",), ("masters",)}


@pytest.mark.parametrize("email", ["noat.example.org", "a@b@c", "@example.org", "x@", "a b@c.org"])
def test_bad_email_is_refused(services: ApiServices, email: str) -> None:
    with pytest.raises(InvalidObjectError):
        services.zones.create_zone(ctx(), zone_request(email=email))


def test_email_is_required(services: ApiServices) -> None:
    with pytest.raises(InvalidObjectError, match="schema"):
        services.zones.create_zone(ctx(), zone_request(email=None))


def test_duplicate_zone_is_refused(services: ApiServices) -> None:
    make_zone(services)
    before = snapshot(services.database)
    with pytest.raises(DuplicateZoneError, match="Duplicate Zone"):
        make_zone(services)
    with pytest.raises(DuplicateZoneError, match="different tenant"):
        make_zone(services, project="p2")
    assert snapshot(services.database) == before


def test_subzone_of_another_project_is_refused(services: ApiServices) -> None:
    make_zone(services, "example.org.", project="p1")
    with pytest.raises(IllegalChildZoneError):
        make_zone(services, "deep.sub.example.org.", project="p2")


def test_superzone_of_another_project_is_refused(services: ApiServices) -> None:
    make_zone(services, "sub.example.org.", project="p2")
    with pytest.raises(IllegalParentZoneError):
        make_zone(services, "example.org.", project="p1")
    # a sibling name that merely shares a suffix is not a descendant
    make_zone(services, "xexample.org.", project="p1")


def test_own_subzones_are_linked_both_ways(services: ApiServices) -> None:
    child = make_zone(services, "a.b.example.org.")
    parent = make_zone(services, "example.org.")
    middle = make_zone(services, "b.example.org.")
    with services.database.read() as session:
        rows = {z.name: z for z in session.scalars(select(Zone))}
    assert rows["a.b.example.org."].parent_zone_id == middle.id
    assert rows["b.example.org."].parent_zone_id == parent.id
    assert rows["example.org."].parent_zone_id is None
    with pytest.raises(ZoneHasSubZoneError):
        services.zones.delete_zone(ctx(), parent.id)
    assert child.id


def test_a_pool_without_ns_records_refuses_new_zones(services: ApiServices) -> None:
    with services.database.write() as session:
        session.execute(delete(PoolNsRecord))
    before = snapshot(services.database)
    with pytest.raises(NoServersConfiguredError):
        make_zone(services)
    assert snapshot(services.database) == before


def test_zone_quota(services: ApiServices) -> None:
    with services.database.write() as session:
        Repositories(session).quotas.set("p1", "zones", 2)
    make_zone(services, "a.example.")
    make_zone(services, "b.example.")
    with pytest.raises(OverQuotaError):
        make_zone(services, "c.example.")
    make_zone(services, "c.example.", project="p2")


def test_min_ttl_applies_to_non_admins(
    services: ApiServices, settings_factory: Callable[..., Settings]
) -> None:
    strict = build_services(settings_factory(ZONEFLEET_ZONES__MIN_TTL="300"), services.database)
    with pytest.raises(InvalidTTLError, match="minimum: 300"):
        strict.zones.create_zone(ctx(), zone_request(ttl=60))
    assert strict.zones.create_zone(admin(), zone_request(ttl=60)).ttl == 60


def test_readers_cannot_write(services: ApiServices) -> None:
    with pytest.raises(ForbiddenError):
        services.zones.create_zone(ctx("p1", "reader"), zone_request())


def test_admin_only_modifiers_are_forbidden_to_members() -> None:
    for flag in ("all_projects", "edit_managed", "hard_delete"):
        with pytest.raises(ForbiddenError):
            ctx("p1", **{flag: True})


def test_other_projects_zones_are_not_found(services: ApiServices) -> None:
    zone = make_zone(services, project="p1")
    with pytest.raises(ZoneNotFound):
        services.zones.get_zone(ctx("p2"), zone.id)
    with pytest.raises(ZoneNotFound):
        services.zones.get_zone(admin("p2"), zone.id)
    assert services.zones.get_zone(admin("p2", all_projects=True), zone.id).id == zone.id


def test_update_bumps_serial_and_rewrites_soa(services: ApiServices) -> None:
    zone = make_zone(services)
    updated = services.zones.update_zone(
        ctx(), zone.id, ZoneUpdate(email="dns@example.org", ttl=600)
    )
    assert updated.serial > zone.serial
    assert (updated.ttl, updated.email, updated.version) == (600, "dns@example.org", 2)
    with services.database.read() as session:
        soa = session.scalars(
            select(Recordset).where(Recordset.zone_id == zone.id, Recordset.type == "SOA")
        ).one()
        assert f"dns.example.org. {updated.serial}" in soa.records[0].data
        journal = session.scalars(
            select(JournalEntry).where(JournalEntry.serial == updated.serial)
        ).all()
    # the TTL change re-journals the inheriting NS and the SOA at the new TTL
    assert {(e.op, e.type, e.ttl) for e in journal} == {
        (0, "SOA", 3600),
        (1, "SOA", 600),
        (0, "NS", 3600),
        (1, "NS", 600),
    }


def test_description_only_update_keeps_serial(services: ApiServices) -> None:
    zone = make_zone(services)
    updated = services.zones.update_zone(ctx(), zone.id, ZoneUpdate(description="hello"))
    assert (updated.serial, updated.description, updated.version) == (zone.serial, "hello", 2)
    stored = services.zones.get_zone(ctx(), zone.id)
    assert (stored.serial, stored.description, stored.version) == (zone.serial, "hello", 2)
    cleared = services.zones.update_zone(ctx(), zone.id, ZoneUpdate(description=None))
    assert cleared.description is None
    assert services.zones.get_zone(ctx(), zone.id).description is None


def test_writes_are_stored_as_returned(services: ApiServices) -> None:
    """Writes change a snapshot of the locked zone and store it by explicit statements:
    what a write returns is what a fresh read finds."""
    zone = make_zone(services)
    columns = ("serial", "status", "action", "version", "updated_at", "email", "ttl",
               "description")  # fmt: skip

    def stored() -> tuple[object, ...]:
        fresh = services.zones.get_zone(ctx(), zone.id)
        return tuple(getattr(fresh, column) for column in columns)

    update = ZoneUpdate(email="dns@example.org", ttl=600, description="d")
    updated = services.zones.update_zone(ctx(), zone.id, update)
    assert stored() == tuple(getattr(updated, column) for column in columns)
    services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.example.org.", "A", "192.0.2.1")
    )
    after_write = services.zones.get_zone(ctx(), zone.id)
    assert (after_write.serial > updated.serial, after_write.version) == (True, 3)
    deleted = services.zones.delete_zone(ctx(), zone.id)
    assert stored() == tuple(getattr(deleted, column) for column in columns)
    assert (deleted.action, deleted.status, deleted.version) == ("DELETE", "PENDING", 4)


def test_update_refuses_bad_values_and_changes_nothing(services: ApiServices) -> None:
    zone = make_zone(services)
    before = snapshot(services.database)
    with pytest.raises(InvalidObjectError):
        services.zones.update_zone(ctx(), zone.id, ZoneUpdate(email="broken", ttl=-5))
    assert snapshot(services.database) == before


def test_delete_marks_pending_and_refuses_further_updates(services: ApiServices) -> None:
    zone = make_zone(services)
    deleted = services.zones.delete_zone(ctx(), zone.id)
    assert (deleted.action, deleted.status) == ("DELETE", "PENDING")
    again = services.zones.delete_zone(ctx(), zone.id)
    assert again.version == deleted.version
    with pytest.raises(BadRequestError, match="deleting zone"):
        services.zones.update_zone(ctx(), zone.id, ZoneUpdate(ttl=60))
    assert ZoneUpdate().ttl is UNSET


def test_list_pages_filters_and_counts(services: ApiServices) -> None:
    for index in range(5):
        make_zone(services, f"z{index}.example.")
    make_zone(services, "other.example.", project="p2")
    first = services.zones.list_zones(ctx(), ZoneFilter(), PageRequest(limit=2))
    assert first.total_count == 5 and first.has_more
    second = services.zones.list_zones(
        ctx(), ZoneFilter(), PageRequest(limit=2, marker=first.items[-1].id)
    )
    third = services.zones.list_zones(
        ctx(), ZoneFilter(), PageRequest(limit=2, marker=second.items[-1].id)
    )
    names = [z.name for z in [*first.items, *second.items, *third.items]]
    assert names == [f"z{i}.example." for i in range(5)]
    assert not third.has_more
    by_name = services.zones.list_zones(
        ctx(), ZoneFilter(name="Z*.example."), PageRequest(sort_key="name", sort_dir="desc")
    )
    assert by_name.items[0].name == "z4.example."
    everyone = services.zones.list_zones(admin(all_projects=True), ZoneFilter(), PageRequest())
    assert everyone.total_count == 6
    with pytest.raises(MarkerNotFound):
        services.zones.list_zones(
            ctx(), ZoneFilter(), PageRequest(marker="00000000-0000-0000-0000-000000000000")
        )


def test_like_wildcards_only_from_star(services: ApiServices) -> None:
    make_zone(services, "a_b.example.")
    make_zone(services, "axb.example.")
    exact = services.zones.list_zones(ctx(), ZoneFilter(name="a_b.example."), PageRequest())
    assert [z.name for z in exact.items] == ["a_b.example."]
    star = services.zones.list_zones(ctx(), ZoneFilter(name="a_*"), PageRequest())
    assert [z.name for z in star.items] == ["a_b.example."]


def test_nameservers_come_from_the_pool(services: ApiServices) -> None:
    zone = make_zone(services)
    found = services.zones.list_nameservers(ctx(), zone.id)
    assert [(ns.hostname, ns.priority) for ns in found] == [("ns1.zonefleet.test.", 1)]


def test_a_name_being_deleted_can_be_created_again_above_the_old_serial(
    services: ApiServices,
) -> None:
    old = make_zone(services, "again.example.")
    services.zones.delete_zone(ctx(), old.id)
    new = services.zones.create_zone(ctx(), zone_request("again.example."))
    assert new.id != old.id
    assert new.serial > old.serial
    with pytest.raises(ZoneNotFound):
        services.zones.get_zone(ctx(), old.id)
    with services.database.read() as session:
        released = session.get(Zone, old.id)
        assert released is not None
        assert (released.deleted, released.action) == (old.id, "DELETE")
    with pytest.raises(DuplicateZoneError):
        services.zones.create_zone(ctx(), zone_request("again.example."))
