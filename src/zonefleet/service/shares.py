"""Shared zones (Designate's /v2/zones/{id}/shares): the owner shares a zone with another
project, which may then see it, list it among its zones, and add recordsets to it; it
changes only the recordsets it added. A share goes only once that project holds nothing in
the zone any more; a shared zone is deleted only with X-Designate-Delete-Shares."""

from __future__ import annotations

from zonefleet.errors import (
    BadRequestError,
    DuplicateSharedZoneError,
    SharedZoneHasRecordsetsError,
    SharedZoneHasSubZoneError,
    SharedZoneNotFound,
)
from zonefleet.service.context import RequestContext
from zonefleet.service.events import api_write
from zonefleet.service.zones import refuse_if_catalog, refuse_if_deleting, visible_zone
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest
from zonefleet.storage.models import SharedZone, Zone, new_id
from zonefleet.storage.repositories import Repositories


class ShareService:
    """Raises only Zonefleet errors."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @retried
    def share(self, ctx: RequestContext, zone_id: str, target_project_id: str) -> SharedZone:
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            if target_project_id == zone.project_id:
                raise BadRequestError("Cannot share the zone with the zone owner.")
            if repos.shares.shared_with(zone.id, target_project_id):
                raise DuplicateSharedZoneError()
            share = SharedZone(id=new_id(), zone_id=zone.id, project_id=zone.project_id,
                               target_project_id=target_project_id)  # fmt: skip
            repos.shares.add(share)
            repos.zones.set_shared(zone.id, True)
            api_write(repos, ctx, zone, "zone shared", target_project_id)
        return share

    def find_shares(
        self, ctx: RequestContext, zone_id: str, target_project_id: str | None, page: PageRequest
    ) -> Page[SharedZone]:
        """Every share of the zone for its owner; for a project it is shared with, its own."""
        with self.database.read() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, shared=True)
            if not _owns(ctx, zone):
                target_project_id = ctx.project_id
            return repos.shares.for_zone(zone.id, target_project_id, page)

    def get_share(self, ctx: RequestContext, zone_id: str, share_id: str) -> SharedZone:
        with self.database.read() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, shared=True)
            share = repos.shares.get(share_id)
        if share is None or share.zone_id != zone.id:
            raise SharedZoneNotFound()
        if not _owns(ctx, zone) and share.target_project_id != ctx.project_id:
            raise SharedZoneNotFound()
        return share

    @retried
    def unshare(self, ctx: RequestContext, zone_id: str, share_id: str) -> None:
        """Refused while the project holds recordsets in the zone or zones below it."""
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            share = repos.shares.get(share_id)
            if share is None or share.zone_id != zone.id:
                raise SharedZoneNotFound()
            target = share.target_project_id
            if repos.recordsets.owned_in_zone(zone.id, target):
                raise SharedZoneHasRecordsetsError()
            if repos.zones.has_children_of(zone.id, target):
                raise SharedZoneHasSubZoneError()
            repos.shares.delete(share)
            if not repos.shares.count(zone.id):
                repos.zones.set_shared(zone.id, False)
            api_write(repos, ctx, zone, "zone unshared", target)


def _owns(ctx: RequestContext, zone: Zone) -> bool:
    return ctx.sees(zone.project_id)
