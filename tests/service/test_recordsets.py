"""Recordset rules on every engine (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import select

from tests.service.factories import admin, ctx, make_zone, rs_request, snapshot
from zonefleet.api.deps import ApiServices
from zonefleet.errors import (
    BadRequestError,
    DuplicateRecordError,
    DuplicateRecordsetError,
    ForbiddenError,
    InvalidObjectError,
    InvalidRecordsetLocationError,
    InvalidRecordsetNameError,
    OverQuotaError,
    RecordsetNotFound,
    ZoneNotFound,
)
from zonefleet.service.recordsets import RecordsetUpdate
from zonefleet.storage.filters import PageRequest, RecordsetFilter
from zonefleet.storage.models import JournalEntry, Recordset, Zone
from zonefleet.storage.repositories import Repositories


def journal_at(services: ApiServices, serial: int) -> set[tuple[int, str, str, int, str]]:
    with services.database.read() as session:
        rows = session.scalars(select(JournalEntry).where(JournalEntry.serial == serial)).all()
        return {(e.op, e.name, e.type, e.ttl, e.data) for e in rows if e.type != "SOA"}


def soa_text(services: ApiServices, zone: Zone) -> str:
    with services.database.read() as session:
        soa = session.scalars(
            select(Recordset).where(Recordset.zone_id == zone.id, Recordset.type == "SOA")
        ).one()
        return soa.records[0].data


def test_create_canonicalises_bumps_serial_and_journals(services: ApiServices) -> None:
    zone = make_zone(services)
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("WWW.example.org.", "AAAA", "2001:DB8::1", ttl=300)
    )
    assert (rs.name, rs.records[0].data, rs.status, rs.action) == (
        "www.example.org.",
        "2001:db8::1",
        "PENDING",
        "CREATE",
    )
    fresh = services.zones.get_zone(ctx(), zone.id)
    assert fresh.serial > zone.serial and rs.serial == fresh.serial
    assert f" {fresh.serial} " in soa_text(services, zone)
    assert journal_at(services, fresh.serial) == {
        (1, "www.example.org.", "AAAA", 300, "2001:db8::1")
    }


@pytest.mark.parametrize(
    ("name", "rdtype", "records", "error", "message"),
    [
        ("www.example.org.", "A", ["300.1.1.1"], InvalidObjectError, "schema"),
        ("www.example.org.", "TXT", ['"a\nb"'], InvalidObjectError, "schema"),
        ("www.example.org.", "LOC", ["1 2 3"], InvalidObjectError, "schema"),
        ("www.example.org.", "A", [], InvalidObjectError, "schema"),
        ("www.example.net.", "A", ["192.0.2.1"], InvalidRecordsetLocationError, "parent zone"),
        ("example.org.", "CNAME", ["x.example.net."], InvalidRecordsetLocationError, "apex"),
        ("sip.example.org.", "SRV", ["1 1 5060 x."], InvalidRecordsetNameError, "_service"),
        (
            "_443.tcp.example.org.",
            "TLSA",
            ["3 1 1 " + "aa" * 32],
            InvalidRecordsetNameError,
            "_port",
        ),
        (
            "_99999._tcp.example.org.",
            "TLSA",
            ["3 1 1 " + "aa" * 32],
            InvalidRecordsetNameError,
            "_port",
        ),
        ("*.example.org.", "NS", ["ns.example.net."], InvalidObjectError, "schema"),
        ("x.example.org.", "A", ["192.0.2.1", "192.0.2.1"], DuplicateRecordError, "Duplicate"),
        ("example.org.", "SOA", ["a. b. 1 2 3 4 5"], BadRequestError, "SOA"),
        ("example.org.", "NS", ["ns.example.net."], DuplicateRecordsetError, "Duplicate"),
    ],
)
def test_bad_recordsets_change_nothing(
    services: ApiServices,
    name: str,
    rdtype: str,
    records: list[str],
    error: type,
    message: str,
) -> None:
    zone = make_zone(services)
    before = snapshot(services.database)
    with pytest.raises(error, match=message):
        services.recordsets.create_recordset(ctx(), zone.id, rs_request(name, rdtype, *records))
    assert snapshot(services.database) == before


def test_every_bad_record_is_reported(services: ApiServices) -> None:
    zone = make_zone(services)
    with pytest.raises(InvalidObjectError) as caught:
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("x.example.org.", "A", "1.2.3.4", "bad", "1.2.3.999")
        )
    assert [r.path for r in caught.value.reasons] == [("records", 1), ("records", 2)]
    assert "is not a 'A' Record" in caught.value.reasons[0].message


def test_cname_is_exclusive(services: ApiServices) -> None:
    zone = make_zone(services)
    services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("a.example.org.", "A", "192.0.2.1")
    )
    services.recordsets.create_recordset(ctx(), zone.id, rs_request("c.example.org.", "CNAME", "a"))
    with pytest.raises(InvalidRecordsetLocationError, match="share a name"):
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("a.example.org.", "CNAME", "b.")
        )
    with pytest.raises(InvalidRecordsetLocationError, match="share a name"):
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("c.example.org.", "TXT", "x")
        )


def test_cname_holds_one_record(services: ApiServices) -> None:
    zone = make_zone(services)
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("c.example.org.", "CNAME", "a.")
    )
    with pytest.raises(BadRequestError, match="more than 1"):
        services.recordsets.update_recordset(
            ctx(), zone.id, rs.id, RecordsetUpdate(records=["a.", "b."])
        )


def test_records_in_a_child_zone_are_refused_but_delegation_is_allowed(
    services: ApiServices,
) -> None:
    parent = make_zone(services, "example.org.")
    make_zone(services, "sub.example.org.")
    with pytest.raises(InvalidRecordsetLocationError, match=r"child zone: sub\.example\.org\."):
        services.recordsets.create_recordset(
            ctx(), parent.id, rs_request("www.sub.example.org.", "A", "192.0.2.1")
        )
    delegation = services.recordsets.create_recordset(
        ctx(), parent.id, rs_request("sub.example.org.", "NS", "ns1.example.net.")
    )
    assert delegation.type == "NS"


def test_update_replaces_records_and_keeps_unchanged_ids(services: ApiServices) -> None:
    zone = make_zone(services)
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("w.example.org.", "A", "192.0.2.1", "192.0.2.2")
    )
    kept_id = next(r.id for r in rs.records if r.data == "192.0.2.2")
    updated = services.recordsets.update_recordset(
        ctx(), zone.id, rs.id, RecordsetUpdate(records=["192.0.2.3", "192.0.2.2"])
    )
    assert sorted(r.data for r in updated.records) == ["192.0.2.2", "192.0.2.3"]
    assert kept_id in {r.id for r in updated.records}
    assert updated.version == 2 and updated.serial > rs.serial
    assert journal_at(services, updated.serial) == {
        (0, "w.example.org.", "A", 3600, "192.0.2.1"),
        (1, "w.example.org.", "A", 3600, "192.0.2.3"),
    }


def test_ttl_reset_to_inherit_journals_ttl_change(services: ApiServices) -> None:
    zone = make_zone(services)
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("w.example.org.", "A", "192.0.2.1", ttl=60)
    )
    updated = services.recordsets.update_recordset(ctx(), zone.id, rs.id, RecordsetUpdate(ttl=None))
    assert updated.ttl is None
    assert journal_at(services, updated.serial) == {
        (0, "w.example.org.", "A", 60, "192.0.2.1"),
        (1, "w.example.org.", "A", 3600, "192.0.2.1"),
    }


def test_description_only_update_keeps_serial(services: ApiServices) -> None:
    zone = make_zone(services)
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("w.example.org.", "A", "192.0.2.1")
    )
    updated = services.recordsets.update_recordset(
        ctx(), zone.id, rs.id, RecordsetUpdate(description="web")
    )
    assert (updated.description, updated.serial, updated.version) == ("web", rs.serial, 2)


def test_managed_records_are_protected(services: ApiServices) -> None:
    zone = make_zone(services)
    page = services.recordsets.list_recordsets(ctx(), zone.id, RecordsetFilter(), PageRequest())
    by_type = {rs.type: rs for rs in page.items}
    soa, ns = by_type["SOA"].id, by_type["NS"].id
    editor = admin(edit_managed=True)
    before = snapshot(services.database)
    refusals = [
        (ctx(), soa, "update", "Managed records may not be updated"),
        (editor, soa, "update", "Updating SOA recordsets is not allowed"),
        (ctx(), ns, "update", "Managed records may not be updated"),
        (editor, ns, "update", "Updating a root zone NS record is not allowed"),
        (ctx(), soa, "delete", "Deleting a SOA recordset is not allowed"),
        (ctx(), ns, "delete", "Managed records may not be deleted"),
        (editor, ns, "delete", "Deleting a root zone NS record is not allowed"),
    ]
    for who, recordset_id, verb, message in refusals:
        attempt = (
            partial(
                services.recordsets.update_recordset,
                who,
                zone.id,
                recordset_id,
                RecordsetUpdate(records=["ns.example.net."]),
            )
            if verb == "update"
            else partial(services.recordsets.delete_recordset, who, zone.id, recordset_id)
        )
        with pytest.raises(BadRequestError, match=message):
            attempt()
    assert snapshot(services.database) == before


def test_delete_removes_the_recordset_and_journals_it(services: ApiServices) -> None:
    zone = make_zone(services)
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("w.example.org.", "A", "192.0.2.1")
    )
    deleted = services.recordsets.delete_recordset(ctx(), zone.id, rs.id)
    assert (deleted.action, deleted.status) == ("DELETE", "PENDING")
    with pytest.raises(RecordsetNotFound):
        services.recordsets.get_recordset(ctx(), zone.id, rs.id)
    assert journal_at(services, deleted.serial) == {(0, "w.example.org.", "A", 3600, "192.0.2.1")}


def test_quotas(services: ApiServices) -> None:
    zone = make_zone(services)
    with services.database.write() as session:
        quotas = Repositories(session).quotas
        quotas.set("p1", "recordset_records", 2)
        quotas.set("p1", "zone_recordsets", 3)
        quotas.set("p1", "zone_records", 3)
    with pytest.raises(OverQuotaError, match="recordset_records"):
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("a.example.org.", "A", "192.0.2.1", "192.0.2.2", "192.0.2.3")
        )
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("a.example.org.", "A", "192.0.2.1")
    )
    with pytest.raises(OverQuotaError, match="zone_recordsets"):
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("b.example.org.", "A", "192.0.2.1")
        )
    with pytest.raises(OverQuotaError, match="zone_records"):
        services.recordsets.update_recordset(
            ctx(), zone.id, rs.id, RecordsetUpdate(records=["192.0.2.1", "192.0.2.2"])
        )


def test_isolation_between_projects(services: ApiServices) -> None:
    zone = make_zone(services, project="p1")
    rs = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("a.example.org.", "A", "192.0.2.1")
    )
    with pytest.raises(ZoneNotFound):
        services.recordsets.get_recordset(ctx("p2"), zone.id, rs.id)
    with pytest.raises(ZoneNotFound):
        services.recordsets.find_recordset_zone(ctx("p2"), rs.id)
    with pytest.raises(ZoneNotFound):
        services.recordsets.delete_recordset(ctx("p2"), zone.id, rs.id)
    theirs = services.recordsets.list_recordsets(ctx("p2"), None, RecordsetFilter(), PageRequest())
    assert theirs.total_count == 0
    assert services.recordsets.find_recordset_zone(ctx(), rs.id) == zone.id


def test_readers_cannot_write(services: ApiServices) -> None:
    zone = make_zone(services)
    with pytest.raises(ForbiddenError):
        services.recordsets.create_recordset(
            ctx("p1", "reader"), zone.id, rs_request("a.example.org.", "A", "192.0.2.1")
        )


def test_cross_zone_list_filters(services: ApiServices) -> None:
    one = make_zone(services, "one.example.")
    two = make_zone(services, "two.example.")
    for zone in (one, two):
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request(f"mail.{zone.name}", "MX", f"10 mx.{zone.name}")
        )
    found = services.recordsets.list_recordsets(
        ctx(), None, RecordsetFilter(type="MX", data="10 mx.one*"), PageRequest()
    )
    assert [rs.zone_name for rs in found.items] == ["one.example."]
    by_records = services.recordsets.list_recordsets(
        ctx(), one.id, RecordsetFilter(), PageRequest(sort_key="records")
    )
    assert len(by_records.items) == 3
