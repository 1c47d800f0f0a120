"""Routes of /v2/zones/{zone_id}/recordsets and the cross-zone /v2/recordsets."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from zonefleet.api.deps import Base, Context, JsonBody, Services
from zonefleet.api.paging import int_filter, list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES, accepted
from zonefleet.api.schemas import (
    RecordsetCreateBody,
    RecordsetList,
    RecordsetOut,
    RecordsetUpdateBody,
)
from zonefleet.api.views import recordset_view
from zonefleet.service.recordsets import RecordsetCreate, RecordsetUpdate
from zonefleet.service.values import UNSET
from zonefleet.storage.filters import RecordsetFilter

ZONE_SORT_KEYS = (
    "created_at",
    "id",
    "updated_at",
    "zone_id",
    "tenant_id",
    "name",
    "type",
    "ttl",
    "records",
)
ALL_SORT_KEYS = ("created_at", "updated_at", "zone_id", "tenant_id", "name", "type", "ttl")
FILTERS = ("name", "type", "ttl", "data", "status", "description")

router = APIRouter(tags=["recordsets"], responses=ERROR_RESPONSES)
ZONE_RECORDSETS = "/v2/zones/{zone_id}/recordsets"


def _criteria(filters: dict[str, str]) -> RecordsetFilter:
    return RecordsetFilter(
        name=filters.get("name"),
        type=filters.get("type"),
        ttl=int_filter(filters, "ttl"),
        data=filters.get("data"),
        status=filters.get("status"),
        description=filters.get("description"),
    )


@router.post(ZONE_RECORDSETS, status_code=202, response_model=RecordsetOut, dependencies=JsonBody)
def create_recordset(
    zone_id: uuid.UUID, body: RecordsetCreateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    request = RecordsetCreate(
        name=body.name,
        type=body.type,
        records=body.records,
        ttl=body.ttl,
        description=body.description,
    )
    recordset = svc.recordsets.create_recordset(ctx, str(zone_id), request)
    return accepted(recordset_view(recordset, base), created=True)


def _list(
    request: Request, ctx: Context, svc: Services, base: str, zone_id: str | None
) -> JSONResponse:
    page, filters = list_params(
        request,
        svc.settings,
        sort_keys=ZONE_SORT_KEYS if zone_id else ALL_SORT_KEYS,
        filters=FILTERS,
        with_count=not ctx.hide_counts,
    )
    found = svc.recordsets.list_recordsets(ctx, zone_id, _criteria(filters), page)
    views = [recordset_view(recordset, base) for recordset in found.items]
    return JSONResponse(list_body(request, base, "recordsets", views, found))


@router.get(ZONE_RECORDSETS, response_model=RecordsetList)
def list_zone_recordsets(
    zone_id: uuid.UUID,
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    name: str | None = Query(None),
    type: str | None = Query(None),
    ttl: str | None = Query(None),
    data: str | None = Query(None),
    status: str | None = Query(None),
    description: str | None = Query(None),
) -> JSONResponse:
    return _list(request, ctx, svc, base, str(zone_id))


@router.get("/v2/recordsets", response_model=RecordsetList)
def list_recordsets(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    name: str | None = Query(None),
    type: str | None = Query(None),
    ttl: str | None = Query(None),
    data: str | None = Query(None),
    status: str | None = Query(None),
    description: str | None = Query(None),
) -> JSONResponse:
    return _list(request, ctx, svc, base, None)


@router.get("/v2/recordsets/{recordset_id}", status_code=301, response_class=RedirectResponse)
def redirect_recordset(
    recordset_id: uuid.UUID, ctx: Context, svc: Services, base: Base
) -> RedirectResponse:
    zone_id = svc.recordsets.find_recordset_zone(ctx, str(recordset_id))
    return RedirectResponse(f"{base}v2/zones/{zone_id}/recordsets/{recordset_id}", status_code=301)


@router.get(ZONE_RECORDSETS + "/{recordset_id}", response_model=RecordsetOut)
def get_recordset(
    zone_id: uuid.UUID, recordset_id: uuid.UUID, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    recordset = svc.recordsets.get_recordset(ctx, str(zone_id), str(recordset_id))
    return JSONResponse(recordset_view(recordset, base))


@router.put(
    ZONE_RECORDSETS + "/{recordset_id}",
    status_code=202,
    response_model=RecordsetOut,
    dependencies=JsonBody,
)
def update_recordset(
    zone_id: uuid.UUID,
    recordset_id: uuid.UUID,
    body: RecordsetUpdateBody,
    ctx: Context,
    svc: Services,
    base: Base,
) -> JSONResponse:
    given = body.model_fields_set
    request = RecordsetUpdate(
        records=body.records if "records" in given and body.records is not None else UNSET,
        ttl=body.ttl if "ttl" in given else UNSET,
        description=body.description if "description" in given else UNSET,
    )
    recordset = svc.recordsets.update_recordset(ctx, str(zone_id), str(recordset_id), request)
    return accepted(recordset_view(recordset, base))


@router.delete(ZONE_RECORDSETS + "/{recordset_id}", status_code=202, response_model=RecordsetOut)
def delete_recordset(
    zone_id: uuid.UUID, recordset_id: uuid.UUID, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    recordset = svc.recordsets.delete_recordset(ctx, str(zone_id), str(recordset_id))
    return JSONResponse(recordset_view(recordset, base), status_code=202)
