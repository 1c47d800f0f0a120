"""Routes of zone transfers: requests under /v2/zones/{id}/tasks/transfer_requests and
/v2/zones/tasks/transfer_requests, accepts under /v2/zones/tasks/transfer_accepts."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from zonefleet.api.deps import Base, Context, JsonBody, Services
from zonefleet.api.paging import list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES, made
from zonefleet.api.schemas import (
    TransferAcceptBody,
    TransferRequestBody,
    TransferRequestUpdateBody,
)
from zonefleet.api.views import timestamp
from zonefleet.errors import ZoneTransferRequestNotFound
from zonefleet.service.transfers import Seen
from zonefleet.storage.models import TransferAccept

REQUESTS = "/v2/zones/tasks/transfer_requests"
ACCEPTS = "/v2/zones/tasks/transfer_accepts"
SORT_KEYS = ("created_at", "id", "updated_at", "status", "zone_name")
ACCEPT_SORT_KEYS = ("created_at", "id", "updated_at", "status")

router = APIRouter(tags=["transfers"], responses=ERROR_RESPONSES)


def request_view(seen: Seen, base: str) -> dict[str, Any]:
    """In full for the owner; without key, projects and times for the one it is offered to."""
    request = seen.request
    view: dict[str, Any] = {
        "id": request.id,
        "zone_id": request.zone_id,
        "zone_name": request.zone_name,
        "description": request.description,
        "status": request.status,
        "links": {"self": f"{base}{REQUESTS.lstrip('/')}/{request.id}"},
    }
    if seen.full:
        view |= {
            "project_id": request.project_id,
            "target_project_id": request.target_project_id,
            "key": request.key,
            "created_at": timestamp(request.created_at),
            "updated_at": timestamp(request.updated_at),
        }
    return view


def accept_view(accept: TransferAccept, base: str) -> dict[str, Any]:
    return {
        "id": accept.id,
        "zone_transfer_request_id": accept.zone_transfer_request_id,
        "key": accept.key,
        "project_id": accept.project_id,
        "zone_id": accept.zone_id,
        "status": accept.status,
        "created_at": timestamp(accept.created_at),
        "updated_at": timestamp(accept.updated_at),
        "links": {
            "self": f"{base}{ACCEPTS.lstrip('/')}/{accept.id}",
            "zone": f"{base}v2/zones/{accept.zone_id}",
        },
    }


@router.post("/v2/zones/{zone_id}/tasks/transfer_requests", status_code=201,
             dependencies=JsonBody)  # fmt: skip
def create_request(
    zone_id: uuid.UUID,
    ctx: Context,
    svc: Services,
    base: Base,
    body: TransferRequestBody | None = None,
) -> JSONResponse:
    given = body or TransferRequestBody()
    request = svc.transfers.create_request(
        ctx, str(zone_id), given.target_project_id, given.description
    )
    view = request_view(Seen(request, full=True), base)
    return made(view)


@router.get(REQUESTS)
def list_requests(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    status: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=("status",),
        with_count=not ctx.hide_counts,
    )  # fmt: skip
    found = svc.transfers.find_requests(ctx, filters.get("status"), page)
    project = ctx.visible_project()
    views = [
        request_view(Seen(item, full=project is None or item.project_id == project), base)
        for item in found.items
    ]
    return JSONResponse(list_body(request, base, "transfer_requests", views, found))


@router.get(REQUESTS + "/{request_id}")
def get_request(request_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(request_view(svc.transfers.get_request(ctx, str(request_id)), base))


@router.patch(REQUESTS + "/{request_id}", dependencies=JsonBody)
def update_request(
    request_id: uuid.UUID,
    body: TransferRequestUpdateBody,
    ctx: Context,
    svc: Services,
    base: Base,
) -> JSONResponse:
    request = svc.transfers.update_request(ctx, str(request_id), body.description)
    return JSONResponse(request_view(Seen(request, full=True), base))


@router.delete(REQUESTS + "/{request_id}", status_code=204)
def delete_request(request_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.transfers.delete_request(ctx, str(request_id))
    return Response(status_code=204)


@router.post(ACCEPTS, status_code=201, dependencies=JsonBody)
def accept(body: TransferAcceptBody, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    try:
        request_id = str(uuid.UUID(body.zone_transfer_request_id))
    except ValueError:
        raise ZoneTransferRequestNotFound() from None
    view = accept_view(svc.transfers.accept(ctx, request_id, body.key), base)
    return made(view)


@router.get(ACCEPTS)
def list_accepts(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    status: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=ACCEPT_SORT_KEYS, filters=("status",),
        with_count=not ctx.hide_counts,
    )  # fmt: skip
    found = svc.transfers.find_accepts(ctx, filters.get("status"), page)
    views = [accept_view(item, base) for item in found.items]
    return JSONResponse(list_body(request, base, "transfer_accepts", views, found))


@router.get(ACCEPTS + "/{accept_id}")
def get_accept(accept_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(accept_view(svc.transfers.get_accept(ctx, str(accept_id)), base))
