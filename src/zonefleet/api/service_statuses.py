"""Routes of /v2/service_statuses (and Designate's alias /v2/service_status): list and show."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from zonefleet.api.deps import Base, Context, Services
from zonefleet.api.paging import list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES
from zonefleet.api.schemas import Links, ListLinks, ListMetadata
from zonefleet.api.views import timestamp
from zonefleet.storage.filters import ServiceStatusFilter
from zonefleet.storage.models import ServiceStatus

SORT_KEYS = ("created_at", "id", "updated_at", "hostname", "service_name", "status")
FILTERS = ("hostname", "service_name", "status")
COLLECTION = "/v2/service_statuses"
ALIAS = "/v2/service_status"

router = APIRouter(tags=["service_statuses"], responses=ERROR_RESPONSES)


class ServiceStatusOut(BaseModel):
    id: str
    hostname: str
    service_name: str
    status: str
    stats: dict[str, Any]
    capabilities: dict[str, Any]
    heartbeated_at: str
    created_at: str
    updated_at: str | None
    links: Links


class ServiceStatusList(BaseModel):
    service_statuses: list[ServiceStatusOut]
    links: ListLinks
    metadata: ListMetadata


def service_status_view(row: ServiceStatus, base: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "hostname": row.hostname,
        "service_name": row.service_name,
        "status": row.status,
        "stats": dict(row.stats),
        "capabilities": dict(row.capabilities),
        "heartbeated_at": timestamp(row.heartbeated_at),
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "links": {"self": f"{base}v2/service_statuses/{row.id}"},
    }


@router.get(COLLECTION, response_model=ServiceStatusList)
@router.get(ALIAS, response_model=ServiceStatusList, include_in_schema=False)
def list_service_statuses(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    hostname: str | None = Query(None),
    service_name: str | None = Query(None),
    status: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    criteria = ServiceStatusFilter(
        hostname=filters.get("hostname"),
        service_name=filters.get("service_name"),
        status=filters.get("status"),
    )
    found = svc.service_statuses.list_service_statuses(ctx, criteria, page)
    views = [service_status_view(row, base) for row in found.items]
    return JSONResponse(list_body(request, base, "service_statuses", views, found))


@router.get(COLLECTION + "/{service_id}", response_model=ServiceStatusOut)
@router.get(ALIAS + "/{service_id}", response_model=ServiceStatusOut, include_in_schema=False)
def get_service_status(
    service_id: uuid.UUID, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    row = svc.service_statuses.get_service_status(ctx, str(service_id))
    return JSONResponse(service_status_view(row, base))
