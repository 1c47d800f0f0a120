"""Differences between two states of one RRset, as IXFR (RFC 1995) sees them.

A TTL change deletes every old record and adds every new one: IXFR carries
TTLs per record, so a record whose TTL changed is a different record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RRsetState:
    name: str
    rdtype: str
    ttl: int
    records: frozenset[str]


@dataclass(frozen=True)
class JournalRecord:
    name: str
    rdtype: str
    ttl: int
    data: str


def _records(state: RRsetState, datas: frozenset[str]) -> list[JournalRecord]:
    return [JournalRecord(state.name, state.rdtype, state.ttl, data) for data in sorted(datas)]


def diff(
    old: RRsetState | None, new: RRsetState | None
) -> tuple[list[JournalRecord], list[JournalRecord]]:
    """(deleted, added) records taking `old` to `new`; None means the RRset does not exist."""
    if old is None and new is None:
        return [], []
    if old is None:
        assert new is not None
        return [], _records(new, new.records)
    if new is None or new.ttl != old.ttl:
        return _records(old, old.records), (_records(new, new.records) if new else [])
    return _records(old, old.records - new.records), _records(new, new.records - old.records)


@dataclass(frozen=True)
class JournalRow:
    """One journal row as storage keeps it: a record deleted or added at `serial`."""

    serial: int
    added: bool
    record: JournalRecord


@dataclass(frozen=True)
class Difference:
    """The change from one serial to a later one, condensed to one difference sequence
    (RFC 1995 §4 lets a server send several steps as one)."""

    old_soa: JournalRecord
    new_soa: JournalRecord
    deleted: list[JournalRecord]
    added: list[JournalRecord]

    @property
    def records(self) -> int:
        """Records in an IXFR carrying it: the sequence plus the current SOA at both ends."""
        return len(self.deleted) + len(self.added) + 4


class JournalGapError(Exception):
    """The journal does not hold every step from the asked serial to the wanted one."""


def soa_serial(data: str) -> int:
    fields = data.split()
    if len(fields) != 7 or not fields[2].isdigit():
        raise JournalGapError(f"journal SOA {data!r} does not parse")
    return int(fields[2])


def condense(rows: Iterable[JournalRow], since: int, upto: int) -> Difference:
    """The net change from serial `since` to `upto` out of the journal rows after `since`,
    in (serial, seq) order; each step must start from the serial the step before ended on.

    A record added then deleted again (or the reverse) cancels out; the SOAs in between
    are dropped."""
    expected, old_soa, new_soa = since, None, None
    deleted: dict[JournalRecord, None] = {}
    added: dict[JournalRecord, None] = {}
    for row in rows:
        record = row.record
        if record.rdtype == "SOA":
            if row.added:
                if row.serial != expected:
                    raise JournalGapError(f"serial {row.serial} adds an SOA out of step")
                new_soa = record
                continue
            served = soa_serial(record.data)
            if served != expected:
                raise JournalGapError(f"journal has no step from serial {expected}")
            old_soa = old_soa or record
            expected = row.serial
            continue
        if row.serial != expected:
            raise JournalGapError(f"serial {row.serial} changes records without an SOA step")
        mine, theirs = (added, deleted) if row.added else (deleted, added)
        if record in theirs:
            del theirs[record]
        else:
            mine[record] = None
    if old_soa is None or new_soa is None or expected != upto or soa_serial(new_soa.data) != upto:
        raise JournalGapError(f"journal does not reach serial {upto} from {since}")
    return Difference(old_soa, new_soa, list(deleted), list(added))
