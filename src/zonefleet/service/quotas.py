"""Quotas with Designate's names and defaults: per-project overrides over the settings."""

from __future__ import annotations

from zonefleet.errors import OverQuotaError
from zonefleet.settings import QuotaSettings
from zonefleet.storage.repositories import Repositories

RESOURCES = ("zones", "zone_recordsets", "zone_records", "recordset_records", "api_export_size")


class QuotaPolicy:
    """Reads a project's limits and refuses what would exceed them."""

    def __init__(self, defaults: QuotaSettings) -> None:
        self.defaults = defaults

    def limits(self, repos: Repositories, project_id: str) -> dict[str, int]:
        limits = {resource: int(getattr(self.defaults, resource)) for resource in RESOURCES}
        limits.update(repos.quotas.for_project(project_id))
        return limits

    @staticmethod
    def limited(limits: dict[str, int], resource: str) -> bool:
        """Whether the resource has a limit at all (-1 is none): counting it can be skipped."""
        return limits[resource] >= 0

    @staticmethod
    def check(limits: dict[str, int], resource: str, wanted: int) -> None:
        """Raise OverQuotaError when `wanted` (the count after the change) exceeds the limit."""
        limit = limits[resource]
        if limit >= 0 and wanted > limit:
            raise OverQuotaError(f"Quota exceeded for {resource}.")
