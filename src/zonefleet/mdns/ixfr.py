"""IXFR out of mdns (RFC 1995), from the zone journal.

A request for serial N gets one difference sequence from N to the current
serial, condensed from every step in between. The whole zone goes instead, as
the RFC allows, when the journal no longer reaches back to N or holds more
records since N than the zone has; a client at the current serial, or ahead of
it, gets the current SOA alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from zonefleet.dns.journal import (
    Difference,
    JournalGapError,
    JournalRecord,
    JournalRow,
    condense,
    soa_serial,
)
from zonefleet.dns.serial import serial_at_least
from zonefleet.mdns.store import HostedZone, ZoneStore

# Journals up to this many rows are read at once, without counting the zone's records.
SHORT_JOURNAL = 64


@dataclass(frozen=True)
class IxfrAnswer:
    """What to send for one IXFR request: `rrsets` in order, or None for the whole zone."""

    rrsets: list[dns.rrset.RRset] | None
    detail: str

    @property
    def records(self) -> int:
        return sum(len(rrset) for rrset in self.rrsets or ())


def plan(store: ZoneStore, zone: HostedZone, since: int) -> IxfrAnswer:
    """The answer to an IXFR from serial `since` for the zone at `zone.serial`.

    A short journal is read in one statement; a longer one is first counted against the
    zone's records, so a journal larger than the zone is never read."""
    with store.reading():
        if serial_at_least(since, zone.serial):
            current = [
                r for r in store.rrsets_at(zone, [zone.origin]) if r.rdtype == dns.rdatatype.SOA
            ]
            return IxfrAnswer(current, f"client at serial {since}: nothing newer")
        rows = store.journal(zone.id, since, zone.serial, limit=SHORT_JOURNAL + 1)
        if not _starts_at(rows, since):
            return IxfrAnswer(None, f"the journal does not reach back to serial {since}")
        if len(rows) > SHORT_JOURNAL:
            size = store.journal_size(zone.id, since, zone.serial)
            records = store.record_count(zone.id)
            if size > records:
                reason = (
                    f"{size} journal records since serial {since}, more than the zone's {records}"
                )
                return IxfrAnswer(None, reason)
            rows = store.journal(zone.id, since, zone.serial)
    try:
        difference = condense(rows, since, zone.serial)
    except JournalGapError as exc:
        return IxfrAnswer(None, str(exc))
    return IxfrAnswer(
        sequence(zone.origin, difference),
        f"{len(difference.deleted)} deleted, {len(difference.added)} added",
    )


def _starts_at(rows: list[JournalRow], since: int) -> bool:
    """Whether the journal after `since` opens by deleting the SOA of serial `since`."""
    if not rows or rows[0].added or rows[0].record.rdtype != "SOA":
        return False
    try:
        return soa_serial(rows[0].record.data) == since
    except JournalGapError:
        return False


def sequence(origin: dns.name.Name, difference: Difference) -> list[dns.rrset.RRset]:
    """The IXFR answer section: the current SOA, the old SOA, what was deleted, the new
    SOA, what was added, and the current SOA again."""
    new_soa = _rrsets([difference.new_soa])
    return [
        *new_soa,
        *_rrsets([difference.old_soa]),
        *_rrsets(difference.deleted),
        *new_soa,
        *_rrsets(difference.added),
        *new_soa,
    ]


def _rrsets(records: Iterable[JournalRecord]) -> list[dns.rrset.RRset]:
    grouped: dict[tuple[str, str, int], dns.rrset.RRset] = {}
    for record in records:
        key = (record.name, record.rdtype, record.ttl)
        rrset = grouped.get(key)
        if rrset is None:
            rdtype = dns.rdatatype.from_text(record.rdtype)
            rrset = dns.rrset.RRset(dns.name.from_text(record.name), dns.rdataclass.IN, rdtype)
            rrset.update_ttl(record.ttl)
            grouped[key] = rrset
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, rrset.rdtype, record.data))
    return list(grouped.values())
