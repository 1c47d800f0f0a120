"""What mdns reads from storage: hosted zones, RRsets by name, transfer rows, the journal,
keys, pool hosts.

Plain SQL expressions on Core connections (no ORM sessions or objects): mdns answers many
small queries and streams large transfers, and needs neither identity maps nor change
tracking. The statements that find a zone and its RRsets are built once, with their names
as expanding parameters, so each answer only binds values; for answers, parsed names and
record data are kept in small caches (both are immutable in dnspython, and the same few
NS, A and MX records are asked for over and over; the SOA's text changes with every
serial). A transfer reads each record once and parses it without the caches, so it
neither pays for them nor pushes out what answers keep there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
)

from zonefleet.dns.journal import JournalRecord, JournalRow
from zonefleet.dns.names import name_text, reverse_text, subtree_bounds
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    LIVE,
    Action,
    JournalEntry,
    JournalOp,
    Pool,
    PoolNameserver,
    PoolTarget,
    Record,
    Recordset,
    TsigKey,
    Zone,
    ZoneType,
)

# Rows fetched per round trip while a transfer streams.
TRANSFER_BATCH = 2000
# Parsed owner names and record data kept for reuse (each entry a few hundred bytes).
PARSED_CACHE_SIZE = 8192


@dataclass(frozen=True)
class HostedZone:
    id: str
    pool_id: str
    origin: dns.name.Name
    serial: int


@dataclass(frozen=True)
class KeyRow:
    name: str
    algorithm: str
    secret: str
    scope: str
    resource_id: str | None


class ZoneStore:
    """Read-only queries over storage, each in its own short read transaction, or all in
    one inside `reading()` (one answer's queries then cost one transaction)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._local = threading.local()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the queries made inside on this thread in one read transaction."""
        with self.database.read_connection() as connection:
            self._local.connection = connection
            try:
                yield
            finally:
                self._local.connection = None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        shared: Connection | None = getattr(self._local, "connection", None)
        if shared is not None:
            yield shared
            return
        with self.database.read_connection() as connection:
            yield connection

    def zone_for(self, qname: dns.name.Name) -> HostedZone | None:
        """The deepest served zone containing `qname` (zones being deleted are not served)."""
        candidates = [name_text(qname)]
        parent = qname
        while len(parent.labels) > 2:
            parent = parent.parent()
            candidates.append(name_text(parent))
        with self._read() as connection:
            rows = connection.execute(_SERVED_ZONES, {"names": candidates}).all()
        if not rows:
            return None
        best = max(rows, key=lambda row: len(row.name))
        return HostedZone(best.id, best.pool_id, _name(best.name), best.serial)

    def rrsets_at(self, zone: HostedZone, names: Sequence[dns.name.Name]) -> list[dns.rrset.RRset]:
        """Every RRset owned by one of `names` in the zone."""
        wanted = [name_text(name) for name in names]
        with self._read() as connection:
            rows = connection.execute(_RRSETS_AT, {"zone_id": zone.id, "names": wanted})
            return list(_group(rows))

    def has_names_below(self, zone: HostedZone, name: dns.name.Name) -> bool:
        """Whether any RRset is owned by a name strictly below `name` (so `name` exists):
        one range of the zone's reversed owner names."""
        above, below = subtree_bounds(reverse_text(name))
        params = {"zone_id": zone.id, "above": above, "below": below}
        with self._read() as connection:
            return bool(connection.scalar(_NAMES_BELOW, params))

    def transfer(self, zone_id: str) -> Iterator[dns.rrset.RRset]:
        """Every RRset of the zone, SOA first, from one statement (one consistent snapshot)."""
        soa_first = case((Recordset.type == "SOA", 0), else_=1)
        statement = (
            _rrset_rows(zone_id)
            .order_by(soa_first, Recordset.id)
            .execution_options(yield_per=TRANSFER_BATCH)
        )
        with self.database.read_connection() as connection:
            yield from _group(connection.execute(statement), cached=False)

    def journal_size(self, zone_id: str, since: int, upto: int) -> int:
        statement = select(func.count()).where(*_journal_range(zone_id, since, upto))
        with self._read() as connection:
            return int(connection.scalar(statement) or 0)

    def record_count(self, zone_id: str) -> int:
        statement = select(func.count()).where(Record.zone_id == zone_id)
        with self._read() as connection:
            return int(connection.scalar(statement) or 0)

    def journal(
        self, zone_id: str, since: int, upto: int, limit: int | None = None
    ) -> list[JournalRow]:
        """The journal rows after serial `since` up to `upto` (the first `limit` of them), in
        the order they were written.

        Serials are compared as integers: they are Unix times, so they wrap in 2106."""
        with self._read() as connection:
            statement = _journal_rows(zone_id, since, upto).limit(limit)
            return [_journal_row(row) for row in connection.execute(statement)]

    def tsig_keys(self) -> list[KeyRow]:
        statement = select(
            TsigKey.name, TsigKey.algorithm, TsigKey.secret, TsigKey.scope, TsigKey.resource_id
        )
        with self.database.read_connection() as connection:
            return [KeyRow(*row) for row in connection.execute(statement)]

    def pool_hosts(self) -> dict[str, set[str]]:
        """Per pool id: the addresses of its nameservers and targets (who may transfer)."""
        hosts: dict[str, set[str]] = {}
        with self.database.read_connection() as connection:
            for pool_id in connection.scalars(select(Pool.id)):
                hosts[pool_id] = set()
            for pool_id, host in connection.execute(
                select(PoolNameserver.pool_id, PoolNameserver.host)
            ):
                hosts.setdefault(pool_id, set()).add(host)
            targets = select(PoolTarget.pool_id, PoolTarget.options).where(~PoolTarget.retired)
            for pool_id, options in connection.execute(targets):
                for key in ("host", "rndc_host"):
                    if isinstance(options.get(key), str):
                        hosts.setdefault(pool_id, set()).add(options[key])
        return hosts

    def pool_key_names(self) -> dict[str, set[str]]:
        """Per pool id: the TSIG key names its targets, nameservers and catalog zone are
        configured with."""
        names: dict[str, set[str]] = {}
        with self.database.read_connection() as connection:
            for model in (PoolTarget, PoolNameserver):
                rows = connection.execute(
                    select(model.pool_id, model.tsigkey_name).where(model.tsigkey_name.is_not(None))
                )
                for pool_id, key_name in rows:
                    if key_name is not None:
                        names.setdefault(pool_id, set()).add(key_name)
            for pool_id, catalog in connection.execute(select(Pool.id, Pool.catalog_zone)):
                if catalog and catalog.get("catalog_zone_tsig_key"):
                    names.setdefault(pool_id, set()).add(catalog["catalog_zone_tsig_key"])
        return names


def _rrset_rows(zone_id: str | BindParameter[str]) -> Select[str, str, str, int, str]:
    ttl = case((Recordset.ttl.is_(None), Zone.ttl), else_=Recordset.ttl)
    return (
        select(Recordset.id, Recordset.name, Recordset.type, ttl.label("ttl"), Record.data)
        .join(Record, Record.recordset_id == Recordset.id)
        .join(Zone, Zone.id == Recordset.zone_id)
        .where(Recordset.zone_id == zone_id)
    )


_NAMES_BELOW = select(
    exists().where(
        Recordset.zone_id == bindparam("zone_id"),
        Recordset.reverse_name > bindparam("above"),
        Recordset.reverse_name < bindparam("below"),
    )
)
_SERVED_ZONES = select(Zone.id, Zone.pool_id, Zone.name, Zone.serial).where(
    Zone.name.in_(bindparam("names", expanding=True)),
    Zone.deleted == LIVE,
    Zone.action != Action.DELETE,
    # A SECONDARY zone is served once its first transfer from its masters came.
    or_(Zone.type != ZoneType.SECONDARY, Zone.transferred_at.is_not(None)),
)
_RRSETS_AT = (
    _rrset_rows(bindparam("zone_id"))
    .where(Recordset.name.in_(bindparam("names", expanding=True)))
    .order_by(Recordset.id)
)


def _journal_range(zone_id: str, since: int, upto: int) -> tuple[ColumnElement[bool], ...]:
    return (
        JournalEntry.zone_id == zone_id,
        JournalEntry.serial > since,
        JournalEntry.serial <= upto,
    )


def _journal_rows(zone_id: str, since: int, upto: int) -> Select[int, int, str, str, int, str]:
    return (
        select(
            JournalEntry.serial, JournalEntry.op, JournalEntry.name, JournalEntry.type,
            JournalEntry.ttl, JournalEntry.data,
        )
        .where(*_journal_range(zone_id, since, upto))
        .order_by(JournalEntry.serial, JournalEntry.seq)
    )  # fmt: skip


def _journal_row(row: Row[int, int, str, str, int, str]) -> JournalRow:
    serial, op, name, rdtype, ttl, data = row
    return JournalRow(serial, op == JournalOp.ADD, JournalRecord(name, rdtype, ttl, data))


def _group(
    rows: Iterable[Row[str, str, str, int, str]], *, cached: bool = True
) -> Iterator[dns.rrset.RRset]:
    """Rows of one recordset arrive together; each group becomes one RRset (its names and
    data parsed through the caches when `cached`)."""
    name_of, rdata_of = (_name, _rdata) if cached else (dns.name.from_text, _parse_rdata)
    current: str | None = None
    rrset: dns.rrset.RRset | None = None
    for recordset_id, name, rdtype, ttl, data in rows:
        if recordset_id != current:
            if rrset is not None:
                yield rrset
            current = recordset_id
            rrset = dns.rrset.RRset(name_of(name), dns.rdataclass.IN, _rdtype(rdtype))
            rrset.update_ttl(ttl)
        assert rrset is not None
        rrset.add(rdata_of(rrset.rdtype, data))
    if rrset is not None:
        yield rrset


@lru_cache(maxsize=PARSED_CACHE_SIZE)
def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


@lru_cache(maxsize=64)
def _rdtype(text: str) -> dns.rdatatype.RdataType:
    return dns.rdatatype.from_text(text)


def _parse_rdata(rdtype: dns.rdatatype.RdataType, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)


_rdata = lru_cache(maxsize=PARSED_CACHE_SIZE)(_parse_rdata)
