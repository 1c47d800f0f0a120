"""Factories for contexts and requests used across the service tests."""

from __future__ import annotations

from sqlalchemy import func, select

from zonefleet.api.deps import ApiServices
from zonefleet.service.context import RequestContext
from zonefleet.service.recordsets import RecordsetCreate
from zonefleet.service.zones import ZoneCreate
from zonefleet.storage.database import Database
from zonefleet.storage.models import JournalEntry, Record, Recordset, Zone


def ctx(project: str = "p1", *roles: str, **flags: bool) -> RequestContext:
    return RequestContext.build(
        project_id=project,
        user_id="u1",
        roles=frozenset(roles or ("member",)),
        request_id="req-test",
        **flags,
    )


def admin(project: str = "p1", **flags: bool) -> RequestContext:
    return ctx(project, "admin", **flags)


def zone_request(name: str = "example.org.", **fields: object) -> ZoneCreate:
    values: dict[str, object] = {"email": "hostmaster@example.org", **fields}
    return ZoneCreate(name=name, **values)  # type: ignore[arg-type]


def rs_request(name: str, rdtype: str, *records: str, ttl: int | None = None) -> RecordsetCreate:
    return RecordsetCreate(name=name, type=rdtype, records=list(records), ttl=ttl)


def snapshot(database: Database) -> tuple[int, ...]:
    """Row counts and serial/version sums: equal snapshots mean nothing changed."""
    with database.read() as session:
        return tuple(
            session.scalar(query) or 0
            for query in (
                select(func.count()).select_from(Zone),
                select(func.count()).select_from(Recordset),
                select(func.count()).select_from(Record),
                select(func.count()).select_from(JournalEntry),
                select(func.sum(Zone.serial)),
                select(func.sum(Zone.version)),
                select(func.sum(Recordset.version)),
            )
        )


def make_zone(services: ApiServices, name: str = "example.org.", project: str = "p1") -> Zone:
    return services.zones.create_zone(ctx(project), zone_request(name))
