"""SECONDARY zones: their masters checked as they are given, and what a transfer from a
master brings stored as the zone's whole content, in one transaction.

A transfer replaces the zone's RRsets (the SOA and apex NS are the primary's), journals
the difference at the primary's serial (so mdns answers IXFR for it), and leaves the zone
PENDING, so the reconciler pushes it to the pool as it would any change.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rrset
import dns.tsig
import dns.zone

from zonefleet.dns.journal import JournalRecord, RRsetState, diff
from zonefleet.dns.names import name_text
from zonefleet.dns.serial import serial_at_least
from zonefleet.errors import FieldError
from zonefleet.pools.tsig import signing_key
from zonefleet.service.changes import append_journal, new_records, rrset_state
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    Action,
    Recordset,
    Status,
    Zone,
    ZoneEvent,
    ZoneType,
    new_id,
    utcnow,
)
from zonefleet.storage.repositories import Repositories, TsigKeyRepository
from zonefleet.storage.secondaries import DueSecondary, SecondaryRepository

DNS_PORT = 53


@dataclass(frozen=True)
class Master:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DNS_PORT else f"{host}:{self.port}"


def parse_master(text: str) -> Master:
    """`host` or `host:port` (`[v6]:port`), the host an IP address; raises ValueError."""
    host, port = text, DNS_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r} is not host or host:port")
            port = _port(rest[1:], text)
    elif text.count(":") == 1:
        host, _, given = text.partition(":")
        port = _port(given, text)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r}: the master must be an IP address") from None
    return Master(str(address), port)


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{whole!r}: port must be 1..65535")
    return int(text)


def masters_reasons(masters: Sequence[str]) -> list[FieldError]:
    """Why `masters` do not do for a SECONDARY zone (every reason at once)."""
    if not masters:
        return [FieldError(("masters",), "SECONDARY zones need masters", "required", True)]
    reasons = []
    for index, text in enumerate(masters):
        try:
            parse_master(text)
        except ValueError as exc:
            reasons.append(FieldError(("masters", index), str(exc), "format", "host:port"))
    return reasons


def canonical_masters(masters: Sequence[str]) -> list[str]:
    return [str(parse_master(text)) for text in masters]


@dataclass(frozen=True)
class Transferred:
    """What a master sent: every RRset of the zone, the SOA among them."""

    master: str
    kind: str
    rrsets: Sequence[dns.rrset.RRset]

    @property
    def soa(self) -> dns.rdtypes.ANY.SOA.SOA:
        for rrset in self.rrsets:
            if rrset.rdtype == dns.rdatatype.SOA:
                rdata = rrset[0]
                assert isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
                return rdata
        raise ValueError("a transfer without an SOA")


class SecondaryService:
    """The refresh schedule and the store of what was transferred; no network here."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.clock = clock

    def due(self, limit: int) -> list[DueSecondary]:
        with self.database.read() as session:
            return SecondaryRepository(session).due(utcnow(), limit)

    def take(self, zone: DueSecondary, retry_after: float) -> bool:
        until = utcnow() + timedelta(seconds=retry_after)
        with self.database.write() as session:
            return SecondaryRepository(session).take(zone, until)

    def store(self, zone_id: str, transferred: Transferred) -> int | None:
        """Make the zone's content what the master sent; the new serial, or None when the
        zone is gone, is no SECONDARY, or already holds this serial or a later one."""
        soa = transferred.soa
        with self.database.write() as session:
            repos = Repositories(session)
            zone = repos.zones.lock(zone_id)
            if zone is None or zone.type != ZoneType.SECONDARY or zone.action == Action.DELETE:
                return None
            if zone.transferred_at is not None and serial_at_least(zone.serial, soa.serial):
                self._schedule(repos, zone, soa.refresh)
                return None
            first = zone.transferred_at is None
            self._replace(repos, zone, transferred, soa.serial)
            zone.serial, zone.transferred_at = soa.serial, utcnow()
            zone.refresh, zone.retry = soa.refresh, soa.retry
            zone.expire, zone.minimum = soa.expire, soa.minimum
            zone.status, zone.version = Status.PENDING, zone.version + 1
            zone.action = Action.CREATE if first else Action.UPDATE
            zone.updated_at = zone.refreshed_at = zone.transferred_at
            zone.next_refresh_at = zone.transferred_at + timedelta(seconds=soa.refresh)
            columns = ("serial", "transferred_at", "refresh", "retry", "expire", "minimum",
                       "status", "version", "action", "updated_at", "next_refresh_at",
                       "refreshed_at")  # fmt: skip
            repos.zones.save(zone, columns)
            records = sum(len(rrset) for rrset in transferred.rrsets)
            detail = f"{transferred.kind} from {transferred.master}: {records} records"
            step = ZoneEvent(
                zone_id=zone.id, role="worker", subject=transferred.master,
                event="transferred in", detail=detail, serial=zone.serial,
            )  # fmt: skip
            repos.events.add(step)
            return zone.serial

    def held(self, zone_id: str, origin: dns.name.Name) -> dns.zone.Zone:
        """The zone's content as stored, for an IXFR to apply its differences to."""
        held = dns.zone.Zone(origin, relativize=False)
        with self.database.read() as session:
            for recordset in Repositories(session).recordsets.in_zone(zone_id):
                rdataset = dns.rdataset.from_text_list(
                    dns.rdataclass.IN, recordset.type, recordset.ttl or 0,
                    [record.data for record in recordset.records], relativize=False,
                )  # fmt: skip
                held.replace_rdataset(dns.name.from_text(recordset.name), rdataset)
        return held

    def key_for(self, zone_id: str) -> dns.tsig.Key | None:
        """The TSIG key transfers of the zone are signed with: a key of scope ZONE for it."""
        with self.database.read() as session:
            key = TsigKeyRepository(session).for_zone(zone_id)
            return None if key is None else signing_key(key.name, key.algorithm, key.secret)

    def failed(self, zone_id: str, serial: int, reason: str) -> bool:
        """A refresh that reached no master: a step of the zone's timeline (its retry is
        already set by `take`). Past the SOA expire since a master last answered, the zone
        expires (RFC 1034): mdns stops serving it and it shows ERROR until a transfer comes
        again. Whether it expired now."""
        with self.database.write() as session:
            repos = Repositories(session)
            repos.events.add(
                ZoneEvent(zone_id=zone_id, role="worker", event="transfer in failed",
                          detail=reason, serial=serial)
            )  # fmt: skip
            zone = repos.zones.lock(zone_id)
            if zone is None or zone.transferred_at is None or zone.refreshed_at is None:
                return False
            if utcnow() - zone.refreshed_at < timedelta(seconds=zone.expire):
                return False
            zone.transferred_at, zone.status = None, Status.ERROR
            repos.zones.save(zone, ("transferred_at", "status"))
            detail = f"no master answered for {zone.expire} s (the SOA expire): not served"
            repos.events.add(ZoneEvent(zone_id=zone_id, role="worker", event="expired",
                                       detail=detail, serial=serial))  # fmt: skip
            return True

    def up_to_date(self, zone_id: str, refresh: int) -> None:
        """The masters serve no newer serial: look again after the SOA's refresh."""
        with self.database.write() as session:
            repos = Repositories(session)
            zone = repos.zones.lock(zone_id)
            if zone is not None:
                self._schedule(repos, zone, refresh)

    @staticmethod
    def _schedule(repos: Repositories, zone: Zone, refresh: int) -> None:
        zone.refreshed_at = utcnow()
        zone.next_refresh_at = zone.refreshed_at + timedelta(seconds=refresh)
        repos.zones.save(zone, ("next_refresh_at", "refreshed_at"))

    @staticmethod
    def _replace(repos: Repositories, zone: Zone, transferred: Transferred, serial: int) -> None:
        """The zone's RRsets become the transferred ones; changes journaled at `serial`."""
        current = {(rs.name, rs.type): rs for rs in repos.recordsets.in_zone(zone.id)}
        wanted: dict[tuple[str, str], RRsetState] = {}
        for rrset in transferred.rrsets:
            datas = frozenset(r.to_text(origin=None, relativize=False) for r in rrset)
            key = (name_text(rrset.name), dns.rdatatype.to_text(rrset.rdtype))
            wanted[key] = RRsetState(key[0], key[1], rrset.ttl, datas)
        deleted: list[JournalRecord] = []
        added: list[JournalRecord] = []
        gone = []
        for key in current.keys() | wanted.keys():
            recordset = current.get(key)
            old = None if recordset is None else rrset_state(zone, recordset)
            new = wanted.get(key)
            if old == new:
                continue
            less, more = diff(old, new)
            deleted += less
            added += more
            if recordset is not None:
                gone.append(recordset)
        repos.recordsets.delete_all(gone)
        fresh = [
            _recordset(zone, state, serial)
            for key, state in wanted.items()
            if key not in current or current[key] in gone
        ]
        if fresh:
            repos.recordsets.insert(fresh)
        append_journal(repos, zone.id, serial, deleted, added)


def _recordset(zone: Zone, state: RRsetState, serial: int) -> Recordset:
    return Recordset(
        id=new_id(), zone_id=zone.id, project_id=zone.project_id, name=state.name,
        type=state.rdtype, ttl=state.ttl, serial=serial, status=Status.PENDING,
        action=Action.CREATE, managed=False, records=new_records(zone.id, sorted(state.records)),
    )  # fmt: skip
