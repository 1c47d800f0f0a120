"""The API's steps in a zone's timeline: which request changed it, and to which serial."""

from __future__ import annotations

from zonefleet.service.context import RequestContext
from zonefleet.storage.models import Zone, ZoneEvent
from zonefleet.storage.repositories import Repositories


def api_write(
    repos: Repositories, ctx: RequestContext, zone: Zone, event: str, detail: str
) -> None:
    """Add the write to the zone's timeline, in the write's own transaction."""
    repos.events.add(
        ZoneEvent(
            zone_id=zone.id,
            role="api",
            subject=ctx.project_id,
            event=event,
            detail=detail,
            serial=zone.serial,
            request_id=ctx.request_id or None,
        )
    )
