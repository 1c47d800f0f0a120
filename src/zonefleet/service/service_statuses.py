"""Service statuses: the heartbeat rows of every process, read by admins as Designate shows
them (a process silent for longer than `down_after` shows DOWN)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from zonefleet.errors import ServiceStatusNotFound
from zonefleet.service.context import RequestContext
from zonefleet.settings import HeartbeatSettings
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, ServiceStatusFilter
from zonefleet.storage.models import ServiceStatus, utcnow
from zonefleet.storage.service_statuses import ServiceStatusRepository


class ServiceStatusService:
    """Read-only and admin-only (Designate's policy "A"); raises only Zonefleet errors."""

    def __init__(
        self,
        database: Database,
        heartbeat_settings: HeartbeatSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.heartbeat_settings = heartbeat_settings
        self.clock = clock

    def list_service_statuses(
        self, ctx: RequestContext, criteria: ServiceStatusFilter, page: PageRequest
    ) -> Page[ServiceStatus]:
        """One page of rows as shown; ForbiddenError for a non-admin, MarkerNotFound."""
        ctx.require_admin("find_service_statuses")
        with self.database.read() as session:
            return ServiceStatusRepository(session).list(criteria, page, self._silent_since())

    def get_service_status(self, ctx: RequestContext, status_id: str) -> ServiceStatus:
        """The row as shown; ForbiddenError for a non-admin, ServiceStatusNotFound."""
        ctx.require_admin("find_service_status")
        with self.database.read() as session:
            found = ServiceStatusRepository(session).get(status_id, self._silent_since())
        if found is None:
            raise ServiceStatusNotFound()
        return found

    def _silent_since(self) -> datetime:
        """A row whose last heartbeat is older than this shows DOWN."""
        return self.clock() - timedelta(seconds=self.heartbeat_settings.down_after)
