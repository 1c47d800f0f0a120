"""Routes of shared zones: /v2/zones/{zone_id}/shares."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from zonefleet.api.deps import Base, Context, JsonBody, Services
from zonefleet.api.paging import list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES, made
from zonefleet.api.schemas import ShareBody
from zonefleet.api.views import timestamp
from zonefleet.storage.models import SharedZone

SORT_KEYS = ("created_at", "id", "updated_at", "target_project_id")

router = APIRouter(prefix="/v2/zones/{zone_id}/shares", tags=["shares"],
                   responses=ERROR_RESPONSES)  # fmt: skip


def share_view(share: SharedZone, base: str) -> dict[str, Any]:
    zone = f"{base}v2/zones/{share.zone_id}"
    return {
        "id": share.id,
        "zone_id": share.zone_id,
        "project_id": share.project_id,
        "target_project_id": share.target_project_id,
        "created_at": timestamp(share.created_at),
        "updated_at": timestamp(share.updated_at),
        "links": {"self": f"{zone}/shares/{share.id}", "zone": zone},
    }


@router.post("", status_code=201, dependencies=JsonBody)
def share_zone(
    zone_id: uuid.UUID, body: ShareBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    return made(share_view(svc.shares.share(ctx, str(zone_id), body.target_project_id), base))


@router.get("")
def list_shares(
    zone_id: uuid.UUID,
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    target_project_id: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=("target_project_id",),
        with_count=not ctx.hide_counts,
    )  # fmt: skip
    found = svc.shares.find_shares(ctx, str(zone_id), filters.get("target_project_id"), page)
    views = [share_view(share, base) for share in found.items]
    return JSONResponse(list_body(request, base, "shared_zones", views, found))


@router.get("/{share_id}")
def get_share(
    zone_id: uuid.UUID, share_id: uuid.UUID, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    return JSONResponse(share_view(svc.shares.get_share(ctx, str(zone_id), str(share_id)), base))


@router.delete("/{share_id}", status_code=204)
def unshare_zone(zone_id: uuid.UUID, share_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.shares.unshare(ctx, str(zone_id), str(share_id))
    return Response(status_code=204)
