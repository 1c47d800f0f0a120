"""What one reconcile round knows about a zone: its desired state and the targets it claimed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dns.name
import dns.tsig

from zonefleet.backends.base import Master, TargetSpec, ZoneRef, backend_class
from zonefleet.pools.tsig import signing_key
from zonefleet.settings import BindAddress
from zonefleet.storage.models import Pool, PoolTarget, TsigKey, Zone, ZoneTarget
from zonefleet.worker.serials import Nameserver, Served

# Options that identify the server a target reaches (a retired target and a live one
# with the same values are the same server: removing the zone from one would remove
# it from the other).
SERVER_IDENTITY = ("host", "port", "rndc_host", "rndc_port", "api_endpoint")


@dataclass(frozen=True)
class Claimed:
    """One (zone, target) this worker holds a lease on, and what to do there."""

    spec: TargetSpec
    remove: bool
    ensure: bool
    skip_backend: bool = False
    first: bool = False  # the target never held any serial of the zone

    @property
    def target_id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class Plan:
    zone: ZoneRef
    pool_id: str
    deleting: bool
    threshold: int
    nameservers: tuple[Nameserver, ...]
    also_notifies: tuple[Nameserver, ...]
    claimed: tuple[Claimed, ...]
    targets: int
    unsettled: int
    name_reused: bool = False
    request_id: str | None = None
    catalog: bool = False  # the zone is the pool's catalog zone
    retiring: bool = False  # a target claimed is retired: its finished rows may go

    @property
    def idle(self) -> bool:
        """Targets still need work but none is ours to do now (leased elsewhere or backing off)."""
        return not self.claimed and self.unsettled > 0

    def consensus(self, served: dict[Nameserver, Served]) -> int | None:
        """The highest serial that `threshold`% of the nameservers serve (or a later one)."""
        serials = sorted(
            (s.serial for s in served.values() if s.serial is not None),
            reverse=True,
        )
        needed = max(1, math.ceil(len(self.nameservers) * self.threshold / 100))
        return serials[needed - 1] if len(serials) >= needed else None


def target_spec(target: PoolTarget, keys: dict[str, TsigKey], mdns: BindAddress) -> TargetSpec:
    """The driver's view of a target; raises ValueError when its options no longer validate."""
    options = backend_class(target.type).Options.model_validate(target.options)
    masters = tuple(Master(str(m["host"]), int(m["port"])) for m in target.masters) or (
        Master(mdns.host, mdns.port),
    )
    key = keys.get(target.tsigkey_name) if target.tsigkey_name else None
    return TargetSpec(target.id, target.type, options, masters, _tsig(key))


def _tsig(key: TsigKey | None) -> dns.tsig.Key | None:
    return None if key is None else signing_key(key.name, key.algorithm, key.secret)


def nameservers(pool: Pool, mdns: BindAddress) -> tuple[Nameserver, ...]:
    """The pool's nameservers; mdns itself for a pool with no targets (the embedded default)."""
    listed = tuple(Nameserver(ns.host, ns.port) for ns in pool.nameservers)
    if listed:
        return listed
    live = [target for target in pool.targets if not target.retired]
    if not live:
        return (Nameserver(mdns.host, mdns.port),)
    from_targets = {
        Nameserver(str(t.options["host"]), int(t.options.get("port", 53)))
        for t in live
        if isinstance(t.options.get("host"), str)
    }
    return tuple(sorted(from_targets, key=str))


def same_server(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(key) == b.get(key) for key in SERVER_IDENTITY)


def settled(row: ZoneTarget, zone: Zone, *, remove: bool) -> bool:
    """The target holds what it should for the zone's serial and has no failure pending."""
    return row.attempts == 0 and row.serial == zone.serial and row.present != remove


def zone_ref(zone: Zone) -> ZoneRef:
    return ZoneRef(zone.id, dns.name.from_text(zone.name), zone.serial, bool(zone.hard_delete))


def lease_free(row: ZoneTarget, now: datetime) -> bool:
    return row.lease_owner is None or (row.lease_expires_at or now) <= now
