"""Routes of zone exports: POST /v2/zones/{id}/tasks/export and /v2/zones/tasks/exports."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from zonefleet.api.deps import Base, Context, Services
from zonefleet.api.paging import list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES, made
from zonefleet.api.schemas import ListLinks, ListMetadata
from zonefleet.api.views import timestamp
from zonefleet.storage.filters import ZoneTaskFilter
from zonefleet.storage.models import ZoneExport

SORT_KEYS = ("created_at", "id", "updated_at", "status")
FILTERS = ("status", "message", "zone_id")
COLLECTION = "/v2/zones/tasks/exports"
ZONE_FILE = "text/dns"

router = APIRouter(tags=["exports"], responses=ERROR_RESPONSES)


class ExportLinks(BaseModel):
    self: str
    export: str


class ExportOut(BaseModel):
    id: str
    status: str
    message: str | None
    location: str | None
    zone_id: str
    project_id: str
    version: int
    created_at: str
    updated_at: str | None
    links: ExportLinks


class ExportList(BaseModel):
    exports: list[ExportOut]
    links: ListLinks
    metadata: ListMetadata


def export_view(export: ZoneExport, base: str) -> dict[str, Any]:
    link = f"{base}{COLLECTION.lstrip('/')}/{export.id}"
    return {
        "id": export.id,
        "status": export.status,
        "message": export.message,
        "location": export.location,
        "zone_id": export.zone_id,
        "project_id": export.project_id,
        "version": export.version,
        "created_at": timestamp(export.created_at),
        "updated_at": timestamp(export.updated_at),
        "links": {"self": link, "export": f"{link}/export"},
    }


@router.post("/v2/zones/{zone_id}/tasks/export", status_code=202, response_model=ExportOut)
def create_export(zone_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    view = export_view(svc.exports.create_export(ctx, str(zone_id)), base)
    return made(view, 202)


@router.get(COLLECTION, response_model=ExportList)
def list_exports(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    status: str | None = Query(None),
    message: str | None = Query(None),
    zone_id: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    found = svc.exports.find_exports(ctx, ZoneTaskFilter(**filters), page)
    views = [export_view(export, base) for export in found.items]
    return JSONResponse(list_body(request, base, "exports", views, found))


@router.get(COLLECTION + "/{export_id}", response_model=ExportOut)
def get_export(export_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(export_view(svc.exports.get_export(ctx, str(export_id)), base))


@router.get(COLLECTION + "/{export_id}/export", response_class=Response)
def get_export_file(export_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    return Response(svc.exports.zone_file(ctx, str(export_id)), media_type=ZONE_FILE)


@router.delete(COLLECTION + "/{export_id}", status_code=204)
def delete_export(export_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.exports.delete_export(ctx, str(export_id))
    return Response(status_code=204)
