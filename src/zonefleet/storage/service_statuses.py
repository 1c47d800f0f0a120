"""Queries on `service_statuses`: heartbeats written, silent processes marked DOWN, old rows
purged, and the rows the API lists (paged, filtered, sorted, as shown)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from zonefleet.errors import MarkerNotFound
from zonefleet.storage.filters import Page, PageRequest, ServiceStatusFilter
from zonefleet.storage.models import EPOCH, ServiceState, ServiceStatus
from zonefleet.storage.repositories import _match

# Rows and the status each shows.
Shown = Select[ServiceStatus, str]


def shown_status(silent_since: datetime | None) -> ColumnElement[str]:
    """The status a row shows: DOWN once its last heartbeat is older than `silent_since`."""
    if silent_since is None:
        return ServiceStatus.status.expression
    silent = ServiceStatus.heartbeated_at < silent_since
    return case((silent, literal(ServiceState.DOWN.value)), else_=ServiceStatus.status)


class ServiceStatusRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def beat(
        self,
        row_id: str,
        *,
        service_name: str,
        hostname: str,
        status: ServiceState,
        stats: dict[str, Any],
        capabilities: dict[str, Any],
        now: datetime,
    ) -> None:
        """Write one heartbeat: the row is made on the first and updated after."""
        values = {"status": status, "stats": stats, "capabilities": capabilities,
                  "heartbeated_at": now}  # fmt: skip
        connection = self.session.connection()
        updated = connection.execute(
            update(ServiceStatus).where(ServiceStatus.id == row_id).values(updated_at=now, **values)
        )
        if updated.rowcount == 0:
            connection.execute(
                insert(ServiceStatus).values(id=row_id, service_name=service_name,
                                             hostname=hostname, created_at=now, **values)
            )  # fmt: skip

    def mark_silent_down(self, silent_since: datetime, now: datetime) -> int:
        """Processes whose last heartbeat is older than `silent_since` show DOWN."""
        statement = (
            update(ServiceStatus)
            .where(
                ServiceStatus.status != ServiceState.DOWN,
                ServiceStatus.heartbeated_at < silent_since,
            )
            .values(status=ServiceState.DOWN, updated_at=now)
        )
        return self.session.connection().execute(statement).rowcount

    def purge_down(self, before: datetime) -> int:
        statement = delete(ServiceStatus).where(
            ServiceStatus.status == ServiceState.DOWN, ServiceStatus.heartbeated_at < before
        )
        return self.session.connection().execute(statement).rowcount

    def get(self, row_id: str, silent_since: datetime | None = None) -> ServiceStatus | None:
        """The row as shown (see `shown_status`), or None."""
        statement = select(ServiceStatus, shown_status(silent_since)).where(
            ServiceStatus.id == row_id
        )
        shown = _as_shown(self.session.execute(statement).all())
        return shown[0] if shown else None

    def all(self) -> list[ServiceStatus]:
        return list(self.session.scalars(select(ServiceStatus).order_by(ServiceStatus.created_at)))

    def list(
        self,
        criteria: ServiceStatusFilter,
        page: PageRequest,
        silent_since: datetime | None = None,
    ) -> Page[ServiceStatus]:
        """One page of rows as shown, keyset-paged on (sort key, id) like the zones list;
        MarkerNotFound when the marker is no row's id."""
        status = shown_status(silent_since)
        statement = select(ServiceStatus, status)
        for column, value in (
            (ServiceStatus.hostname, criteria.hostname),
            (ServiceStatus.service_name, criteria.service_name),
            (status, criteria.status),
        ):
            if value is not None:
                statement = statement.where(_match(column, value))
        total = None
        if page.with_count:
            counted = select(func.count()).select_from(statement.subquery())
            total = self.session.scalar(counted) or 0
        sort = self._sort_expression(page.sort_key, status)
        statement = self._after_marker(statement, sort, page)
        if page.sort_dir == "asc":
            statement = statement.order_by(sort.asc(), ServiceStatus.id.asc())
        else:
            statement = statement.order_by(sort.desc(), ServiceStatus.id.desc())
        items = _as_shown(self.session.execute(statement.limit(page.limit + 1)).all())
        return Page(items=items[: page.limit], total_count=total, has_more=len(items) > page.limit)

    @staticmethod
    def _sort_expression(sort_key: str, status: ColumnElement[str]) -> ColumnElement[Any]:
        expressions: dict[str, ColumnElement[Any]] = {
            "created_at": ServiceStatus.created_at.expression,
            "id": ServiceStatus.id.expression,
            "updated_at": func.coalesce(ServiceStatus.updated_at, EPOCH),
            "hostname": ServiceStatus.hostname.expression,
            "service_name": ServiceStatus.service_name.expression,
            "status": status,
        }
        return expressions[sort_key]

    def _after_marker(self, statement: Shown, sort: ColumnElement[Any], page: PageRequest) -> Shown:
        if page.marker is None:
            return statement
        found = self.session.execute(
            select(sort).where(ServiceStatus.id == page.marker)
        ).one_or_none()
        if found is None:
            raise MarkerNotFound(f"Marker {page.marker} could not be found")
        value = found[0]
        ascending = page.sort_dir == "asc"
        after = sort > value if ascending else sort < value
        beyond = ServiceStatus.id > page.marker if ascending else ServiceStatus.id < page.marker
        return statement.where(or_(after, and_(sort == value, beyond)))


def _as_shown(rows: Sequence[Row[ServiceStatus, str]]) -> list[ServiceStatus]:
    """The rows with the status they show set as loaded, so no flush ever writes it."""
    shown = []
    for row, status in rows:
        set_committed_value(row, "status", status)
        shown.append(row)
    return shown
