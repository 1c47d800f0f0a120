"""A zone's timeline: every step of every change, from the API write to each nameserver.

The API adds its step (`service/events.py`) in the write's own transaction; the worker, the
producer and mdns add theirs. `TimelineService` reads them (`GET /v2/zones/{id}/timeline`,
an extension of ours, and `zonefleet zone timeline`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from zonefleet.errors import ZoneNotFound
from zonefleet.service.context import RequestContext
from zonefleet.service.zones import visible_zone
from zonefleet.storage.database import Database
from zonefleet.storage.repositories import Repositories
from zonefleet.storage.timeline import TimelineRepository


@dataclass(frozen=True)
class Step:
    """One step: who (role, and the target, nameserver, worker or project it concerns)
    did what, at which zone serial, for which API request."""

    id: int
    at: datetime
    role: str
    subject: str | None
    event: str
    detail: str | None
    serial: int | None
    request_id: str | None


@dataclass(frozen=True)
class Timeline:
    zone_id: str
    steps: Sequence[Step]
    has_more: bool


class TimelineService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get_timeline(
        self,
        ctx: RequestContext,
        zone_id: str,
        *,
        after: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> Timeline:
        """The steps of a zone the caller may see (raises ZoneNotFound otherwise)."""
        with self.database.read() as session:
            visible_zone(Repositories(session), ctx, zone_id)
            return _read(TimelineRepository(session), zone_id, after, limit, newest_first)

    def find_timeline(
        self, zone: str, *, after: int | None = None, limit: int = 100, newest_first: bool = False
    ) -> Timeline:
        """For operators (no project scope): `zone` is a zone id or name; a deleted zone's
        timeline is found while it is kept."""
        with self.database.read() as session:
            found = TimelineRepository(session)
            zone_id = _as_id(zone) or found.zone_named(_absolute(zone))
            if zone_id is None:
                raise ZoneNotFound(f"no zone named {zone}")
            timeline = _read(found, zone_id, after, limit, newest_first)
        if not timeline.steps and after is None:
            raise ZoneNotFound(f"no timeline for zone {zone}")
        return timeline


def _read(
    found: TimelineRepository, zone_id: str, after: int | None, limit: int, newest_first: bool
) -> Timeline:
    rows = found.steps(zone_id, after=after, limit=limit + 1, newest_first=newest_first)
    steps = [
        Step(row.id, row.at, row.role, row.subject, row.event, row.detail, row.serial,
             row.request_id)
        for row in rows[:limit]
    ]  # fmt: skip
    return Timeline(zone_id, steps, has_more=len(rows) > limit)


def _as_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _absolute(name: str) -> str:
    return name.lower() if name.endswith(".") else name.lower() + "."
