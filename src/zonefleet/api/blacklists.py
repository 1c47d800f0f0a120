"""Routes of /v2/blacklists: admin-only CRUD of patterns no tenant's new zone may match."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from zonefleet.api.deps import Base, Context, JsonBody, Services
from zonefleet.api.paging import list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES, made
from zonefleet.api.schemas import (
    BlacklistCreateBody,
    BlacklistUpdateBody,
    Links,
    ListLinks,
    ListMetadata,
    refuse_nulls,
)
from zonefleet.api.views import timestamp
from zonefleet.service.blacklists import BlacklistUpdate
from zonefleet.service.values import UNSET
from zonefleet.storage.filters import BlacklistFilter
from zonefleet.storage.models import Blacklist

SORT_KEYS = ("created_at", "id", "updated_at", "pattern")
FILTERS = ("pattern", "description")

router = APIRouter(prefix="/v2/blacklists", tags=["blacklists"], responses=ERROR_RESPONSES)


class BlacklistOut(BaseModel):
    id: str
    pattern: str
    description: str | None
    created_at: str
    updated_at: str | None
    links: Links


class BlacklistList(BaseModel):
    blacklists: list[BlacklistOut]
    links: ListLinks
    metadata: ListMetadata


def blacklist_view(blacklist: Blacklist, base: str) -> dict[str, Any]:
    return {
        "id": blacklist.id,
        "pattern": blacklist.pattern,
        "description": blacklist.description,
        "created_at": timestamp(blacklist.created_at),
        "updated_at": timestamp(blacklist.updated_at),
        "links": {"self": f"{base}v2/blacklists/{blacklist.id}"},
    }


@router.post("", status_code=201, response_model=BlacklistOut, dependencies=JsonBody)
def create_blacklist(
    body: BlacklistCreateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    view = blacklist_view(
        svc.blacklists.create_blacklist(ctx, body.pattern, body.description), base
    )
    return made(view)


@router.get("", response_model=BlacklistList)
def list_blacklists(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    pattern: str | None = Query(None),
    description: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    found = svc.blacklists.find_blacklists(ctx, BlacklistFilter(**filters), page)
    views = [blacklist_view(blacklist, base) for blacklist in found.items]
    return JSONResponse(list_body(request, base, "blacklists", views, found))


@router.get("/{blacklist_id}", response_model=BlacklistOut)
def get_blacklist(blacklist_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(blacklist_view(svc.blacklists.get_blacklist(ctx, str(blacklist_id)), base))


@router.patch("/{blacklist_id}", response_model=BlacklistOut, dependencies=JsonBody)
def update_blacklist(
    blacklist_id: uuid.UUID, body: BlacklistUpdateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    given = body.model_fields_set
    refuse_nulls(body, "pattern")
    update = BlacklistUpdate(
        pattern=body.pattern if body.pattern is not None else UNSET,
        description=body.description if "description" in given else UNSET,
    )
    return JSONResponse(
        blacklist_view(svc.blacklists.update_blacklist(ctx, str(blacklist_id), update), base)
    )


@router.delete("/{blacklist_id}", status_code=204)
def delete_blacklist(blacklist_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.blacklists.delete_blacklist(ctx, str(blacklist_id))
    return Response(status_code=204)
