"""Routes of /v2/zones: create, list, show, update, delete, nameservers, propagation,
timeline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from zonefleet.api.deps import Base, Context, JsonBody, Services
from zonefleet.api.paging import (
    int_filter,
    list_body,
    list_params,
    page_limit,
    sort_dir,
    step_marker,
)
from zonefleet.api.responses import ERROR_RESPONSES, accepted
from zonefleet.api.schemas import (
    NameserverList,
    PoolMoveBody,
    PropagationOut,
    TimelineOut,
    ZoneCreateBody,
    ZoneList,
    ZoneOut,
    ZoneUpdateBody,
    refuse_nulls,
)
from zonefleet.api.views import propagation_view, timeline_view, zone_view
from zonefleet.errors import BadRequestError
from zonefleet.service.values import UNSET
from zonefleet.service.zones import ZoneCreate, ZoneUpdate
from zonefleet.storage.filters import ZoneFilter

SORT_KEYS = ("created_at", "id", "updated_at", "name", "tenant_id", "serial", "ttl", "status")
FILTERS = ("name", "type", "email", "status", "description", "ttl")

router = APIRouter(prefix="/v2/zones", tags=["zones"], responses=ERROR_RESPONSES)


@router.post("", status_code=202, response_model=ZoneOut, dependencies=JsonBody)
def create_zone(body: ZoneCreateBody, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    request = ZoneCreate(
        name=body.name,
        email=body.email,
        ttl=body.ttl,
        description=body.description,
        type=body.type,
        masters=body.masters,
        attributes=body.attributes,
    )
    return accepted(zone_view(svc.zones.create_zone(ctx, request), base), created=True)


@router.get("", response_model=ZoneList)
def list_zones(
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
    email: str | None = Query(None),
    status: str | None = Query(None),
    description: str | None = Query(None),
    ttl: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    criteria = ZoneFilter(
        name=filters.get("name"),
        type=filters.get("type"),
        email=filters.get("email"),
        status=filters.get("status"),
        description=filters.get("description"),
        ttl=int_filter(filters, "ttl"),
    )
    found = svc.zones.list_zones(ctx, criteria, page)
    views = [zone_view(zone, base) for zone in found.items]
    return JSONResponse(list_body(request, base, "zones", views, found))


@router.get("/{zone_id}", response_model=ZoneOut)
def get_zone(zone_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(zone_view(svc.zones.get_zone(ctx, str(zone_id)), base))


@router.patch("/{zone_id}", status_code=202, response_model=ZoneOut, dependencies=JsonBody)
def update_zone(
    zone_id: uuid.UUID, body: ZoneUpdateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    given = body.model_fields_set
    refuse_nulls(body, "email", "ttl")
    request = ZoneUpdate(
        email=body.email if "email" in given and body.email is not None else UNSET,
        ttl=body.ttl if "ttl" in given and body.ttl is not None else UNSET,
        description=body.description if "description" in given else UNSET,
        masters=body.masters if "masters" in given and body.masters is not None else UNSET,
    )
    return accepted(zone_view(svc.zones.update_zone(ctx, str(zone_id), request), base))


@router.delete("/{zone_id}", status_code=202, response_model=ZoneOut)
def delete_zone(zone_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    zone = svc.zones.delete_zone(ctx, str(zone_id))
    return JSONResponse(zone_view(zone, base), status_code=202)


@router.post("/{zone_id}/tasks/xfr", status_code=202)
def transfer_now(zone_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.zones.transfer_now(ctx, str(zone_id))
    return Response(status_code=202)


@router.post("/{zone_id}/tasks/pool_move", status_code=202, dependencies=JsonBody)
def move_zone(
    zone_id: uuid.UUID, ctx: Context, svc: Services, body: PoolMoveBody | None = None
) -> Response:
    """Designate's pool move (admin): without a pool_id, to the default pool."""
    svc.pools.move_zone(ctx, str(zone_id), body.pool_id if body else None)
    return Response(status_code=202)


@router.post("/{zone_id}/tasks/abandon", status_code=204)
def abandon_zone(zone_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.zones.abandon_zone(ctx, str(zone_id))
    return Response(status_code=204)


@router.get("/{zone_id}/nameservers", response_model=NameserverList)
def list_nameservers(zone_id: uuid.UUID, ctx: Context, svc: Services) -> JSONResponse:
    records = svc.zones.list_nameservers(ctx, str(zone_id))
    nameservers = [{"hostname": ns.hostname, "priority": ns.priority} for ns in records]
    return JSONResponse({"nameservers": nameservers})


@router.get("/{zone_id}/propagation", response_model=PropagationOut)
def show_propagation(zone_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    """Zonefleet's extension: what each target and nameserver holds of the zone."""
    found = svc.propagation.get_propagation(ctx, str(zone_id))
    return JSONResponse(propagation_view(found, base))


@router.get("/{zone_id}/timeline", response_model=TimelineOut)
def show_timeline(
    zone_id: uuid.UUID, request: Request, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    """Zonefleet's extension: every step of every change of the zone, oldest first
    (`sort_dir=desc`: newest first); `marker` is the id of the last step seen."""
    query = request.query_params
    unknown = sorted(set(query) - {"limit", "marker", "sort_dir"})
    if unknown:
        raise BadRequestError(f"Invalid filters {', '.join(unknown)}")
    found = svc.timeline.get_timeline(
        ctx,
        str(zone_id),
        after=step_marker(query.get("marker")),
        limit=page_limit(query.get("limit"), svc.settings),
        newest_first=sort_dir(query.get("sort_dir")) == "desc",
    )
    return JSONResponse(timeline_view(found, query.multi_items(), base))
