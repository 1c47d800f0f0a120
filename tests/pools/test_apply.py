"""`pool update` on every engine: pools upserted by name, and their zones following along."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.pools.conftest import pool, pools, target
from tests.service.factories import make_zone, snapshot
from zonefleet.api.deps import ApiServices
from zonefleet.errors import InvalidPoolsError, PoolInUseError
from zonefleet.pools.diff import Kind
from zonefleet.pools.load import dump_pools, parse_pools
from zonefleet.pools.schema import key_path
from zonefleet.service.pools import PoolService
from zonefleet.service.tsigkeys import TsigKeyService
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    JournalOp,
    Pool,
    PoolTarget,
    Zone,
    ZoneEvent,
    ZoneTarget,
)
from zonefleet.storage.repositories import Repositories


def targets(database: Database) -> dict[str, PoolTarget]:
    """Every target row of the default pool, by options.host, retired ones included."""
    with database.read() as session:
        rows = session.scalars(select(PoolTarget).where(PoolTarget.pool_id == DEFAULT_POOL_ID))
        return {f"{row.options['host']}:{row.options['rndc_port']}": row for row in rows}


def apex(database: Database, zone: Zone, rdtype: str) -> list[str]:
    with database.read() as session:
        recordset = Repositories(session).recordsets.find(zone.id, zone.name, rdtype)
        assert recordset is not None
        return sorted(record.data for record in recordset.records)


def reload(database: Database, zone: Zone) -> Zone:
    with database.read() as session:
        found = Repositories(session).zones.get(zone.id)
        assert found is not None
        return found


def test_loaded_pools_read_back_as_the_file_says(database: Database) -> None:
    service = PoolService(database)
    wanted = pools(
        pool(
            "default", "ns1.example.net.", description="BIND pool",
            nameservers=[{"host": "192.0.2.2"}], targets=[target(), target("192.0.2.11")],
            also_notifies=[{"host": "192.0.2.4"}], attributes={"tier": "gold"},
            threshold_percentage=50,
        ),
        pool("edge", "ns1.edge.net.", catalog_zone={"catalog_zone_fqdn": "cat.edge.net."}),
    )  # fmt: skip
    diff = service.update_pools(wanted)
    assert [(p.name, p.kind) for p in diff.pools] == [
        ("default", Kind.CHANGED),
        ("edge", Kind.ADDED),
    ]
    shown = service.list_pools()
    assert [p.name for p in shown] == ["default", "edge"]
    assert shown[0].id == DEFAULT_POOL_ID
    assert parse_pools(dump_pools(shown)) == [
        wanted[0],
        wanted[1].model_copy(update={"id": shown[1].id}),
    ]
    again = service.update_pools(parse_pools(dump_pools(shown)))
    assert again.pools == ()


def test_zone_ns_records_follow_the_pool(database: Database, services: ApiServices) -> None:
    zone = make_zone(services, "example.org.")
    assert apex(database, zone, "NS") == ["ns1.zonefleet.test."]
    wanted = pool(
        description="Default pool",
        ns_records=[
            {"hostname": "ns2.example.net.", "priority": 20},
            {"hostname": "ns1.example.net.", "priority": 10},
        ],
    )
    diff = PoolService(database).update_pools(pools(wanted))
    assert diff.pools[0].touches("ns_records")
    after = reload(database, zone)
    assert apex(database, zone, "NS") == ["ns1.example.net.", "ns2.example.net."]
    (soa,) = apex(database, zone, "SOA")
    assert soa.split()[:3] == ["ns1.example.net.", "hostmaster.example.org.", str(after.serial)]
    assert after.serial > zone.serial
    assert (after.status, after.action, after.version) == ("PENDING", "UPDATE", zone.version + 1)
    with database.read() as session:
        journal = Repositories(session).journal.for_zone(zone.id)
        events = session.scalars(
            select(ZoneEvent).where(ZoneEvent.zone_id == zone.id, ZoneEvent.role == "pools")
        ).all()
    changed = {(e.op, e.type, e.data.split()[0]) for e in journal if e.serial == after.serial}
    assert changed == {
        (JournalOp.DELETE, "NS", "ns1.zonefleet.test."),
        (JournalOp.ADD, "NS", "ns1.example.net."),
        (JournalOp.ADD, "NS", "ns2.example.net."),
        (JournalOp.DELETE, "SOA", "ns1.zonefleet.test."),
        (JournalOp.ADD, "SOA", "ns1.example.net."),
    }
    assert [(e.event, e.detail, e.serial) for e in events] == [
        ("pool updated", "ns_records changed", after.serial)
    ]


def test_a_priority_change_that_keeps_ns_and_mname_leaves_zones_alone(
    database: Database, services: ApiServices
) -> None:
    service = PoolService(database)
    service.update_pools(pools(pool("default", "ns1.example.net.", "ns2.example.net.")))
    zone = reload(database, make_zone(services, "example.org."))
    wanted = pool(
        ns_records=[
            {"hostname": "ns1.example.net.", "priority": 1},
            {"hostname": "ns2.example.net.", "priority": 9},
        ]
    )
    assert service.update_pools(pools(wanted)).pools[0].touches("ns_records")
    after = reload(database, zone)
    assert (after.serial, after.version, after.action) == (zone.serial, zone.version, "CREATE")


def test_targets_keep_their_ids_until_they_change(
    database: Database, services: ApiServices
) -> None:
    service = PoolService(database)
    first, second, third = target("192.0.2.10"), target("192.0.2.11"), target("192.0.2.12")
    service.update_pools(pools(pool(targets=[first, second, third])))
    before = targets(database)
    zone = make_zone(services, "example.org.")
    with database.write() as session:
        for key in ("192.0.2.10:953", "192.0.2.11:953"):
            session.add(ZoneTarget(zone_id=zone.id, target_id=before[key].id, present=True))
    changed = target("192.0.2.11", rndc_port=954)
    service.update_pools(pools(pool(targets=[changed, first])))
    after = targets(database)
    assert after["192.0.2.10:953"].id == before["192.0.2.10:953"].id
    assert not after["192.0.2.10:953"].retired
    # Changed: the old row stays, retired, while a zone is still on it; a new row replaces it.
    assert after["192.0.2.11:953"].id == before["192.0.2.11:953"].id
    assert after["192.0.2.11:953"].retired
    assert not after["192.0.2.11:954"].retired
    assert after["192.0.2.11:954"].id not in {row.id for row in before.values()}
    # Removed with no zone on it: deleted at once.
    assert "192.0.2.12:953" not in after
    with database.read() as session:
        kept = session.scalars(select(ZoneTarget.target_id).where(ZoneTarget.zone_id == zone.id))
        assert set(kept) == {before["192.0.2.10:953"].id, before["192.0.2.11:953"].id}
    assert [t.options["rndc_port"] for t in service.list_pools()[0].targets] == [953, 954]


def test_zones_go_pending_when_targets_or_nameservers_change(
    database: Database, services: ApiServices
) -> None:
    service = PoolService(database)
    active = make_zone(services, "active.example.")
    deleting = make_zone(services, "deleting.example.")
    with database.write() as session:
        session.get_one(Zone, active.id).status = "ACTIVE"
        session.get_one(Zone, active.id).action = "NONE"
        session.get_one(Zone, deleting.id).action = "DELETE"
    service.update_pools(pools(pool(targets=[target()])))
    after = reload(database, active)
    assert (after.status, after.action) == ("PENDING", "UPDATE")
    assert after.serial == active.serial  # nothing a nameserver serves has changed
    assert after.version == active.version + 1
    assert reload(database, deleting).action == "DELETE"
    with database.write() as session:
        session.get_one(Zone, active.id).status = "ACTIVE"
    service.update_pools(pools(pool(targets=[target()], nameservers=[{"host": "192.0.2.2"}])))
    assert reload(database, active).status == "PENDING"


def test_a_dry_run_changes_nothing(database: Database, services: ApiServices) -> None:
    service = PoolService(database)
    make_zone(services, "example.org.")
    rows_before, pools_before = snapshot(database), service.list_pools()
    wanted = pools(pool("default", "ns9.example.net.", targets=[target()]), pool("edge"))
    diff = service.update_pools(wanted, dry_run=True)
    assert [(p.name, p.kind) for p in diff.pools] == [
        ("default", Kind.CHANGED),
        ("edge", Kind.ADDED),
    ]
    assert (snapshot(database), service.list_pools()) == (rows_before, pools_before)


def test_pools_missing_from_the_file_go_only_with_delete(database: Database) -> None:
    service = PoolService(database)
    service.update_pools(pools(pool(), pool("edge", "ns1.edge.net.", targets=[target()])))
    kept = service.update_pools(pools(pool()))
    assert [(p.name, p.kind) for p in kept.pools] == [("edge", Kind.KEPT)]
    assert [p.name for p in service.list_pools()] == ["default", "edge"]
    service.update_pools(pools(pool()), delete=True)
    assert [p.name for p in service.list_pools()] == ["default"]
    with database.read() as session:
        assert session.scalars(select(PoolTarget)).all() == []


def test_a_pool_with_zones_or_the_default_pool_is_never_deleted(
    database: Database, services: ApiServices
) -> None:
    service = PoolService(database)
    service.update_pools(pools(pool(), pool("edge", "ns1.edge.net.")))
    edge_id = service.list_pools()[1].id
    zone = make_zone(services, "example.org.")
    with database.write() as session:
        session.get_one(Zone, zone.id).pool_id = edge_id
    with pytest.raises(PoolInUseError, match=r"pool 'edge' still holds 1 zone"):
        service.update_pools(pools(pool()), delete=True)
    with pytest.raises(PoolInUseError, match="pool 'default' cannot be deleted"):
        service.update_pools(pools(pool("edge", "ns1.edge.net.")), delete=True)
    assert [p.name for p in service.list_pools()] == ["default", "edge"]


def test_tsig_keys_must_exist_and_are_named_by_their_key(database: Database) -> None:
    wanted = pools(
        pool(
            nameservers=[{"host": "192.0.2.2", "tsigkey_name": "poll-key"}],
            targets=[target(), target("192.0.2.11", tsigkey_name="notify-key")],
            catalog_zone={
                "catalog_zone_fqdn": "cat.example.net.",
                "catalog_zone_tsig_key": "poll-key",
                "catalog_zone_tsig_algorithm": "hmac-sha512",
            },
        )
    )
    service = PoolService(database)
    with pytest.raises(InvalidPoolsError) as caught:
        service.update_pools(wanted)
    assert {key_path(r.path): r.message for r in caught.value.reasons} == {
        "pools[0].nameservers[0].tsigkey_name": "no TSIG key named 'poll-key.' "
        "(see `zonefleet tsigkey create`)",
        "pools[0].targets[1].tsigkey_name": "no TSIG key named 'notify-key.' "
        "(see `zonefleet tsigkey create`)",
        "pools[0].catalog_zone.catalog_zone_tsig_key": "no TSIG key named 'poll-key.' "
        "(see `zonefleet tsigkey create`)",
    }
    keys = TsigKeyService(database)
    keys.create_tsigkey("poll-key", "hmac-sha256")
    keys.create_tsigkey("notify-key", "hmac-sha256")
    with pytest.raises(InvalidPoolsError) as caught:
        service.update_pools(wanted)
    assert [(key_path(r.path), r.message) for r in caught.value.reasons] == [
        (
            "pools[0].catalog_zone.catalog_zone_tsig_algorithm",
            "the key's algorithm is hmac-sha256",
        )
    ]
    service.update_pools(pools(pool(targets=[target(tsigkey_name="notify-key")])))
    assert service.list_pools()[0].targets[0].tsigkey_name == "notify-key."


def test_a_pool_keeps_its_id_and_an_id_its_pool(database: Database) -> None:
    service = PoolService(database)
    service.update_pools(pools(pool(), pool("edge", "ns1.edge.net.")))
    edge_id = service.list_pools()[1].id
    other = "5f6a3b0e-1b7c-4b8e-9a57-2f3f7a8e9d10"
    with pytest.raises(InvalidPoolsError) as caught:
        service.update_pools(
            pools(pool("edge", "ns1.edge.net.", id=other), pool("core", id=edge_id))
        )
    assert {key_path(r.path): r.message for r in caught.value.reasons} == {
        "pools[0].id": f"pool 'edge' is loaded with id {edge_id}; an id cannot change",
        "pools[1].id": f"{edge_id} is the id of pool 'edge'",
    }
    with database.read() as session:
        assert session.get_one(Pool, edge_id).name == "edge"


def test_a_pool_snapshot_holds_what_the_pool_holds(database: Database) -> None:
    """The worker reads pools as Core snapshots: the same children, in the same order."""
    nameservers = [{"host": "192.0.2.3", "port": 53}, {"host": "192.0.2.2", "port": 5300}]
    also = [{"host": "192.0.2.9", "port": 53}]
    wanted = pool(
        targets=[target("192.0.2.11"), target("192.0.2.10")],
        nameservers=nameservers, also_notifies=also, threshold_percentage=50,
    )  # fmt: skip
    PoolService(database).update_pools(pools(wanted))
    with database.read() as session:
        repos = Repositories(session)
        snapshot = repos.pools.snapshot(DEFAULT_POOL_ID)
        loaded = repos.pools.get(DEFAULT_POOL_ID)
        assert snapshot is not None and loaded is not None
        assert snapshot not in session
        assert snapshot.threshold_percentage == loaded.threshold_percentage == 50

        def children(found: Pool) -> tuple[list[object], ...]:
            return (
                [(t.id, t.type, t.options, t.masters, t.retired) for t in found.targets],
                [n.address for n in found.nameservers],
                [(a.host, a.port) for a in found.also_notifies],
            )

        assert children(snapshot) == children(loaded)
        assert len(snapshot.targets) == 2 and len(snapshot.also_notifies) == 1
        assert repos.pools.snapshot("no-such-pool") is None
        assert repos.pools.ns_hostnames(DEFAULT_POOL_ID) == ["ns1.zonefleet.test."]
        assert repos.pools.ns_hostnames("no-such-pool") is None
