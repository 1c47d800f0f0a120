"""Designate's JSON views of zones and recordsets (what every v2 client parses), and of
our zone extensions (propagation, timeline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from zonefleet.service.propagation import Propagation
from zonefleet.service.timeline import Timeline
from zonefleet.storage.models import Recordset, Zone


def timestamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def zone_view(zone: Zone, base: str) -> dict[str, Any]:
    return {
        "id": zone.id,
        "pool_id": zone.pool_id,
        "project_id": zone.project_id,
        "name": zone.name,
        "email": zone.email,
        "ttl": zone.ttl,
        "serial": zone.serial,
        "status": zone.status,
        "action": zone.action,
        "description": zone.description,
        "masters": list(zone.masters),
        "type": zone.type,
        "transferred_at": timestamp(zone.transferred_at),
        "version": zone.version,
        "created_at": timestamp(zone.created_at),
        "updated_at": timestamp(zone.updated_at),
        "attributes": dict(zone.attributes),
        "shared": bool(zone.shared),
        "links": {"self": f"{base}v2/zones/{zone.id}"},
    }


def recordset_view(recordset: Recordset, base: str) -> dict[str, Any]:
    return {
        "id": recordset.id,
        "zone_id": recordset.zone_id,
        "zone_name": recordset.zone_name,
        "project_id": recordset.project_id,
        "name": recordset.name,
        "type": recordset.type,
        "records": [record.data for record in recordset.records],
        "ttl": recordset.ttl,
        "description": recordset.description,
        "status": recordset.status,
        "action": recordset.action,
        "version": recordset.version,
        "created_at": timestamp(recordset.created_at),
        "updated_at": timestamp(recordset.updated_at),
        "links": {"self": f"{base}v2/zones/{recordset.zone_id}/recordsets/{recordset.id}"},
    }


def timeline_view(found: Timeline, query: list[tuple[str, str]], base: str) -> dict[str, Any]:
    path = f"v2/zones/{found.zone_id}/timeline"
    links = {"self": f"{base}{path}" + (f"?{urlencode(query)}" if query else "")}
    if found.has_more:
        following = [(k, v) for k, v in query if k != "marker"]
        links["next"] = f"{base}{path}?{urlencode([*following, ('marker', found.steps[-1].id)])}"
    steps = [
        {"id": step.id, "at": timestamp(step.at), "role": step.role, "subject": step.subject,
         "event": step.event, "detail": step.detail, "serial": step.serial,
         "request_id": step.request_id}
        for step in found.steps
    ]  # fmt: skip
    return {"zone_id": found.zone_id, "timeline": steps, "links": links}


def propagation_view(found: Propagation, base: str) -> dict[str, Any]:
    zone = found.zone
    return {
        "zone_id": zone.id,
        "name": zone.name,
        "serial": zone.serial,
        "status": zone.status,
        "action": zone.action,
        "nameservers": [
            {
                "host": ns.host,
                "port": ns.port,
                "serial": ns.serial,
                "state": ns.state,
                "last_error": ns.last_error,
                "since": timestamp(ns.since),
                "checked_at": timestamp(ns.checked_at),
            }
            for ns in found.nameservers
        ],
        "targets": [
            {
                "id": target.id,
                "type": target.type,
                "description": target.description,
                "present": target.present,
                "serial": target.serial,
                "attempts": target.attempts,
                "last_error": target.last_error,
                "since": timestamp(target.since),
                "next_attempt_at": timestamp(target.next_attempt_at),
            }
            for target in found.targets
        ],
        "links": {"self": f"{base}v2/zones/{zone.id}/propagation"},
    }
