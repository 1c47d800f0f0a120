"""What the services tell outside consumers after a commit: Designate's event types
(`dns.zone.create`, `dns.recordset.update`, …) with the changed object as the payload.

The transport is the caller's (bus/notifications.py sends them over RabbitMQ in
oslo.messaging's envelope); a notification is sent after its change is committed
and never fails the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from zonefleet.service.context import RequestContext
from zonefleet.storage.models import Recordset, Zone


class Notifier(Protocol):
    def notify(self, context: dict[str, Any], event_type: str, payload: dict[str, Any]) -> None: ...


class NoNotifications:
    """Notifications switched off (`notifications.enabled = false`)."""

    def notify(self, context: dict[str, Any], event_type: str, payload: dict[str, Any]) -> None:
        return None

    def close(self) -> None:
        return None


def request_context(ctx: RequestContext) -> dict[str, Any]:
    """The request's identity under oslo.context's key names, for the `_context_*` fields."""
    return {
        "request_id": ctx.request_id,
        "user_id": ctx.user_id,
        "project_id": ctx.project_id,
        "tenant": ctx.project_id,
        "roles": sorted(ctx.roles),
        "is_admin": ctx.is_admin,
        "all_tenants": ctx.all_projects,
        "edit_managed": ctx.edit_managed,
    }


def zone_payload(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id,
        "pool_id": zone.pool_id,
        "project_id": zone.project_id,
        "tenant_id": zone.project_id,
        "name": zone.name,
        "email": zone.email,
        "ttl": zone.ttl,
        "serial": zone.serial,
        "refresh": zone.refresh,
        "retry": zone.retry,
        "expire": zone.expire,
        "minimum": zone.minimum,
        "status": zone.status,
        "action": zone.action,
        "type": zone.type,
        "description": zone.description,
        "masters": list(zone.masters),
        "attributes": dict(zone.attributes),
        "version": zone.version,
        "created_at": _when(zone.created_at),
        "updated_at": _when(zone.updated_at),
        "transferred_at": _when(zone.transferred_at),
    }


def recordset_payload(recordset: Recordset) -> dict[str, Any]:
    return {
        "id": recordset.id,
        "zone_id": recordset.zone_id,
        "zone_name": recordset.zone_name,
        "project_id": recordset.project_id,
        "tenant_id": recordset.project_id,
        "name": recordset.name,
        "type": recordset.type,
        "ttl": recordset.ttl,
        "records": [{"data": record.data} for record in recordset.records],
        "description": recordset.description,
        "status": recordset.status,
        "action": recordset.action,
        "version": recordset.version,
        "created_at": _when(recordset.created_at),
        "updated_at": _when(recordset.updated_at),
    }


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
