"""Quotas with Designate's names and defaults: per-project overrides over the settings, and
Designate's /v2/quotas and /v2/limits: a project's limits read by its readers and admins,
set and reset by admins; the limits a caller's own project runs under."""

from __future__ import annotations

from typing import TypeGuard

from zonefleet.errors import FieldError, ForbiddenError, InvalidObjectError, OverQuotaError
from zonefleet.service.context import RequestContext
from zonefleet.settings import ApiSettings, QuotaSettings, ZoneSettings
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
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


MAX_LIMIT = 2147483647


class QuotaService:
    """Raises only Zonefleet errors."""

    def __init__(
        self,
        database: Database,
        policy: QuotaPolicy,
        zone_settings: ZoneSettings,
        api_settings: ApiSettings,
    ) -> None:
        self.database = database
        self.policy = policy
        self.zone_settings = zone_settings
        self.api_settings = api_settings

    def get_quotas(self, ctx: RequestContext, project_id: str | None = None) -> dict[str, int]:
        """Every quota of the project (the caller's own without one): admins may read any
        project's, everyone else only their own."""
        wanted = project_id or ctx.project_id or ""
        if wanted != ctx.project_id and not ctx.is_admin:
            raise ForbiddenError("Policy doesn't allow get_quotas to be performed.")
        with self.database.read() as session:
            return self.policy.limits(Repositories(session), wanted)

    @retried
    def set_quotas(
        self, ctx: RequestContext, project_id: str, values: dict[str, object]
    ) -> dict[str, int]:
        """Set some of the project's quotas (all checked first); every quota after."""
        ctx.require_admin("set_quota")
        reasons = [
            FieldError((resource,), f"{resource!r} is not a quota", "additionalProperties")
            for resource in values
            if resource not in RESOURCES
        ]
        checked = {resource: value for resource, value in values.items()
                   if resource in RESOURCES and _quota_value(value)}  # fmt: skip
        reasons += [
            FieldError((resource,), f"{value!r} is not an integer from -1 to {MAX_LIMIT}", "type")
            for resource, value in values.items()
            if resource in RESOURCES and resource not in checked
        ]
        if not values:
            reasons.append(FieldError((), "no quota to set", "minProperties"))
        if reasons:
            raise InvalidObjectError(reasons)
        with self.database.write() as session:
            repos = Repositories(session)
            for resource, limit in checked.items():
                repos.quotas.set(project_id, resource, limit)
            return self.policy.limits(repos, project_id)

    @retried
    def reset_quotas(self, ctx: RequestContext, project_id: str) -> None:
        """Back to the configured defaults."""
        ctx.require_admin("reset_quotas")
        with self.database.write() as session:
            Repositories(session).quotas.reset(project_id)

    def limits(self, ctx: RequestContext) -> dict[str, int]:
        """Designate's limits: the caller's project's quotas and the configured bounds."""
        with self.database.read() as session:
            quotas = self.policy.limits(Repositories(session), ctx.project_id or "")
        return {
            "max_page_limit": self.api_settings.max_limit,
            "max_recordset_name_length": self.zone_settings.max_recordset_name_len,
            "max_recordset_records": quotas["recordset_records"],
            "max_zone_name_length": self.zone_settings.max_zone_name_len,
            "max_zone_records": quotas["zone_records"],
            "max_zone_recordsets": quotas["zone_recordsets"],
            "max_zones": quotas["zones"],
            "min_ttl": self.zone_settings.min_ttl,
        }


def _quota_value(value: object) -> TypeGuard[int]:
    """An integer from -1 (no limit) to the largest Designate takes; not a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and -1 <= value <= MAX_LIMIT
