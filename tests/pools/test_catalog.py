"""Catalog zones (RFC 9432) on every engine: one per pool that asks for it, its entries
following the pool's zones in their own transactions, and closed to tenants' writes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.pools.conftest import pool, pools, target
from tests.service.factories import admin, ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.errors import BadRequestError, InvalidPoolsError, NotFound
from zonefleet.pools.schema import key_path
from zonefleet.service.catalog import CATALOG_PROJECT_ID, member_name
from zonefleet.service.pools import PoolService
from zonefleet.service.zones import ZoneUpdate
from zonefleet.storage.database import Database
from zonefleet.storage.models import LIVE, Action, JournalOp, Recordset, Zone, ZoneType
from zonefleet.storage.repositories import Repositories

CATALOG = "catalog.zonefleet.test."


def with_catalog(name: str = CATALOG, refresh: int = 60) -> dict[str, Any]:
    return pool(
        targets=[target(options={"host": "192.0.2.10", "consumes_catalog": True})],
        catalog_zone={"catalog_zone_fqdn": name, "catalog_zone_refresh": refresh},
    )


def catalogs(database: Database) -> list[Zone]:
    """Live catalog zones not being deleted."""
    statement = select(Zone).where(
        Zone.type == ZoneType.CATALOG, Zone.deleted == LIVE, Zone.action != Action.DELETE
    )
    with database.read() as session:
        return list(session.scalars(statement))


def entries(database: Database, catalog: Zone) -> dict[str, list[str]]:
    """The catalog's records by owner (relative to the catalog) and type."""
    with database.read() as session:
        recordsets = session.scalars(select(Recordset).where(Recordset.zone_id == catalog.id))
        return {
            f"{rs.name.removesuffix(catalog.name)} {rs.type}": sorted(r.data for r in rs.records)
            for rs in recordsets
        }


def test_a_pool_with_a_catalog_zone_lists_its_zones_in_it(
    database: Database, services: ApiServices
) -> None:
    first = make_zone(services, "first.example.")
    PoolService(database).update_pools(pools(with_catalog()))
    (catalog,) = catalogs(database)
    assert (catalog.name, catalog.project_id) == (CATALOG, CATALOG_PROJECT_ID)
    found = entries(database, catalog)
    assert found.pop(" NS") == ["invalid."]
    assert found.pop("version. TXT") == ['"2"']
    (soa,) = found.pop(" SOA")
    assert soa.split()[:3] == ["invalid.", "hostmaster.invalid.", str(catalog.serial)]
    assert found == {member_name(catalog, first).removesuffix(CATALOG) + " PTR": [first.name]}

    second = make_zone(services, "second.example.")
    (after_create,) = catalogs(database)
    assert after_create.serial > catalog.serial
    assert entries(database, catalog)[
        member_name(catalog, second).removesuffix(CATALOG) + " PTR"
    ] == [second.name]
    with database.read() as session:
        journal = Repositories(session).journal.for_zone(catalog.id)
    assert [(e.op, e.type, e.data) for e in journal if e.serial == after_create.serial][-1] == (
        JournalOp.ADD, "PTR", second.name,
    )  # fmt: skip

    services.zones.delete_zone(ctx(), first.id)
    (after_delete,) = catalogs(database)
    assert after_delete.serial > after_create.serial
    assert not any(key.endswith("PTR") and first.name in key for key in entries(database, catalog))
    assert sum(key.endswith(" PTR") for key in entries(database, catalog)) == 1


def test_tenants_cannot_see_or_write_a_catalog_zone_and_admins_cannot_write_it(
    database: Database, services: ApiServices
) -> None:
    PoolService(database).update_pools(pools(with_catalog()))
    (catalog,) = catalogs(database)
    with pytest.raises(NotFound):
        services.zones.get_zone(ctx(), catalog.id)
    operator = admin(all_projects=True)
    assert services.zones.get_zone(operator, catalog.id).type == ZoneType.CATALOG
    refused = (
        lambda: services.zones.update_zone(operator, catalog.id, ZoneUpdate(ttl=300)),
        lambda: services.zones.delete_zone(operator, catalog.id),
        lambda: services.recordsets.create_recordset(
            operator, catalog.id, rs_request(f"x.{CATALOG}", "TXT", '"no"')
        ),
    )
    for attempt in refused:
        with pytest.raises(BadRequestError, match="catalog zone is kept by its pool"):
            attempt()
    (still,) = catalogs(database)
    assert still.serial == catalog.serial


def test_renaming_or_dropping_the_catalog_replaces_or_removes_its_zone(
    database: Database, services: ApiServices
) -> None:
    service = PoolService(database)
    make_zone(services, "member.example.")
    service.update_pools(pools(with_catalog()))
    (old,) = catalogs(database)
    service.update_pools(pools(with_catalog("cat2.zonefleet.test.", refresh=120)))
    (new,) = catalogs(database)
    assert (new.name, new.refresh) == ("cat2.zonefleet.test.", 120)
    assert sum(key.endswith(" PTR") for key in entries(database, new)) == 1
    with database.read() as session:
        gone = session.get(Zone, old.id)
        assert gone is not None and gone.action == Action.DELETE
    service.update_pools(pools(pool(targets=[target()])))
    assert catalogs(database) == []


def test_a_catalog_is_consumed_only_where_one_is_published_and_never_over_a_zone(
    database: Database, services: ApiServices
) -> None:
    consumer = target(options={"host": "192.0.2.10", "consumes_catalog": True})
    with pytest.raises(InvalidPoolsError) as refused:
        PoolService(database).update_pools(pools(pool(targets=[consumer])))
    assert [key_path(r.path) for r in refused.value.reasons] == [
        "pools[0].targets[0].options.consumes_catalog"
    ]
    make_zone(services, "catalog.example.")
    with pytest.raises(InvalidPoolsError) as taken:
        PoolService(database).update_pools(pools(with_catalog("catalog.example.")))
    [reason] = taken.value.reasons
    assert key_path(reason.path) == "pools[0].catalog_zone.catalog_zone_fqdn"
    assert "already a zone" in reason.message
    assert catalogs(database) == []
