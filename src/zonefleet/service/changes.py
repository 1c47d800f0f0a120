"""One zone's change inside one transaction: the serial bump, the SOA and the journal.

Every write to a zone goes through `ZoneChange`, so each transaction moves
the serial exactly once and journals exactly what it changed. Its writes are
explicit statements (`save`, `save_soa`, the journal's INSERT), never
left to a flush.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA

from zonefleet.dns.journal import JournalRecord, RRsetState, diff
from zonefleet.dns.serial import next_serial
from zonefleet.dns.soa import SoaFields, parse_email
from zonefleet.storage.models import (
    Action,
    JournalOp,
    Record,
    Recordset,
    Status,
    Zone,
    new_id,
    utcnow,
)
from zonefleet.storage.repositories import Repositories


def rrset_state(zone: Zone, recordset: Recordset) -> RRsetState:
    ttl = recordset.ttl if recordset.ttl is not None else zone.ttl
    records = frozenset(record.data for record in recordset.records)
    return RRsetState(recordset.name, recordset.type, ttl, records)


def soa_fields(zone: Zone, mname: str, serial: int) -> SoaFields:
    return SoaFields(
        mname=dns.name.from_text(mname),
        rname=parse_email(zone.email),
        serial=serial,
        refresh=zone.refresh,
        retry=zone.retry,
        expire=zone.expire,
        minimum=zone.minimum,
    )


def current_mname(soa: Recordset) -> str:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, soa.records[0].data)
    assert isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
    return str(rdata.mname.to_text())


class ZoneChange:
    """Collects RRset changes of one zone, then bumps its serial and journals them once.

    Build it before touching the zone, so the SOA's old state is the one served.
    """

    def __init__(self, repos: Repositories, zone: Zone, soa: Recordset, now: float) -> None:
        self.repos = repos
        self.zone = zone
        self.soa = soa
        self.old_soa = rrset_state(zone, soa)
        # Known up front so rows written in this change carry it from their INSERT on.
        self.serial = next_serial(zone.serial, now)
        self.deleted: list[JournalRecord] = []
        self.added: list[JournalRecord] = []

    def record(self, old: RRsetState | None, new: RRsetState | None) -> None:
        deleted, added = diff(old, new)
        self.deleted.extend(deleted)
        self.added.extend(added)

    def apply(self, *, mname: str | None = None, action: Action = Action.UPDATE) -> int:
        """Bump the serial, rewrite the SOA, journal the changes; returns the new serial.

        The SOA keeps its MNAME unless `mname` names a new one.
        """
        zone, soa = self.zone, self.soa
        zone.serial = self.serial
        new_soa_text = soa_fields(zone, mname or current_mname(soa), zone.serial).text()
        soa.records[0].data = new_soa_text
        soa.records[0].hash = record_hash(new_soa_text)
        soa.serial = zone.serial
        soa_deleted, soa_added = diff(self.old_soa, rrset_state(zone, soa))
        self._journal(zone.serial, [*soa_deleted, *self.deleted], [*soa_added, *self.added])
        self._mark_pending(action)
        self.repos.zones.save(zone)
        self.repos.recordsets.save_soa(soa)
        return zone.serial

    def journal_created(self, rrsets: Iterable[Recordset]) -> None:
        """Journal a new zone: every record added at its first serial."""
        added = [item for rrset in rrsets for item in diff(None, rrset_state(self.zone, rrset))[1]]
        self._journal(self.zone.serial, [], added)

    def _mark_pending(self, action: Action) -> None:
        zone = self.zone
        zone.action = action
        zone.status = Status.PENDING
        zone.version += 1
        zone.updated_at = utcnow()

    def _journal(
        self, serial: int, deleted: Iterable[JournalRecord], added: Iterable[JournalRecord]
    ) -> None:
        append_journal(self.repos, self.zone.id, serial, deleted, added)


def append_journal(
    repos: Repositories,
    zone_id: str,
    serial: int,
    deleted: Iterable[JournalRecord],
    added: Iterable[JournalRecord],
) -> None:
    """The zone's journal at `serial`: the deleted records first, then the added (RFC 1995)."""
    ops = [(JournalOp.DELETE, item) for item in deleted]
    ops += [(JournalOp.ADD, item) for item in added]
    repos.journal.append(
        {
            "zone_id": zone_id,
            "serial": serial,
            "seq": seq,
            "op": op,
            "name": item.name,
            "type": item.rdtype,
            "ttl": item.ttl,
            "data": item.data,
        }
        for seq, (op, item) in enumerate(ops)
    )


def record_hash(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def managed_recordset(
    zone: Zone, rdtype: str, datas: Sequence[str], *, name: str | None = None
) -> Recordset:
    """A new recordset the system keeps (SOA, apex NS, a catalog's entries), at the zone's
    serial, owned by the zone's project; at the apex unless `name` says otherwise."""
    recordset = Recordset(
        id=new_id(), zone_id=zone.id, project_id=zone.project_id, name=name or zone.name,
        type=rdtype, ttl=None, serial=zone.serial, status=Status.PENDING, action=Action.CREATE,
        managed=True, records=new_records(zone.id, datas),
    )  # fmt: skip
    recordset.zone = zone
    return recordset


def new_records(zone_id: str, datas: Iterable[str]) -> list[Record]:
    return [Record(zone_id=zone_id, data=data, hash=record_hash(data)) for data in datas]


def replace_records(recordset: Recordset, datas: Sequence[str]) -> None:
    """Keep the records still wanted (their rows and ids), drop the rest, add the new."""
    wanted = set(datas)
    kept = [record for record in recordset.records if record.data in wanted]
    have = {record.data for record in kept}
    recordset.records = kept + new_records(
        recordset.zone_id, [data for data in datas if data not in have]
    )
