"""Zone exports (Designate's /v2/zones/tasks/exports, synchronous as Designate's default):
the task completes when it is made, and its zone file is rendered when it is fetched, from
exactly what mdns serves for the zone at that moment."""

from __future__ import annotations

from dataclasses import replace

from zonefleet.errors import ZoneExportNotFound
from zonefleet.mdns.store import ZoneStore
from zonefleet.service.context import RequestContext
from zonefleet.service.quotas import QuotaPolicy
from zonefleet.service.tasks import visible_task
from zonefleet.service.zones import visible_zone
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, ZoneTaskFilter
from zonefleet.storage.models import TaskStatus, Zone, ZoneExport, new_id
from zonefleet.storage.repositories import Repositories, ZoneTaskRepository


def export_location(export_id: str) -> str:
    """Where Designate says a synchronous export's file is: this API's own route."""
    return f"designate://v2/zones/tasks/exports/{export_id}/export"


class ExportService:
    """Exports are the project's: seen and deleted by it (or by all-projects admins)."""

    def __init__(self, database: Database, quotas: QuotaPolicy) -> None:
        self.database = database
        self.quotas = quotas

    @retried
    def create_export(self, ctx: RequestContext, zone_id: str) -> ZoneExport:
        """A COMPLETE export of a zone the caller may see; OverQuotaError (413) when the zone
        has more recordsets than the project's api_export_size."""
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id)
            limits = self.quotas.limits(repos, zone.project_id)
            if self.quotas.limited(limits, "api_export_size"):
                recordsets, _ = repos.recordsets.counts_in_zone(zone.id)
                self.quotas.check(limits, "api_export_size", recordsets)
            export_id = new_id()
            export = ZoneExport(
                id=export_id, project_id=zone.project_id, zone_id=zone.id,
                status=TaskStatus.COMPLETE, location=export_location(export_id),
            )  # fmt: skip
            ZoneTaskRepository(session, ZoneExport).add(export)
        return export

    def find_exports(
        self, ctx: RequestContext, criteria: ZoneTaskFilter, page: PageRequest
    ) -> Page[ZoneExport]:
        criteria = replace(criteria, project_id=ctx.visible_project())
        with self.database.read() as session:
            return ZoneTaskRepository(session, ZoneExport).list(criteria, page)

    def get_export(self, ctx: RequestContext, export_id: str) -> ZoneExport:
        with self.database.read() as session:
            return visible_task(
                ZoneTaskRepository(session, ZoneExport), ctx, export_id, ZoneExportNotFound
            )

    @retried
    def delete_export(self, ctx: RequestContext, export_id: str) -> None:
        ctx.require_write()
        with self.database.write() as session:
            exports = ZoneTaskRepository(session, ZoneExport)
            exports.delete(visible_task(exports, ctx, export_id, ZoneExportNotFound))

    def zone_file(self, ctx: RequestContext, export_id: str) -> str:
        """The export's zone in master-file form: $ORIGIN, $TTL, then every RRset as mdns
        serves it, SOA first, all names absolute."""
        with self.database.read() as session:
            repos = Repositories(session)
            export = visible_task(
                ZoneTaskRepository(session, ZoneExport), ctx, export_id, ZoneExportNotFound
            )
            zone: Zone = visible_zone(repos, ctx, export.zone_id)
        lines = [f"$ORIGIN {zone.name}", f"$TTL {zone.ttl}"]
        lines += [rrset.to_text() for rrset in ZoneStore(self.database).transfer(zone.id)]
        return "\n".join(lines) + "\n"
