"""Queries over the models, one repository per table family, bound to one session.

The write path of a zone change (new rows, the zone's status columns, the SOA, the
journal, the timeline) runs as Core statements on the session's connection: each is one
statement, with no unit-of-work flush, identity map or relationship load behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from zonefleet.dns.names import subtree_bounds
from zonefleet.errors import MarkerNotFound
from zonefleet.storage.filters import (
    BlacklistFilter,
    Page,
    PageRequest,
    PoolFilter,
    RecordsetFilter,
    TldFilter,
    TsigKeyFilter,
    ZoneFilter,
    ZoneTaskFilter,
)
from zonefleet.storage.models import (
    EPOCH,
    LIVE,
    Action,
    Base,
    Blacklist,
    JournalEntry,
    Pool,
    PoolAlsoNotify,
    PoolNameserver,
    PoolTarget,
    Quota,
    Record,
    Recordset,
    SharedZone,
    Status,
    Tld,
    TransferAccept,
    TransferRequest,
    TsigKey,
    TsigScope,
    Zone,
    ZoneEvent,
    ZoneExport,
    ZoneImport,
    ZoneNameserver,
    ZoneTarget,
    ZoneType,
)

M = TypeVar(
    "M", Zone, Recordset, TsigKey, Tld, Blacklist, Pool, ZoneExport, ZoneImport,
    TransferRequest, TransferAccept, SharedZone,
)  # fmt: skip
T = TypeVar("T", ZoneExport, ZoneImport)

ZONES = Base.metadata.tables["zones"]
RECORDSETS = Base.metadata.tables["recordsets"]
RECORDS = Base.metadata.tables["records"]
JOURNAL = Base.metadata.tables["zone_journal"]
EVENTS = Base.metadata.tables["zone_events"]
QUOTAS = Base.metadata.tables["quotas"]
POOLS = Base.metadata.tables["pools"]
POOL_NS_RECORDS = Base.metadata.tables["pool_ns_records"]
POOL_TARGETS = Base.metadata.tables["pool_targets"]
POOL_NAMESERVERS = Base.metadata.tables["pool_nameservers"]
TLDS = Base.metadata.tables["tlds"]
BLACKLISTS = Base.metadata.tables["blacklists"]
POOL_ALSO_NOTIFIES = Base.metadata.tables["pool_also_notifies"]

# The columns a zone change writes (ZoneChange and the status moves of a zone).
ZONE_CHANGE_COLUMNS = ("serial", "status", "action", "version", "updated_at")


def insert_values(entity: Base, table: Table) -> dict[str, Any]:
    """The entity's row for a Core INSERT, its Python-side column defaults filled in first,
    so the object then shows what was stored, as after an ORM flush."""
    values: dict[str, Any] = {}
    for column in table.columns:
        value = getattr(entity, column.key)
        if value is None:
            default = column.default
            if isinstance(default, ScalarElementColumnDefault):
                value = default.arg
            elif isinstance(default, CallableColumnDefault):
                value = default.arg(None)  # type: ignore[arg-type]  # wrapped zero-arg callable
            elif column.autoincrement is True:
                continue  # the database numbers it
            setattr(entity, column.key, value)
        values[column.key] = value
    return values


def _core(session: Session) -> Connection:
    """The transaction's connection. Core statements run there skip the session's autoflush,
    so what a repository writes by Core is written by that one statement, never also by a
    flush that a later statement would set off."""
    return session.connection()


def committed(entity: Base, keys: Sequence[str]) -> None:
    """Mark attributes already written by Core as clean, so a flush does not write them again."""
    for key in keys:
        set_committed_value(entity, key, getattr(entity, key))


def _match(column: Any, value: str) -> ColumnElement[bool]:
    if "*" not in value:
        return column == value  # type: ignore[no-any-return]
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped.replace("*", "%"), escape="\\")  # type: ignore[no-any-return]


def _paged(
    session: Session,
    model: type[M],
    statement: Select[M],
    sort_keys: dict[str, Any],
    page: PageRequest,
) -> Page[M]:
    """Keyset pagination on (sort expression, id), with an optional total count."""
    identity: InstrumentedAttribute[str] = model.id
    total = None
    if page.with_count:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    sort = sort_keys[page.sort_key]
    if page.marker is not None:
        marker_value = session.execute(select(sort).where(identity == page.marker)).one_or_none()
        if marker_value is None:
            raise MarkerNotFound(f"Marker {page.marker} could not be found")
        value = marker_value[0]
        after = sort > value if page.sort_dir == "asc" else sort < value
        beyond = identity > page.marker if page.sort_dir == "asc" else identity < page.marker
        statement = statement.where(or_(after, and_(sort == value, beyond)))
    if page.sort_dir == "asc":
        statement = statement.order_by(sort.asc(), identity.asc())
    else:
        statement = statement.order_by(sort.desc(), identity.desc())
    items = session.scalars(statement.limit(page.limit + 1)).unique().all()
    return Page(items=items[: page.limit], total_count=total, has_more=len(items) > page.limit)


class ZoneRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": Zone.created_at,
        "id": Zone.id,
        "updated_at": func.coalesce(Zone.updated_at, EPOCH),
        "name": Zone.name,
        "tenant_id": Zone.project_id,
        "serial": Zone.serial,
        "ttl": Zone.ttl,
        "status": Zone.status,
    }
    # Write-path statements, built once: a prebuilt statement is neither rebuilt nor
    # given a new cache key on each execution.
    _LOCK = (
        select(ZONES)
        .where(ZONES.c.id == bindparam("zone_id"), ZONES.c.deleted == LIVE)
        .with_for_update()
    )
    _SAVE = update(ZONES).where(ZONES.c.id == bindparam("zone_id"))
    _SNAPSHOT = select(ZONES).where(ZONES.c.id == bindparam("zone_id"))
    _MARK_ACTIVE = (
        update(ZONES)
        .where(
            ZONES.c.id == bindparam("zone_id"),
            ZONES.c.serial == bindparam("at_serial"),
            ZONES.c.status != Status.ACTIVE,
        )
        .values(status=Status.ACTIVE, action=Action.NONE)
    )
    _LIVE_BY_NAMES = select(ZONES).where(
        ZONES.c.name.in_(bindparam("names", expanding=True)), ZONES.c.deleted == LIVE
    )
    _LIVE_BETWEEN = select(ZONES).where(
        ZONES.c.reverse_name > bindparam("above"),
        ZONES.c.reverse_name < bindparam("below"),
        ZONES.c.deleted == LIVE,
    )
    _CHILD_NAMES = select(ZONES.c.name).where(
        ZONES.c.parent_zone_id == bindparam("zone_id"), ZONES.c.deleted == LIVE
    )

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, zone: Zone) -> None:
        self.session.add(zone)

    def insert(self, zone: Zone) -> None:
        """INSERT a new zone by Core; the object stays out of the session."""
        _core(self.session).execute(insert(ZONES), insert_values(zone, ZONES))

    def lock(self, zone_id: str) -> Zone | None:
        """The live zone, its row locked until the transaction ends, as a snapshot outside
        the session: what a write changes on it is written by `save`, never by a flush."""
        row = _core(self.session).execute(self._LOCK, {"zone_id": zone_id}).one_or_none()
        return None if row is None else Zone(**row._mapping)

    def save(self, zone: Zone, columns: Sequence[str] = ZONE_CHANGE_COLUMNS) -> None:
        """Write these columns of the zone (one UPDATE); by default what a change moves:
        serial, status, action, version and updated_at."""
        values = {key: getattr(zone, key) for key in columns}
        _core(self.session).execute(self._SAVE, {"zone_id": zone.id, **values})
        committed(zone, columns)

    def get(self, zone_id: str) -> Zone | None:
        statement = select(Zone).where(Zone.id == zone_id, Zone.deleted == LIVE)
        return self.session.scalars(statement).one_or_none()

    def snapshot(self, zone_id: str) -> Zone | None:
        """The zone by id, live or deleted, unlocked, as a snapshot outside the session."""
        row = _core(self.session).execute(self._SNAPSHOT, {"zone_id": zone_id}).one_or_none()
        return None if row is None else Zone(**row._mapping)

    def mark_active(self, zone_id: str, serial: int) -> bool:
        """ACTIVE (action NONE) if the zone is still at `serial` and not ACTIVE yet; whether
        it turned so. A write that moved the serial meanwhile keeps its zone PENDING."""
        params = {"zone_id": zone_id, "at_serial": serial}
        return _core(self.session).execute(self._MARK_ACTIVE, params).rowcount == 1

    def live_by_names(self, names: Sequence[str]) -> list[Zone]:
        """Live zones with these names, as snapshots outside the session (see `lock`)."""
        if not names:
            return []
        rows = _core(self.session).execute(self._LIVE_BY_NAMES, {"names": list(names)})
        return [Zone(**row._mapping) for row in rows]

    def live_descendants(self, reverse_name: str) -> list[Zone]:
        """Zones strictly below the zone whose reversed name is given, as snapshots."""
        above, below = subtree_bounds(reverse_name)
        rows = _core(self.session).execute(self._LIVE_BETWEEN, {"above": above, "below": below})
        return [Zone(**row._mapping) for row in rows]

    def has_children(self, zone_id: str) -> bool:
        statement = select(exists().where(Zone.parent_zone_id == zone_id, Zone.deleted == LIVE))
        return bool(self.session.scalar(statement))

    def has_children_of(self, zone_id: str, project_id: str) -> bool:
        """Whether a live subzone of the zone belongs to `project_id`."""
        statement = select(
            exists().where(
                Zone.parent_zone_id == zone_id, Zone.deleted == LIVE, Zone.project_id == project_id
            )
        )
        return bool(self.session.scalar(statement))

    def set_shared(self, zone_id: str, shared: bool) -> None:
        self.session.execute(update(Zone).where(Zone.id == zone_id).values(shared=shared))

    def forget_propagation(self, zone_id: str) -> None:
        """Drop what the workers keep of the zone's targets and nameservers, so no worker
        calls a backend or a nameserver for it again."""
        self.session.execute(delete(ZoneTarget).where(ZoneTarget.zone_id == zone_id))
        self.session.execute(delete(ZoneNameserver).where(ZoneNameserver.zone_id == zone_id))

    def forget_nameservers(self, zone_id: str) -> None:
        """Drop what the workers saw of the zone on nameservers (it moved to other ones)."""
        self.session.execute(delete(ZoneNameserver).where(ZoneNameserver.zone_id == zone_id))

    def child_names(self, zone_id: str) -> list[str]:
        return list(_core(self.session).scalars(self._CHILD_NAMES, {"zone_id": zone_id}))

    def set_parent(self, zone_ids: Sequence[str], parent_zone_id: str | None) -> None:
        if zone_ids:
            self.session.execute(
                update(Zone).where(Zone.id.in_(zone_ids)).values(parent_zone_id=parent_zone_id)
            )

    def catalog(self, pool_id: str, name: str) -> Zone | None:
        """The pool's live catalog zone named `name`, locked, as a snapshot (see `lock`)."""
        statement = (
            select(ZONES)
            .where(
                ZONES.c.name == name, ZONES.c.deleted == LIVE, ZONES.c.pool_id == pool_id,
                ZONES.c.type == ZoneType.CATALOG, ZONES.c.action != Action.DELETE,
            )
            .with_for_update()
        )  # fmt: skip
        row = _core(self.session).execute(statement).one_or_none()
        return None if row is None else Zone(**row._mapping)

    def live_in_pool(self, pool_id: str) -> Sequence[Zone]:
        """Live zones of the pool not being deleted, locked, in id order (no lock cycles)."""
        statement = (
            select(Zone)
            .where(Zone.pool_id == pool_id, Zone.deleted == LIVE, Zone.action != Action.DELETE)
            .order_by(Zone.id)
            .with_for_update()
        )
        return self.session.scalars(statement).all()

    def count_in_pool(self, pool_id: str) -> int:
        """Zones that still hold the pool: live ones and deleted ones not yet purged."""
        statement = select(func.count()).where(Zone.pool_id == pool_id)
        return self.session.scalar(statement) or 0

    def count_for_project(self, project_id: str) -> int:
        statement = select(func.count()).where(
            ZONES.c.project_id == project_id, ZONES.c.deleted == LIVE
        )
        return _core(self.session).scalar(statement) or 0

    def list(self, criteria: ZoneFilter, page: PageRequest) -> Page[Zone]:
        """Live zones; a project's own and those shared with it."""
        statement = select(Zone).where(Zone.deleted == LIVE)
        if criteria.project_id is not None:
            shared = select(SharedZone.zone_id).where(
                SharedZone.target_project_id == criteria.project_id
            )
            own = Zone.project_id == criteria.project_id
            # Most projects have no zone shared with them: their list keeps the index on
            # (project_id, deleted, created_at, id) instead of an OR the planner cannot use.
            has_shared = self.session.scalar(select(exists(shared)))
            statement = statement.where(or_(own, Zone.id.in_(shared)) if has_shared else own)
        for column, value in (
            (Zone.name, criteria.name),
            (Zone.type, criteria.type),
            (Zone.email, criteria.email),
            (Zone.status, criteria.status),
            (Zone.description, criteria.description),
        ):
            if value is not None:
                statement = statement.where(_match(column, value))
        if criteria.ttl is not None:
            statement = statement.where(Zone.ttl == criteria.ttl)
        return _paged(self.session, Zone, statement, self.SORT_KEYS, page)


class RecordsetRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": Recordset.created_at,
        "id": Recordset.id,
        "updated_at": func.coalesce(Recordset.updated_at, EPOCH),
        "zone_id": Recordset.zone_id,
        "tenant_id": Recordset.project_id,
        "name": Recordset.name,
        "type": Recordset.type,
        "ttl": func.coalesce(Recordset.ttl, literal(-1)),
        "records": select(func.min(Record.data))
        .where(Record.recordset_id == Recordset.id)
        .correlate(Recordset)
        .scalar_subquery(),
    }

    # Write-path statements, built once (see ZoneRepository).
    _SOA = (
        select(RECORDSETS, RECORDS.c.id.label("record_id"), RECORDS.c.data, RECORDS.c.hash)
        .join(RECORDS, RECORDS.c.recordset_id == RECORDSETS.c.id)
        .where(
            RECORDSETS.c.zone_id == bindparam("zone_id"),
            RECORDSETS.c.name == bindparam("zone_name"),
            RECORDSETS.c.type == "SOA",
        )
    )
    _SAVE_SOA_RECORD = update(RECORDS).where(RECORDS.c.id == bindparam("record_id"))
    _SAVE_SOA_SERIAL = update(RECORDSETS).where(RECORDSETS.c.id == bindparam("recordset_id"))
    _TYPES_AT = select(RECORDSETS.c.type).where(
        RECORDSETS.c.zone_id == bindparam("zone_id"), RECORDSETS.c.name == bindparam("name")
    )
    _COUNTS = select(
        select(func.count()).where(RECORDSETS.c.zone_id == bindparam("zone_id")).scalar_subquery(),
        select(func.count()).where(RECORDS.c.zone_id == bindparam("zone_id")).scalar_subquery(),
    )

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, recordset: Recordset) -> None:
        self.session.add(recordset)

    def insert(self, recordsets: Sequence[Recordset]) -> None:
        """INSERT new recordsets and their records by Core; the objects stay out of the session."""
        rows = [insert_values(recordset, RECORDSETS) for recordset in recordsets]
        _core(self.session).execute(insert(RECORDSETS), rows)
        records = []
        for recordset in recordsets:
            for record in recordset.records:
                record.recordset_id = recordset.id
                records.append(insert_values(record, RECORDS))
        if records:
            _core(self.session).execute(insert(RECORDS), records)

    def insert_rows(
        self, recordsets: Sequence[dict[str, Any]], records: Sequence[dict[str, Any]]
    ) -> None:
        """INSERT complete rows (every column given) of new recordsets and their records: a
        zone import's, too many for objects."""
        connection = _core(self.session)
        if recordsets:
            connection.execute(insert(RECORDSETS), recordsets)
        if records:
            connection.execute(insert(RECORDS), records)

    def soa(self, zone: Zone) -> Recordset:
        """The zone's SOA recordset with its one record, read by Core (outside the session)."""
        params = {"zone_id": zone.id, "zone_name": zone.name}
        row = _core(self.session).execute(self._SOA, params).one()._asdict()
        record = Record(
            id=row.pop("record_id"), recordset_id=row["id"], zone_id=zone.id,
            data=row.pop("data"), hash=row.pop("hash"),
        )  # fmt: skip
        return Recordset(**row, records=[record])

    def save_soa(self, soa: Recordset) -> None:
        """Write the SOA's record and serial (two UPDATEs)."""
        record = soa.records[0]
        connection = _core(self.session)
        connection.execute(
            self._SAVE_SOA_RECORD,
            {"record_id": record.id, "data": record.data, "hash": record.hash},
        )
        connection.execute(self._SAVE_SOA_SERIAL, {"recordset_id": soa.id, "serial": soa.serial})
        committed(record, ("data", "hash"))
        committed(soa, ("serial",))

    def get(self, recordset_id: str, zone_id: str | None = None) -> Recordset | None:
        statement = (
            select(Recordset)
            .options(joinedload(Recordset.zone))
            .where(Recordset.id == recordset_id)
        )
        if zone_id is not None:
            statement = statement.where(Recordset.zone_id == zone_id)
        return self.session.scalars(statement).unique().one_or_none()

    def find(self, zone_id: str, name: str, rdtype: str) -> Recordset | None:
        statement = select(Recordset).where(
            Recordset.zone_id == zone_id, Recordset.name == name, Recordset.type == rdtype
        )
        return self.session.scalars(statement).one_or_none()

    def types_at(self, zone_id: str, name: str) -> set[str]:
        """The types of the recordsets owned by `name` in the zone."""
        params = {"zone_id": zone_id, "name": name}
        return set(_core(self.session).scalars(self._TYPES_AT, params))

    def inheriting_ttl(self, zone_id: str) -> Sequence[Recordset]:
        statement = select(Recordset).where(Recordset.zone_id == zone_id, Recordset.ttl.is_(None))
        return self.session.scalars(statement).all()

    def owned_in_zone(self, zone_id: str, project_id: str) -> int:
        """How many of the zone's recordsets `project_id` created (in a zone shared with it)."""
        statement = select(func.count()).where(
            Recordset.zone_id == zone_id, Recordset.project_id == project_id
        )
        return self.session.scalar(statement) or 0

    def counts_in_zone(self, zone_id: str) -> tuple[int, int]:
        """(recordsets, records) in the zone, in one round trip."""
        row = _core(self.session).execute(self._COUNTS, {"zone_id": zone_id}).one()
        return int(row[0]), int(row[1])

    def delete(self, recordset: Recordset) -> None:
        self.session.delete(recordset)
        self.session.flush()

    def in_zone(self, zone_id: str) -> Sequence[Recordset]:
        """Every recordset of the zone with its records."""
        return self.session.scalars(select(Recordset).where(Recordset.zone_id == zone_id)).all()

    def delete_all(self, recordsets: Sequence[Recordset]) -> None:
        """Delete these recordsets (their records go with them, by cascade) in one statement."""
        ids = [recordset.id for recordset in recordsets]
        if ids:
            _core(self.session).execute(delete(RECORDSETS).where(RECORDSETS.c.id.in_(ids)))

    def list(self, criteria: RecordsetFilter, page: PageRequest) -> Page[Recordset]:
        statement = select(Recordset).options(joinedload(Recordset.zone))
        if criteria.zone_id is not None:
            statement = statement.where(Recordset.zone_id == criteria.zone_id)
        if criteria.project_id is not None:
            statement = statement.where(Recordset.project_id == criteria.project_id)
        if criteria.exclude_types:
            statement = statement.where(Recordset.type.not_in(criteria.exclude_types))
        for column, value in (
            (Recordset.name, criteria.name),
            (Recordset.type, criteria.type),
            (Recordset.status, criteria.status),
            (Recordset.description, criteria.description),
        ):
            if value is not None:
                statement = statement.where(_match(column, value))
        if criteria.ttl is not None:
            statement = statement.where(Recordset.ttl == criteria.ttl)
        if criteria.data is not None:
            statement = statement.where(
                exists().where(
                    Record.recordset_id == Recordset.id, _match(Record.data, criteria.data)
                )
            )
        return _paged(self.session, Recordset, statement, self.SORT_KEYS, page)


class JournalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entries: Iterable[dict[str, Any]]) -> None:
        """One Core INSERT of every row; journal rows are never read back in the same
        transaction."""
        rows = list(entries)
        if rows:
            _core(self.session).execute(insert(JOURNAL), rows)

    def for_zone(self, zone_id: str) -> Sequence[JournalEntry]:
        statement = (
            select(JournalEntry)
            .where(JournalEntry.zone_id == zone_id)
            .order_by(JournalEntry.serial, JournalEntry.seq)
        )
        return self.session.scalars(statement).all()


class PoolRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": Pool.created_at,
        "id": Pool.id,
        "updated_at": func.coalesce(Pool.updated_at, EPOCH),
        "name": Pool.name,
    }
    _POOL = select(POOLS).where(POOLS.c.id == bindparam("pool_id"))
    _CHILDREN: tuple[tuple[str, type[Base], Select[Any]], ...] = tuple(
        (key, model, select(table).where(table.c.pool_id == bindparam("pool_id")).order_by(*order))
        for key, model, table, order in (
            ("targets", PoolTarget, POOL_TARGETS, [POOL_TARGETS.c.created_at]),
            ("nameservers", PoolNameserver, POOL_NAMESERVERS,
             [POOL_NAMESERVERS.c.host, POOL_NAMESERVERS.c.port]),
            ("also_notifies", PoolAlsoNotify, POOL_ALSO_NOTIFIES,
             [POOL_ALSO_NOTIFIES.c.host, POOL_ALSO_NOTIFIES.c.port]),
        )
    )  # fmt: skip
    _NS_HOSTNAMES = (
        select(POOLS.c.id, POOL_NS_RECORDS.c.hostname)
        .outerjoin(POOL_NS_RECORDS, POOL_NS_RECORDS.c.pool_id == POOLS.c.id)
        .where(POOLS.c.id == bindparam("pool_id"))
        .order_by(POOL_NS_RECORDS.c.priority, POOL_NS_RECORDS.c.hostname)
    )

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, pool_id: str) -> Pool | None:
        statement = select(Pool).options(joinedload(Pool.ns_records)).where(Pool.id == pool_id)
        return self.session.scalars(statement).unique().one_or_none()

    def snapshot(self, pool_id: str) -> Pool | None:
        """The pool with its targets, nameservers and also-notifies (in the relationships'
        order), read by Core into objects outside the session: four light statements."""
        connection = _core(self.session)
        params = {"pool_id": pool_id}
        row = connection.execute(self._POOL, params).one_or_none()
        if row is None:
            return None
        children = {
            key: [model(**child._mapping) for child in connection.execute(statement, params)]
            for key, model, statement in self._CHILDREN
        }
        return Pool(**row._mapping, **children)

    def ns_hostnames(self, pool_id: str) -> list[str] | None:
        """The pool's NS hostnames by priority (what a new zone's NS and SOA name); None when
        there is no such pool. One statement, none of the pool's other children loaded."""
        rows = _core(self.session).execute(self._NS_HOSTNAMES, {"pool_id": pool_id}).all()
        if not rows:
            return None
        return [hostname for _, hostname in rows if hostname is not None]

    def catalog_name(self, pool_id: str) -> str | None:
        """The name of the catalog zone the pool publishes, if it publishes one."""
        setting = _core(self.session).scalar(self._CATALOG_ZONE, {"pool_id": pool_id})
        return str(setting["catalog_zone_fqdn"]) if setting else None

    _CATALOG_ZONE = select(POOLS.c.catalog_zone).where(POOLS.c.id == bindparam("pool_id"))

    def list(self, criteria: PoolFilter, page: PageRequest) -> Page[Pool]:
        statement = select(Pool)
        if criteria.name is not None:
            statement = statement.where(_match(Pool.name, criteria.name))
        return _paged(self.session, Pool, statement, self.SORT_KEYS, page)

    def ids(self) -> Sequence[str]:
        return self.session.scalars(select(Pool.id).order_by(Pool.id)).all()

    def all(self, *, lock: bool = False) -> Sequence[Pool]:
        """Every pool by name; `lock` holds them so two pool updates run one after the other."""
        statement = select(Pool).order_by(Pool.name)
        if lock:
            statement = statement.with_for_update()
        return self.session.scalars(statement).all()

    def add(self, pool: Pool) -> None:
        self.session.add(pool)

    def delete(self, pool: Pool) -> None:
        self.session.delete(pool)

    def targets_in_use(self, target_ids: Sequence[str]) -> set[str]:
        """The targets among `target_ids` that still have a zone's state on them."""
        if not target_ids:
            return set()
        statement = select(ZoneTarget.target_id).where(ZoneTarget.target_id.in_(target_ids))
        return set(self.session.scalars(statement.distinct()))

    def retired_targets(self) -> Sequence[PoolTarget]:
        return self.session.scalars(select(PoolTarget).where(PoolTarget.retired)).all()


class TsigKeyRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": TsigKey.created_at,
        "id": TsigKey.id,
        "updated_at": func.coalesce(TsigKey.updated_at, EPOCH),
        "name": TsigKey.name,
        "algorithm": TsigKey.algorithm,
        "scope": TsigKey.scope,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_zone(self, zone_id: str) -> TsigKey | None:
        """The key of scope ZONE for this zone (the first by name, if several)."""
        statement = select(TsigKey).where(
            TsigKey.scope == TsigScope.ZONE, TsigKey.resource_id == zone_id
        )
        return self.session.scalars(statement.order_by(TsigKey.name).limit(1)).first()

    def all(self) -> Sequence[TsigKey]:
        return self.session.scalars(select(TsigKey).order_by(TsigKey.name)).all()

    def get(self, key_id: str) -> TsigKey | None:
        return self.session.get(TsigKey, key_id)

    def list(self, criteria: TsigKeyFilter, page: PageRequest) -> Page[TsigKey]:
        statement = select(TsigKey)
        for column, value in (
            (TsigKey.name, criteria.name),
            (TsigKey.algorithm, criteria.algorithm),
            (TsigKey.scope, criteria.scope),
            (TsigKey.resource_id, criteria.resource_id),
        ):
            if value is not None:
                statement = statement.where(_match(column, value))
        return _paged(self.session, TsigKey, statement, self.SORT_KEYS, page)

    def by_name(self, name: str) -> TsigKey | None:
        return self.session.scalars(select(TsigKey).where(TsigKey.name == name)).one_or_none()

    def add(self, key: TsigKey) -> None:
        self.session.add(key)
        self.session.flush()

    def delete(self, key: TsigKey) -> None:
        self.session.delete(key)


class TldRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": Tld.created_at,
        "id": Tld.id,
        "updated_at": func.coalesce(Tld.updated_at, EPOCH),
        "name": Tld.name,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, tld_id: str) -> Tld | None:
        return self.session.get(Tld, tld_id)

    def list(self, criteria: TldFilter, page: PageRequest) -> Page[Tld]:
        statement = select(Tld)
        for column, value in ((Tld.name, criteria.name), (Tld.description, criteria.description)):
            if value is not None:
                statement = statement.where(_match(column, value))
        return _paged(self.session, Tld, statement, self.SORT_KEYS, page)

    def among(self, names: Sequence[str]) -> tuple[bool, set[str]]:
        """Whether any TLD exists, and which of `names` are TLDs, in one statement: the
        first TLD by name comes along with the matches."""
        rows = set(_core(self.session).scalars(self._AMONG, {"names": list(names)}))
        return bool(rows), rows & set(names)

    _AMONG = select(TLDS.c.name).where(
        or_(
            TLDS.c.name.in_(bindparam("names", expanding=True)),
            TLDS.c.name == select(TLDS.c.name).order_by(TLDS.c.name).limit(1).scalar_subquery(),
        )
    )

    def add(self, tld: Tld) -> None:
        self.session.add(tld)
        self.session.flush()

    def delete(self, tld: Tld) -> None:
        self.session.delete(tld)


class BlacklistRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": Blacklist.created_at,
        "id": Blacklist.id,
        "updated_at": func.coalesce(Blacklist.updated_at, EPOCH),
        "pattern": Blacklist.pattern,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, blacklist_id: str) -> Blacklist | None:
        return self.session.get(Blacklist, blacklist_id)

    def list(self, criteria: BlacklistFilter, page: PageRequest) -> Page[Blacklist]:
        statement = select(Blacklist)
        for column, value in (
            (Blacklist.pattern, criteria.pattern),
            (Blacklist.description, criteria.description),
        ):
            if value is not None:
                statement = statement.where(_match(column, value))
        return _paged(self.session, Blacklist, statement, self.SORT_KEYS, page)

    def patterns(self) -> Sequence[str]:
        return _core(self.session).scalars(self._PATTERNS).all()

    _PATTERNS = select(BLACKLISTS.c.pattern).order_by(BLACKLISTS.c.pattern)

    def add(self, blacklist: Blacklist) -> None:
        self.session.add(blacklist)
        self.session.flush()

    def delete(self, blacklist: Blacklist) -> None:
        self.session.delete(blacklist)


class ZoneTaskRepository(Generic[T]):
    """Imports or exports, by the model given."""

    def __init__(self, session: Session, model: type[T]) -> None:
        self.session = session
        self.model: type[T] = model
        self.sort_keys: dict[str, Any] = {
            "created_at": model.created_at,
            "id": model.id,
            "updated_at": func.coalesce(model.updated_at, EPOCH),
            "status": model.status,
        }

    def get(self, task_id: str) -> T | None:
        return self.session.get(self.model, task_id)

    def list(self, criteria: ZoneTaskFilter, page: PageRequest) -> Page[T]:
        model = self.model
        statement = select(model)
        if criteria.project_id is not None:
            statement = statement.where(model.project_id == criteria.project_id)
        for column, value in (
            (model.status, criteria.status),
            (model.message, criteria.message),
            (model.zone_id, criteria.zone_id),
        ):
            if value is not None:
                statement = statement.where(_match(column, value))
        return _paged(self.session, model, statement, self.sort_keys, page)

    def add(self, task: T) -> None:
        self.session.add(task)
        self.session.flush()

    def delete(self, task: T) -> None:
        self.session.delete(task)


class TransferRepository:
    """Zone transfer requests and accepts, and the change of a zone's owner."""

    SORT_KEYS: dict[str, Any] = {
        "created_at": TransferRequest.created_at,
        "id": TransferRequest.id,
        "updated_at": func.coalesce(TransferRequest.updated_at, EPOCH),
        "status": TransferRequest.status,
        "zone_name": TransferRequest.zone_name,
    }
    ACCEPT_SORT_KEYS: dict[str, Any] = {
        "created_at": TransferAccept.created_at,
        "id": TransferAccept.id,
        "updated_at": func.coalesce(TransferAccept.updated_at, EPOCH),
        "status": TransferAccept.status,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    def request(self, request_id: str) -> TransferRequest | None:
        return self.session.get(TransferRequest, request_id)

    def active_request_for(self, zone_id: str) -> TransferRequest | None:
        statement = select(TransferRequest).where(
            TransferRequest.zone_id == zone_id, TransferRequest.status == "ACTIVE"
        )
        return self.session.scalars(statement.limit(1)).first()

    def requests(
        self, project_id: str | None, status: str | None, page: PageRequest
    ) -> Page[TransferRequest]:
        """Requests a project made or is offered (every one when `project_id` is None)."""
        statement = select(TransferRequest)
        if status is not None:
            statement = statement.where(_match(TransferRequest.status, status))
        if project_id is not None:
            statement = statement.where(
                or_(
                    TransferRequest.project_id == project_id,
                    TransferRequest.target_project_id == project_id,
                )
            )
        return _paged(self.session, TransferRequest, statement, self.SORT_KEYS, page)

    def accept(self, accept_id: str) -> TransferAccept | None:
        return self.session.get(TransferAccept, accept_id)

    def accepts(self, status: str | None, page: PageRequest) -> Page[TransferAccept]:
        statement = select(TransferAccept)
        if status is not None:
            statement = statement.where(_match(TransferAccept.status, status))
        return _paged(self.session, TransferAccept, statement, self.ACCEPT_SORT_KEYS, page)

    def add(self, row: TransferRequest | TransferAccept) -> None:
        self.session.add(row)
        self.session.flush()

    def delete(self, row: TransferRequest) -> None:
        self.session.delete(row)

    def change_owner(self, zone_id: str, project_id: str, now: datetime) -> None:
        """The zone and every recordset of it now belong to `project_id`."""
        self.session.execute(
            update(Zone)
            .where(Zone.id == zone_id)
            .values(project_id=project_id, transferred_at=now, updated_at=now)
        )
        self.session.execute(
            update(Recordset).where(Recordset.zone_id == zone_id).values(project_id=project_id)
        )


class SharedZoneRepository:
    SORT_KEYS: dict[str, Any] = {
        "created_at": SharedZone.created_at,
        "id": SharedZone.id,
        "updated_at": func.coalesce(SharedZone.updated_at, EPOCH),
        "target_project_id": SharedZone.target_project_id,
    }

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, share_id: str) -> SharedZone | None:
        return self.session.get(SharedZone, share_id)

    def shared_with(self, zone_id: str, project_id: str) -> bool:
        statement = select(
            exists().where(
                SharedZone.zone_id == zone_id, SharedZone.target_project_id == project_id
            )
        )
        return bool(self.session.scalar(statement))

    def for_zone(
        self, zone_id: str, target_project_id: str | None, page: PageRequest
    ) -> Page[SharedZone]:
        statement = select(SharedZone).where(SharedZone.zone_id == zone_id)
        if target_project_id is not None:
            statement = statement.where(_match(SharedZone.target_project_id, target_project_id))
        return _paged(self.session, SharedZone, statement, self.SORT_KEYS, page)

    def count(self, zone_id: str) -> int:
        statement = select(func.count()).where(SharedZone.zone_id == zone_id)
        return self.session.scalar(statement) or 0

    def add(self, share: SharedZone) -> None:
        self.session.add(share)
        self.session.flush()

    def delete(self, share: SharedZone) -> None:
        self.session.delete(share)
        self.session.flush()

    def delete_for_zone(self, zone_id: str) -> None:
        self.session.execute(delete(SharedZone).where(SharedZone.zone_id == zone_id))


class QuotaRepository:
    _FOR_PROJECT = select(QUOTAS.c.resource, QUOTAS.c.hard_limit).where(
        QUOTAS.c.project_id == bindparam("project_id")
    )

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_project(self, project_id: str) -> dict[str, int]:
        rows = _core(self.session).execute(self._FOR_PROJECT, {"project_id": project_id})
        return {row.resource: row.hard_limit for row in rows}

    def set(self, project_id: str, resource: str, hard_limit: int) -> None:
        quota = self.session.scalars(
            select(Quota).where(Quota.project_id == project_id, Quota.resource == resource)
        ).one_or_none()
        if quota is None:
            self.session.add(Quota(project_id=project_id, resource=resource, hard_limit=hard_limit))
        else:
            quota.hard_limit = hard_limit
        self.session.flush()

    def reset(self, project_id: str) -> None:
        """The project back on the configured defaults."""
        self.session.execute(delete(Quota).where(Quota.project_id == project_id))


class EventRepository:
    """The zones' timelines (append only)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: ZoneEvent) -> None:
        """INSERT by Core; the object stays out of the session."""
        self.add_all([event])

    def add_all(self, events: Sequence[ZoneEvent]) -> None:
        """One INSERT of many steps (executemany); none where the timeline is off."""
        rows = [insert_values(event, EVENTS) for event in events]
        if rows and self.session.info.get("timeline", True):
            _core(self.session).execute(insert(EVENTS), rows)

    def last_request(self, zone_id: str) -> str | None:
        """The request id of the zone's latest API write: the worker's steps carry it."""
        found = _core(self.session).execute(self._LAST_REQUEST, {"zone_id": zone_id}).first()
        return found[0] if found is not None else None

    _LAST_REQUEST = (
        select(EVENTS.c.request_id)
        .where(EVENTS.c.zone_id == bindparam("zone_id"), EVENTS.c.role == "api")
        .order_by(EVENTS.c.id.desc())
        .limit(1)
    )


class Repositories:
    """Every repository, bound to one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.zones = ZoneRepository(session)
        self.recordsets = RecordsetRepository(session)
        self.journal = JournalRepository(session)
        self.events = EventRepository(session)
        self.pools = PoolRepository(session)
        self.quotas = QuotaRepository(session)
        self.tlds = TldRepository(session)
        self.blacklists = BlacklistRepository(session)
        self.transfers = TransferRepository(session)
        self.shares = SharedZoneRepository(session)
