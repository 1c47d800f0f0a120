"""Pools: loading pools.yaml into the database and carrying each change to the pool's zones.

`PoolService.update_pools` is Designate's `pool update`: one transaction that
upserts pools by name and carries each change to the zones of the pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.exc import IntegrityError

from zonefleet.bus.local import NoHints, ZoneHints
from zonefleet.errors import (
    BadRequestError,
    DuplicateError,
    FieldError,
    InvalidPoolsError,
    PoolInUseError,
    PoolNotFound,
)
from zonefleet.pools.diff import Kind, PoolDiff, PoolsDiff, diff_pools
from zonefleet.pools.rows import definition_of, new_pool, write_pool
from zonefleet.pools.schema import PoolDefinition
from zonefleet.service import catalog
from zonefleet.service.changes import ZoneChange, current_mname, replace_records, rrset_state
from zonefleet.service.context import RequestContext
from zonefleet.service.events import api_write
from zonefleet.service.zones import refuse_if_catalog, refuse_if_deleting, visible_zone
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, PoolFilter
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    Action,
    Pool,
    Status,
    Zone,
    ZoneEvent,
    ZoneType,
    utcnow,
)
from zonefleet.storage.repositories import Repositories, TsigKeyRepository

RECHECK = ("targets", "nameservers", "threshold_percentage")


class PoolService:
    """The pools loaded in the database; raises only Zonefleet errors."""

    def __init__(
        self,
        database: Database,
        hints: ZoneHints | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.hints = hints or NoHints()
        self.clock = clock

    def find_pools(
        self, ctx: RequestContext, criteria: PoolFilter, page: PageRequest
    ) -> Page[Pool]:
        """One page of pools for /v2/pools (admin-only, as in Designate)."""
        ctx.require_admin("find_pools")
        with self.database.read() as session:
            return Repositories(session).pools.list(criteria, page)

    def get_pool(self, ctx: RequestContext, pool_id: str) -> Pool:
        ctx.require_admin("get_pool")
        with self.database.read() as session:
            pool = Repositories(session).pools.get(pool_id)
        if pool is None:
            raise PoolNotFound()
        return pool

    def list_pools(self) -> list[PoolDefinition]:
        with self.database.read() as session:
            return [definition_of(pool) for pool in Repositories(session).pools.all()]

    def update_pools(
        self, wanted: Sequence[PoolDefinition], *, delete: bool = False, dry_run: bool = False
    ) -> PoolsDiff:
        """Load validated pools; returns what changed (with `dry_run`, what would, unwritten).

        A loaded pool missing from `wanted` stays unless `delete`. Raises
        InvalidPoolsError naming the key of every unknown TSIG key or foreign id,
        and PoolInUseError for a pool to delete that still holds zones.
        """
        transaction = self.database.read if dry_run else self.database.write
        touched: list[str] = []
        try:
            with transaction() as session:
                repos = Repositories(session)
                loaded = {pool.name: pool for pool in repos.pools.all(lock=not dry_run)}
                self._check_references(repos, loaded, wanted)
                result = diff_pools(
                    [definition_of(p) for p in loaded.values()], wanted, delete=delete
                )
                self._check_deletable(repos, loaded, result)
                if not dry_run:
                    wanted_by_name = {pool.name: pool for pool in wanted}
                    touched = self._apply(repos, loaded, wanted_by_name, result)
        except IntegrityError:
            raise DuplicateError("another pool update ran at the same time; retry") from None
        for zone_id in touched:
            self.hints.zone_changed(zone_id)
        return result

    @retried
    def move_zone(self, ctx: RequestContext, zone_id: str, pool_id: str | None) -> None:
        """Designate's `pool_move` task (admin): the zone leaves its pool's targets and
        catalog and joins `pool_id`'s (the default pool when none is named), with that
        pool's NS records; the reconciler removes it from the old targets and pushes it to
        the new ones. Raises BadRequestError for the same pool or a deleting zone."""
        ctx.require_admin("pool_move")
        now = self.clock()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            pool = repos.pools.get(pool_id or DEFAULT_POOL_ID)
            if pool is None:
                raise PoolNotFound()
            if pool.id == zone.pool_id:
                raise BadRequestError("Target pool must be different for zone pool move")
            origin = repos.pools.get(zone.pool_id)
            catalogs = [catalog.remove_member(repos, zone, now)]
            zone.pool_id = pool.id
            repos.zones.save(zone, ("pool_id",))
            repos.zones.forget_nameservers(zone.id)
            records = sorted(pool.ns_records, key=lambda r: (r.priority, r.hostname))
            hostnames = [record.hostname for record in records]
            if not self._rewrite_ns(repos, zone, hostnames):
                mark_pending(zone)
                repos.zones.save(zone)
            catalogs.append(catalog.add_member(repos, zone, now))
            moved = f"from pool {origin.name if origin else zone.pool_id} to pool {pool.name}"
            api_write(repos, ctx, zone, "pool moved", moved)
        for changed in (zone.id, *(c for c in catalogs if c is not None)):
            self.hints.zone_changed(changed)

    # -- the rules, each a named check --------------------------------------------------

    @staticmethod
    def _check_references(
        repos: Repositories, loaded: Mapping[str, Pool], wanted: Sequence[PoolDefinition]
    ) -> None:
        """Every TSIG key named exists (with the algorithm said); ids stay with their names;
        a target consumes a catalog only where the pool publishes one."""
        keys = {key.name: key.algorithm for key in TsigKeyRepository(repos.session).all()}
        reasons = []
        for index, pool in enumerate(wanted):
            reasons += _tsig_reasons(("pools", index), pool, keys)
            reasons += _id_reasons(("pools", index), pool, loaded)
            reasons += _catalog_reasons(("pools", index), pool, repos)
        if reasons:
            raise InvalidPoolsError(reasons)

    @staticmethod
    def _check_deletable(repos: Repositories, loaded: Mapping[str, Pool], diff: PoolsDiff) -> None:
        refusals = []
        for change in diff.pools:
            if change.kind != Kind.REMOVED:
                continue
            pool = loaded[change.name]
            if pool.id == DEFAULT_POOL_ID:
                refusals.append("pool 'default' cannot be deleted: new zones are created in it")
            elif count := repos.zones.count_in_pool(pool.id):
                refusals.append(
                    f"pool {pool.name!r} still holds {count} zone(s) (deleted ones count "
                    "until purged); delete them before deleting the pool"
                )
        if refusals:
            raise PoolInUseError("; ".join(refusals))

    # -- writes ---------------------------------------------------------------------------

    def _apply(
        self,
        repos: Repositories,
        loaded: Mapping[str, Pool],
        wanted: Mapping[str, PoolDefinition],
        diff: PoolsDiff,
    ) -> list[str]:
        """Write every added, changed or removed pool; returns the ids of the zones touched."""
        touched: list[str] = []
        for change in diff.pools:
            if change.kind == Kind.REMOVED:
                repos.pools.delete(loaded[change.name])
            elif change.kind in (Kind.ADDED, Kind.CHANGED):
                pool = loaded.get(change.name)
                if pool is None:
                    pool = new_pool(wanted[change.name])
                    repos.pools.add(pool)
                retired = write_pool(pool, wanted[change.name])
                repos.session.flush()
                in_use = repos.pools.targets_in_use([row.id for row in retired])
                for row in retired:
                    if row.id not in in_use:
                        pool.targets.remove(row)
                touched += self._follow(repos, pool, wanted[change.name], change)
                if change.kind == Kind.ADDED or change.touches("catalog_zone"):
                    touched += catalog.sync(repos, pool, self.clock())
        return touched

    def _follow(
        self, repos: Repositories, pool: Pool, definition: PoolDefinition, change: PoolDiff
    ) -> list[str]:
        """Carry a pool change to its zones (new NS and SOA MNAME, or a re-check); their ids."""
        rewrite, recheck = change.touches("ns_records"), change.touches(*RECHECK)
        if change.kind != Kind.CHANGED or not (rewrite or recheck):
            return []
        touched = []
        records = sorted(definition.ns_records, key=lambda r: (r.priority, r.hostname))
        hostnames = [record.hostname for record in records]
        sections = sorted({item.section for item in change.changes})
        for zone in repos.zones.live_in_pool(pool.id):
            # A catalog's SOA and NS stay `invalid.` (RFC 9432).
            listed = zone.type != ZoneType.CATALOG
            rewritten = rewrite and listed and self._rewrite_ns(repos, zone, hostnames)
            if recheck and not rewritten:
                mark_pending(zone)
            if rewritten or recheck:
                touched.append(zone.id)
                repos.events.add(pool_event(zone, pool, sections))
        return touched

    def _rewrite_ns(self, repos: Repositories, zone: Zone, hostnames: list[str]) -> bool:
        """Apex NS = the pool's hostnames, SOA MNAME = the first; False if already so."""
        soa = repos.recordsets.find(zone.id, zone.name, "SOA")
        ns = repos.recordsets.find(zone.id, zone.name, "NS")
        assert soa is not None
        assert ns is not None
        if current_mname(soa) == hostnames[0] and {r.data for r in ns.records} == set(hostnames):
            return False
        change = ZoneChange(repos, zone, soa, self.clock())
        before = rrset_state(zone, ns)
        replace_records(ns, hostnames)
        after = rrset_state(zone, ns)
        change.record(before, after)
        serial = change.apply(mname=hostnames[0])
        if after != before:
            ns.serial, ns.action, ns.status = serial, Action.UPDATE, Status.PENDING
            ns.version += 1
            ns.updated_at = utcnow()
        return True


def _tsig_reasons(
    at: tuple[str | int, ...], pool: PoolDefinition, keys: Mapping[str, str]
) -> list[FieldError]:
    reasons = [
        FieldError((*at, *path), f"no TSIG key named {name!r} (see `zonefleet tsigkey create`)")
        for path, name in pool.tsig_references()
        if name not in keys
    ]
    catalog = pool.catalog_zone
    if catalog and catalog.catalog_zone_tsig_key and catalog.catalog_zone_tsig_algorithm:
        algorithm = keys.get(catalog.catalog_zone_tsig_key, catalog.catalog_zone_tsig_algorithm)
        if catalog.catalog_zone_tsig_algorithm != algorithm:
            path = (*at, "catalog_zone", "catalog_zone_tsig_algorithm")
            reasons.append(FieldError(path, f"the key's algorithm is {algorithm}"))
    return reasons


def _catalog_reasons(
    at: tuple[str | int, ...], pool: PoolDefinition, repos: Repositories
) -> list[FieldError]:
    """A target consumes a catalog only where the pool publishes one, and a catalog never
    takes the name of a zone other than itself."""
    catalog = pool.catalog_zone
    if catalog is None:
        return [
            FieldError((*at, "targets", index, "options", "consumes_catalog"),
                       "the pool publishes no catalog_zone to consume")
            for index, target in enumerate(pool.targets)
            if target.options.get("consumes_catalog")
        ]  # fmt: skip
    taken = [
        zone
        for zone in repos.zones.live_by_names([catalog.catalog_zone_fqdn])
        if zone.type != ZoneType.CATALOG or zone.action == Action.DELETE
    ]
    if not taken:
        return []
    reason = f"{catalog.catalog_zone_fqdn} is already a zone (of project {taken[0].project_id})"
    return [FieldError((*at, "catalog_zone", "catalog_zone_fqdn"), reason)]


def _id_reasons(
    at: tuple[str | int, ...], pool: PoolDefinition, loaded: Mapping[str, Pool]
) -> list[FieldError]:
    if pool.id is None:
        return []
    owner = next((p.name for p in loaded.values() if p.id == pool.id), None)
    if owner not in (None, pool.name):
        return [FieldError((*at, "id"), f"{pool.id} is the id of pool {owner!r}")]
    same_name = loaded.get(pool.name)
    if same_name is not None and same_name.id != pool.id:
        message = f"pool {pool.name!r} is loaded with id {same_name.id}; an id cannot change"
        return [FieldError((*at, "id"), message)]
    return []


def pool_event(zone: Zone, pool: Pool, sections: Sequence[str]) -> ZoneEvent:
    """The zone's timeline says which pool change made it PENDING."""
    return ZoneEvent(
        zone_id=zone.id,
        role="pools",
        subject=f"pool {pool.name}",
        event="pool updated",
        detail=", ".join(sections) + " changed",
        serial=zone.serial,
    )


def mark_pending(zone: Zone) -> None:
    """The reconciler re-checks the zone on every target and nameserver of its pool."""
    zone.status, zone.action = Status.PENDING, Action.UPDATE
    zone.version += 1
    zone.updated_at = utcnow()
