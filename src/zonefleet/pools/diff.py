"""The difference between the pools loaded in the database and a pools.yaml, for people.

Pools are matched by name; inside a pool, ns_records by hostname, servers by
address, and targets by their whole content (a changed target is a new one).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from zonefleet.pools.schema import PoolDefinition, Target

SCALARS = ("description", "threshold_percentage", "catalog_zone")
SECRET_SHOWN = "(hidden)"


class Kind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    KEPT = "kept"  # loaded but not in the file, and not deleted (no --delete)


@dataclass(frozen=True)
class ItemChange:
    section: str
    kind: Kind
    text: str


@dataclass(frozen=True)
class PoolDiff:
    name: str
    kind: Kind
    changes: tuple[ItemChange, ...] = ()

    def touches(self, *sections: str) -> bool:
        return any(change.section in sections for change in self.changes)


@dataclass(frozen=True)
class PoolsDiff:
    pools: tuple[PoolDiff, ...]

    @property
    def has_changes(self) -> bool:
        """Whether applying the file writes anything (a KEPT pool is left as it is)."""
        return any(pool.kind != Kind.KEPT for pool in self.pools)


def diff_pools(
    loaded: Sequence[PoolDefinition], wanted: Sequence[PoolDefinition], *, delete: bool
) -> PoolsDiff:
    """What loading `wanted` over `loaded` changes; pools missing from the file go if `delete`."""
    old = {pool.name: pool for pool in loaded}
    new = {pool.name: pool for pool in wanted}
    pools = []
    for name, pool in new.items():
        if name not in old:
            pools.append(PoolDiff(name, Kind.ADDED, pool_changes(None, pool)))
        elif changes := pool_changes(old[name], pool):
            pools.append(PoolDiff(name, Kind.CHANGED, changes))
    for name, pool in old.items():
        if name not in new:
            kind = Kind.REMOVED if delete else Kind.KEPT
            pools.append(PoolDiff(name, kind, pool_changes(pool, None) if delete else ()))
    return PoolsDiff(tuple(pools))


def pool_changes(old: PoolDefinition | None, new: PoolDefinition | None) -> tuple[ItemChange, ...]:
    changes = [
        *_keyed("ns_records", _ns_records(old), _ns_records(new)),
        *_keyed("nameservers", _nameservers(old), _nameservers(new)),
        *_targets(old.targets if old else [], new.targets if new else []),
        *_keyed("also_notifies", _also_notifies(old), _also_notifies(new)),
        *_keyed("attributes", _attributes(old), _attributes(new)),
    ]
    for section in SCALARS:
        before, after = getattr(old, section, None), getattr(new, section, None)
        if old is not None and new is not None and before != after:
            text = f"{_text(before)} → {_text(after)}"
            changes.append(ItemChange(section, Kind.CHANGED, text))
    return tuple(changes)


def _text(value: object) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    return json.dumps(value, sort_keys=True)


def _keyed(section: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[ItemChange]:
    def item(key: str, value: str) -> str:
        return f"{key} ({value})" if value else key

    changes = [
        ItemChange(section, Kind.REMOVED, item(k, v)) for k, v in old.items() if k not in new
    ]
    changes += [ItemChange(section, Kind.ADDED, item(k, v)) for k, v in new.items() if k not in old]
    changes += [
        ItemChange(section, Kind.CHANGED, f"{key}: {old[key]} → {value}")
        for key, value in new.items()
        if key in old and old[key] != value
    ]
    return changes


def _ns_records(pool: PoolDefinition | None) -> dict[str, str]:
    records = pool.ns_records if pool else []
    return {record.hostname: f"priority {record.priority}" for record in records}


def _nameservers(pool: PoolDefinition | None) -> dict[str, str]:
    return {
        f"{ns.host}:{ns.port}": f"tsigkey {ns.tsigkey_name}" if ns.tsigkey_name else "no tsigkey"
        for ns in (pool.nameservers if pool else [])
    }


def _also_notifies(pool: PoolDefinition | None) -> dict[str, str]:
    return {f"{server.host}:{server.port}": "" for server in (pool.also_notifies if pool else [])}


def _attributes(pool: PoolDefinition | None) -> dict[str, str]:
    return {key: _text(value) for key, value in (pool.attributes if pool else {}).items()}


def _targets(old: Sequence[Target], new: Sequence[Target]) -> list[ItemChange]:
    """Identical targets are unchanged; leftovers of one type and description are "changed"."""
    removed, added = list(old), []
    for target in new:
        if target in removed:
            removed.remove(target)
        else:
            added.append(target)
    changes = []
    for target in added:
        twin = next((t for t in removed if _label(t) == _label(target)), None)
        if twin is None:
            changes.append(ItemChange("targets", Kind.ADDED, _label(target, full=True)))
            continue
        removed.remove(twin)
        text = f"{_label(target)}: {_target_detail(twin, target)}"
        changes.append(ItemChange("targets", Kind.CHANGED, text))
    changes += [ItemChange("targets", Kind.REMOVED, _label(t, full=True)) for t in removed]
    return changes


def _label(target: Target, *, full: bool = False) -> str:
    label = f"{target.type} {_text(target.description)}"
    if not full:
        return label
    shown = {key: SECRET_SHOWN if _secret(key) else value for key, value in target.options.items()}
    return f"{label} options {_text(shown)}"


def _secret(option: str) -> bool:
    """Options a diff never prints (a PowerDNS api_token, say): a diff ends up in logs."""
    return option.endswith(("token", "secret", "password"))


def _target_detail(old: Target, new: Target) -> str:
    parts = []
    if old.masters != new.masters:
        masters = [[f"{m.host}:{m.port}" for m in t.masters] for t in (old, new)]
        parts.append(f"masters {_text(masters[0])} → {_text(masters[1])}")
    for key in sorted(old.options.keys() | new.options.keys()):
        before, after = old.options.get(key), new.options.get(key)
        if before != after and _secret(key):
            parts.append(f"options.{key} changed")
        elif before != after:
            parts.append(f"options.{key} {_text(before)} → {_text(after)}")
    if old.tsigkey_name != new.tsigkey_name:
        parts.append(f"tsigkey_name {_text(old.tsigkey_name)} → {_text(new.tsigkey_name)}")
    return "; ".join(parts)
