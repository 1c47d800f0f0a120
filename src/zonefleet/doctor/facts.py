"""What doctor knows before it asks anything on the network: read from the database in one
transaction, copied into plain values (nothing lazy is touched once the session is gone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import dns.name

from zonefleet.backends.base import TargetSpec
from zonefleet.mdns.acl import Decision, TransferAcl
from zonefleet.mdns.store import HostedZone, ZoneStore
from zonefleet.pools.rows import definition_of
from zonefleet.pools.schema import PoolDefinition
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.storage.doctor import DoctorRepository
from zonefleet.storage.models import Pool, TsigKey, Zone
from zonefleet.worker.plan import nameservers, target_spec
from zonefleet.worker.serials import Nameserver

ROLES = ("worker", "mdns")  # `serve` heartbeats once per role it runs


@dataclass(frozen=True)
class ZoneFacts:
    id: str
    name: dns.name.Name
    serial: int
    status: str
    action: str
    pool_id: str
    oldest_write: datetime | None  # the oldest write not served yet (one zone's walk only)
    latest_write: datetime


@dataclass(frozen=True)
class TargetFacts:
    id: str
    kind: str
    label: str
    spec: TargetSpec | None
    invalid: str | None  # why its options no longer validate


@dataclass(frozen=True)
class TargetRow:
    """One zone's row on one target: what the worker did there last."""

    present: bool
    serial: int | None
    attempts: int
    last_error: str | None
    since: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    next_attempt_at: datetime


@dataclass(frozen=True)
class NameserverRow:
    serial: int | None
    state: str
    last_error: str | None
    since: datetime


@dataclass(frozen=True)
class PoolFacts:
    id: str
    name: str
    targets: tuple[TargetFacts, ...]
    nameservers: tuple[Nameserver, ...]


@dataclass(frozen=True)
class Process:
    service_name: str
    hostname: str
    status: str
    heartbeated_at: datetime
    listen: str | None  # an mdns's bound address, from its heartbeat


@dataclass(frozen=True)
class TransferStep:
    at: datetime
    zone_id: str
    source: str
    event: str
    detail: str


@dataclass
class Facts:
    pools: dict[str, PoolFacts]
    definitions: list[PoolDefinition]
    zones: list[ZoneFacts]
    processes: list[Process]
    transfers: list[TransferStep]
    target_rows: dict[tuple[str, str], TargetRow] = field(default_factory=dict)
    nameserver_rows: dict[tuple[str, str], NameserverRow] = field(default_factory=dict)
    acl: dict[tuple[str, str], Decision] = field(default_factory=dict)  # (pool, host)


def read_facts(
    database: Database,
    settings: Settings,
    zone_name: str | None,
    pool_name: str | None,
    transfers_since: datetime,
) -> Facts:
    """Everything doctor needs from storage, for one zone (`zone_name`) or every live zone
    (of one pool with `pool_name`)."""
    with database.read() as session:
        found = DoctorRepository(session)
        pools = list(found.pools())
        keys = found.tsig_keys()
        pool_facts = {pool.id: _pool_facts(pool, keys, settings) for pool in pools}
        if zone_name is not None:
            zone = found.live_zone(zone_name)
            rows = [] if zone is None else [zone]
        else:
            wanted = next((p.id for p in pools if p.name == pool_name), "") if pool_name else None
            rows = list(found.live_zones(wanted))
        zones = [_zone_facts(found, zone, with_age=zone_name is not None) for zone in rows]
        ids = [zone.id for zone in zones]
        facts = Facts(
            pools=pool_facts,
            definitions=[definition_of(pool) for pool in pools],
            zones=zones,
            processes=[
                Process(
                    s.service_name, s.hostname, s.status, s.heartbeated_at, _listen(s.capabilities)
                )
                for s in found.services(ROLES)
            ],
            transfers=[
                TransferStep(e.at, e.zone_id, e.subject or "", e.event, e.detail or "")
                for e in found.transfer_steps(ids, transfers_since)
            ],
        )
        if zone_name is not None and zones:
            for row, _ in found.targets(zones[0].id):
                facts.target_rows[(row.zone_id, row.target_id)] = TargetRow(
                    row.present,
                    row.serial,
                    row.attempts,
                    row.last_error,
                    row.since,
                    row.lease_owner,
                    row.lease_expires_at,
                    row.next_attempt_at,
                )
        for key, ns in found.nameserver_rows(ids).items():
            facts.nameserver_rows[key] = NameserverRow(ns.serial, ns.state, ns.last_error, ns.since)
    facts.acl = _acl_decisions(database, settings, facts)
    return facts


def _zone_facts(found: DoctorRepository, zone: Zone, *, with_age: bool) -> ZoneFacts:
    oldest = found.oldest_unserved_write(zone.id) if with_age and zone.status != "ACTIVE" else None
    return ZoneFacts(
        zone.id,
        dns.name.from_text(zone.name),
        zone.serial,
        zone.status,
        zone.action,
        zone.pool_id,
        oldest,
        zone.updated_at or zone.created_at,
    )


def _pool_facts(pool: Pool, keys: dict[str, TsigKey], settings: Settings) -> PoolFacts:
    targets = []
    for target in pool.targets:
        if target.retired:
            continue
        label = target.description or f"{target.type} {target.id}"
        try:
            spec = target_spec(target, keys, settings.mdns.bind)
        except ValueError as exc:
            targets.append(TargetFacts(target.id, target.type, label, None, str(exc)))
            continue
        targets.append(TargetFacts(target.id, target.type, label, spec, None))
    return PoolFacts(pool.id, pool.name, tuple(targets), nameservers(pool, settings.mdns.bind))


def _acl_decisions(
    database: Database, settings: Settings, facts: Facts
) -> dict[tuple[str, str], Decision]:
    """mdns's ACL, as it would decide for each target's own address (the address a target
    usually transfers from; the real source is in the transfer steps)."""
    acl = TransferAcl(ZoneStore(database), settings.mdns.allow_transfer)
    acl.refresh()
    decisions: dict[tuple[str, str], Decision] = {}
    root = dns.name.root
    for pool in facts.pools.values():
        probe = HostedZone("", pool.id, root, 0)
        for target in pool.targets:
            host = target.spec.options.host if target.spec is not None else None
            if host is None:
                continue
            try:
                key = target.spec.tsig.name if target.spec and target.spec.tsig else None
                decisions[(pool.id, host)] = acl.decide(probe, host, key)
            except ValueError:
                decisions[(pool.id, host)] = Decision(False, f"{host} is not an IP address")
    return decisions


def _listen(capabilities: object) -> str | None:
    found = capabilities.get("listen") if isinstance(capabilities, dict) else None
    return found if isinstance(found, str) else None


def unique(items: Sequence[Nameserver]) -> list[Nameserver]:
    return list(dict.fromkeys(items))
