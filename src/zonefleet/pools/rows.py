"""Pool rows and pool definitions: reading what is loaded, writing a definition over it.

Targets keep their row (and so every zone's state on them) while unchanged;
a removed or changed target's row is retired, for the reconciler to empty.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from zonefleet.pools.schema import (
    AlsoNotify,
    CatalogZone,
    Master,
    Nameserver,
    NsRecord,
    PoolDefinition,
    Target,
)
from zonefleet.storage.models import (
    Pool,
    PoolAlsoNotify,
    PoolNameserver,
    PoolNsRecord,
    PoolTarget,
    new_id,
)

R = TypeVar("R", PoolNsRecord, PoolNameserver, PoolAlsoNotify)


def definition_of(pool: Pool) -> PoolDefinition:
    """The loaded pool as pools.yaml says it (retired targets left out); trusted, not re-checked."""
    catalog = pool.catalog_zone
    return PoolDefinition.model_construct(
        name=pool.name,
        id=pool.id,
        description=pool.description,
        attributes=dict(pool.attributes or {}),
        ns_records=[
            NsRecord.model_construct(hostname=row.hostname, priority=row.priority)
            for row in pool.ns_records
        ],
        nameservers=[
            Nameserver.model_construct(host=row.host, port=row.port, tsigkey_name=row.tsigkey_name)
            for row in pool.nameservers
        ],
        targets=[target_of(row) for row in pool.targets if not row.retired],
        also_notifies=[
            AlsoNotify.model_construct(host=row.host, port=row.port) for row in pool.also_notifies
        ],
        catalog_zone=CatalogZone.model_construct(**catalog) if catalog else None,
        threshold_percentage=pool.threshold_percentage,
    )


def target_of(row: PoolTarget) -> Target:
    return Target.model_construct(
        type=row.type,
        description=row.description,
        masters=[Master.model_construct(**master) for master in row.masters],
        options=dict(row.options),
        tsigkey_name=row.tsigkey_name,
    )


def new_pool(definition: PoolDefinition) -> Pool:
    return Pool(
        id=definition.id or new_id(),
        name=definition.name,
        ns_records=[],
        nameservers=[],
        targets=[],
        also_notifies=[],
    )


def write_pool(pool: Pool, definition: PoolDefinition) -> list[PoolTarget]:
    """Make the pool's rows say what `definition` says; returns the target rows it retired."""
    pool.description = definition.description
    pool.attributes = dict(definition.attributes)
    pool.threshold_percentage = definition.threshold_percentage
    catalog = definition.catalog_zone
    pool.catalog_zone = catalog.model_dump(mode="json") if catalog else None
    pool.ns_records = _merged(
        pool.ns_records,
        {r.hostname: r.model_dump() for r in definition.ns_records},
        lambda row: row.hostname,
        PoolNsRecord,
    )
    pool.nameservers = _merged(
        pool.nameservers,
        {(ns.host, ns.port): ns.model_dump() for ns in definition.nameservers},
        lambda row: (row.host, row.port),
        PoolNameserver,
    )
    pool.also_notifies = _merged(
        pool.also_notifies,
        {(an.host, an.port): an.model_dump() for an in definition.also_notifies},
        lambda row: (row.host, row.port),
        PoolAlsoNotify,
    )
    return _write_targets(pool, definition.targets)


def _merged(
    rows: list[R],
    wanted: Mapping[Hashable, dict[str, Any]],
    key: Callable[[R], Hashable],
    make: Callable[..., R],
) -> list[R]:
    """Rows matching `wanted` by key are updated in place (so a unique key never clashes
    with its own replacement); the others go, and missing ones are made."""
    kept = [row for row in rows if key(row) in wanted]
    for row in kept:
        for field, value in wanted[key(row)].items():
            setattr(row, field, value)
    have = {key(row) for row in kept}
    return kept + [make(**values) for k, values in wanted.items() if k not in have]


def _write_targets(pool: Pool, targets: list[Target]) -> list[PoolTarget]:
    unmatched = [row for row in pool.targets if not row.retired]
    for target in targets:
        row = next((row for row in unmatched if target_of(row) == target), None)
        if row is not None:
            unmatched.remove(row)
            continue
        pool.targets.append(
            PoolTarget(
                id=new_id(),
                type=target.type,
                description=target.description,
                masters=[master.model_dump() for master in target.masters],
                options=dict(target.options),
                tsigkey_name=target.tsigkey_name,
                retired=False,
            )
        )
    for row in unmatched:
        row.retired = True
    return unmatched
