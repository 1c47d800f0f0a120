"""Differences between two states of one RRset, as IXFR (RFC 1995) sees them.

A TTL change deletes every old record and adds every new one: IXFR carries
TTLs per record, so a record whose TTL changed is a different record.
"""

from __future__ import annotations

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
