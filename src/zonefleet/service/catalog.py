"""Catalog zones (RFC 9432): a pool with `catalog_zone` publishes one listing its zones.

The catalog is a zone like any other, of type CATALOG, owned by no tenant: mdns
serves it (AXFR, and IXFR from its journal), the worker pushes it, and a
nameserver set up to consume it adds and drops the pool's zones by itself. Its
entries change in the transaction of the zone they list: a created zone gains
its PTR (`<zone id>.zones.<catalog>`), a deleted one loses it.
"""

from __future__ import annotations

from typing import Any

import dns.name

from zonefleet.dns.names import reverse_text
from zonefleet.dns.serial import next_serial
from zonefleet.service.changes import ZoneChange, managed_recordset, rrset_state, soa_fields
from zonefleet.storage.models import Action, Pool, Status, Zone, ZoneType, new_id, utcnow
from zonefleet.storage.repositories import Repositories

# Owns every catalog zone (Designate's managed-resource project).
CATALOG_PROJECT_ID = "00000000-0000-0000-0000-000000000000"
# RFC 9432 §4: the SOA and NS of a catalog point nowhere; `version` says schema 2.
INVALID = "invalid."
VERSION = '"2"'
EXPIRE = 28 * 86400


def member_name(catalog: Zone, member: Zone) -> str:
    return f"{member.id.replace('-', '')}.zones.{catalog.name}"


def add_member(repos: Repositories, member: Zone, now: float) -> str | None:
    """List a new zone in its pool's catalog; the catalog's id, or None without one."""
    catalog = _catalog(repos, member.pool_id)
    if catalog is None:
        return None
    change = ZoneChange(repos, catalog, repos.recordsets.soa(catalog), now)
    entry = managed_recordset(catalog, "PTR", [member.name], name=member_name(catalog, member))
    entry.serial = change.serial
    repos.recordsets.insert([entry])
    change.record(None, rrset_state(catalog, entry))
    change.apply()
    return catalog.id


def remove_member(repos: Repositories, member: Zone, now: float) -> str | None:
    """Drop a zone from its pool's catalog; the catalog's id, or None if it was not listed."""
    catalog = _catalog(repos, member.pool_id)
    if catalog is None:
        return None
    entry = repos.recordsets.find(catalog.id, member_name(catalog, member), "PTR")
    if entry is None:
        return None
    change = ZoneChange(repos, catalog, repos.recordsets.soa(catalog), now)
    change.record(rrset_state(catalog, entry), None)
    change.apply()
    repos.recordsets.delete(entry)
    return catalog.id


def sync(repos: Repositories, pool: Pool, now: float) -> list[str]:
    """Make the pool's catalog zone what its `catalog_zone` setting says: created with an
    entry per zone of the pool, removed, or renamed (the old one removed); the ids of the
    zones changed."""
    setting: dict[str, Any] | None = pool.catalog_zone
    wanted = str(setting["catalog_zone_fqdn"]) if setting else None
    current = [z for z in repos.zones.live_in_pool(pool.id) if z.type == ZoneType.CATALOG]
    touched = []
    for catalog in current:
        if catalog.name != wanted:
            catalog.action, catalog.status = Action.DELETE, Status.PENDING
            catalog.version += 1
            catalog.updated_at = utcnow()
            touched.append(catalog.id)
    if setting is None or wanted is None:
        return touched
    kept = next((catalog for catalog in current if catalog.name == wanted), None)
    if kept is None:
        touched.append(_create(repos, pool, wanted, int(setting["catalog_zone_refresh"]), now))
    elif kept.refresh != setting["catalog_zone_refresh"]:
        change = ZoneChange(repos, kept, repos.recordsets.soa(kept), now)
        kept.refresh = kept.retry = int(setting["catalog_zone_refresh"])
        repos.zones.save(kept, ("refresh", "retry"))
        change.apply(mname=INVALID)
        touched.append(kept.id)
    return touched


def _catalog(repos: Repositories, pool_id: str) -> Zone | None:
    name = repos.pools.catalog_name(pool_id)
    return None if name is None else repos.zones.catalog(pool_id, name)


def _create(repos: Repositories, pool: Pool, name: str, refresh: int, now: float) -> str:
    members = [z for z in repos.zones.live_in_pool(pool.id) if z.type != ZoneType.CATALOG]
    catalog = Zone(
        id=new_id(), parent_zone_id=None, project_id=CATALOG_PROJECT_ID, pool_id=pool.id,
        name=name, reverse_name=reverse_text(dns.name.from_text(name)),
        email=f"hostmaster@{INVALID.rstrip('.')}", ttl=refresh, serial=next_serial(0, now),
        refresh=refresh, retry=refresh, expire=EXPIRE, minimum=0, type=ZoneType.CATALOG,
        status=Status.PENDING, action=Action.CREATE, description=f"Catalog of pool {pool.name}",
        attributes={}, masters=[],
    )  # fmt: skip
    repos.zones.insert(catalog)
    soa = managed_recordset(catalog, "SOA", [soa_fields(catalog, INVALID, catalog.serial).text()])
    recordsets = [
        soa,
        managed_recordset(catalog, "NS", [INVALID]),
        managed_recordset(catalog, "TXT", [VERSION], name=f"version.{name}"),
        *(
            managed_recordset(catalog, "PTR", [member.name], name=member_name(catalog, member))
            for member in members
        ),
    ]
    repos.recordsets.insert(recordsets)
    ZoneChange(repos, catalog, soa, now).journal_created(recordsets)
    return catalog.id
