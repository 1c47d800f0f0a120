"""Queries over the models, one repository per table family, bound to one session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from zonefleet.errors import MarkerNotFound
from zonefleet.storage.filters import Page, PageRequest, RecordsetFilter, ZoneFilter
from zonefleet.storage.models import (
    EPOCH,
    LIVE,
    Action,
    JournalEntry,
    Pool,
    PoolTarget,
    Quota,
    Record,
    Recordset,
    TsigKey,
    Zone,
    ZoneTarget,
)

M = TypeVar("M", Zone, Recordset)


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

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, zone: Zone) -> None:
        self.session.add(zone)

    def get(self, zone_id: str, *, lock: bool = False) -> Zone | None:
        statement = select(Zone).where(Zone.id == zone_id, Zone.deleted == LIVE)
        if lock:
            statement = statement.with_for_update()
        return self.session.scalars(statement).one_or_none()

    def live_by_names(self, names: Sequence[str]) -> Sequence[Zone]:
        if not names:
            return []
        statement = select(Zone).where(Zone.name.in_(names), Zone.deleted == LIVE)
        return self.session.scalars(statement).all()

    def live_descendants(self, reverse_name: str) -> Sequence[Zone]:
        """Zones strictly below the zone whose reversed name is given."""
        # "/" sorts right after "." in byte order: the range holds every "org.example.*".
        upper = reverse_name[:-1] + "/"
        statement = select(Zone).where(
            Zone.reverse_name > reverse_name, Zone.reverse_name < upper, Zone.deleted == LIVE
        )
        return self.session.scalars(statement).all()

    def has_children(self, zone_id: str) -> bool:
        statement = select(exists().where(Zone.parent_zone_id == zone_id, Zone.deleted == LIVE))
        return bool(self.session.scalar(statement))

    def children(self, zone_id: str) -> Sequence[Zone]:
        statement = select(Zone).where(Zone.parent_zone_id == zone_id, Zone.deleted == LIVE)
        return self.session.scalars(statement).all()

    def set_parent(self, zone_ids: Sequence[str], parent_zone_id: str | None) -> None:
        if zone_ids:
            self.session.execute(
                update(Zone).where(Zone.id.in_(zone_ids)).values(parent_zone_id=parent_zone_id)
            )

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
        statement = select(func.count()).where(Zone.project_id == project_id, Zone.deleted == LIVE)
        return self.session.scalar(statement) or 0

    def list(self, criteria: ZoneFilter, page: PageRequest) -> Page[Zone]:
        statement = select(Zone).where(Zone.deleted == LIVE)
        if criteria.project_id is not None:
            statement = statement.where(Zone.project_id == criteria.project_id)
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

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, recordset: Recordset) -> None:
        self.session.add(recordset)

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

    def at_name(self, zone_id: str, name: str) -> Sequence[Recordset]:
        statement = select(Recordset).where(Recordset.zone_id == zone_id, Recordset.name == name)
        return self.session.scalars(statement).all()

    def inheriting_ttl(self, zone_id: str) -> Sequence[Recordset]:
        statement = select(Recordset).where(Recordset.zone_id == zone_id, Recordset.ttl.is_(None))
        return self.session.scalars(statement).all()

    def counts_in_zone(self, zone_id: str) -> tuple[int, int]:
        """(recordsets, records) in the zone, in one round trip."""
        recordsets = select(func.count()).where(Recordset.zone_id == zone_id).scalar_subquery()
        records = select(func.count()).where(Record.zone_id == zone_id).scalar_subquery()
        row = self.session.execute(select(recordsets, records)).one()
        return int(row[0]), int(row[1])

    def delete(self, recordset: Recordset) -> None:
        self.session.delete(recordset)
        self.session.flush()

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
        """One executemany INSERT; journal rows are never read back in the same transaction."""
        rows = list(entries)
        if rows:
            self.session.execute(insert(JournalEntry), rows)

    def for_zone(self, zone_id: str) -> Sequence[JournalEntry]:
        statement = (
            select(JournalEntry)
            .where(JournalEntry.zone_id == zone_id)
            .order_by(JournalEntry.serial, JournalEntry.seq)
        )
        return self.session.scalars(statement).all()


class PoolRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, pool_id: str) -> Pool | None:
        statement = select(Pool).options(joinedload(Pool.ns_records)).where(Pool.id == pool_id)
        return self.session.scalars(statement).unique().one_or_none()

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
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> Sequence[TsigKey]:
        return self.session.scalars(select(TsigKey).order_by(TsigKey.name)).all()

    def by_name(self, name: str) -> TsigKey | None:
        return self.session.scalars(select(TsigKey).where(TsigKey.name == name)).one_or_none()

    def add(self, key: TsigKey) -> None:
        self.session.add(key)
        self.session.flush()

    def delete(self, key: TsigKey) -> None:
        self.session.delete(key)


class QuotaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_project(self, project_id: str) -> dict[str, int]:
        statement = select(Quota.resource, Quota.hard_limit).where(Quota.project_id == project_id)
        return {row.resource: row.hard_limit for row in self.session.execute(statement)}

    def set(self, project_id: str, resource: str, hard_limit: int) -> None:
        quota = self.session.scalars(
            select(Quota).where(Quota.project_id == project_id, Quota.resource == resource)
        ).one_or_none()
        if quota is None:
            self.session.add(Quota(project_id=project_id, resource=resource, hard_limit=hard_limit))
        else:
            quota.hard_limit = hard_limit
        self.session.flush()


class Repositories:
    """Every repository, bound to one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.zones = ZoneRepository(session)
        self.recordsets = RecordsetRepository(session)
        self.journal = JournalRepository(session)
        self.pools = PoolRepository(session)
        self.quotas = QuotaRepository(session)
