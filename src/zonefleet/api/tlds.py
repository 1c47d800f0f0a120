"""Routes of /v2/tlds: admin-only CRUD of the top-level domains zones must sit under."""

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
    Links,
    ListLinks,
    ListMetadata,
    TldCreateBody,
    TldUpdateBody,
    refuse_nulls,
)
from zonefleet.api.views import timestamp
from zonefleet.service.tlds import TldUpdate
from zonefleet.service.values import UNSET
from zonefleet.storage.filters import TldFilter
from zonefleet.storage.models import Tld

SORT_KEYS = ("created_at", "id", "updated_at", "name")
FILTERS = ("name", "description")

router = APIRouter(prefix="/v2/tlds", tags=["tlds"], responses=ERROR_RESPONSES)


class TldOut(BaseModel):
    id: str
    name: str
    description: str | None
    created_at: str
    updated_at: str | None
    links: Links


class TldList(BaseModel):
    tlds: list[TldOut]
    links: ListLinks
    metadata: ListMetadata


def tld_view(tld: Tld, base: str) -> dict[str, Any]:
    return {
        "id": tld.id,
        "name": tld.name,
        "description": tld.description,
        "created_at": timestamp(tld.created_at),
        "updated_at": timestamp(tld.updated_at),
        "links": {"self": f"{base}v2/tlds/{tld.id}"},
    }


@router.post("", status_code=201, response_model=TldOut, dependencies=JsonBody)
def create_tld(body: TldCreateBody, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    view = tld_view(svc.tlds.create_tld(ctx, body.name, body.description), base)
    return made(view)


@router.get("", response_model=TldList)
def list_tlds(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    name: str | None = Query(None),
    description: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    found = svc.tlds.find_tlds(ctx, TldFilter(**filters), page)
    views = [tld_view(tld, base) for tld in found.items]
    return JSONResponse(list_body(request, base, "tlds", views, found))


@router.get("/{tld_id}", response_model=TldOut)
def get_tld(tld_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(tld_view(svc.tlds.get_tld(ctx, str(tld_id)), base))


@router.patch("/{tld_id}", response_model=TldOut, dependencies=JsonBody)
def update_tld(
    tld_id: uuid.UUID, body: TldUpdateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    given = body.model_fields_set
    refuse_nulls(body, "name")
    update = TldUpdate(
        name=body.name if body.name is not None else UNSET,
        description=body.description if "description" in given else UNSET,
    )
    return JSONResponse(tld_view(svc.tlds.update_tld(ctx, str(tld_id), update), base))


@router.delete("/{tld_id}", status_code=204)
def delete_tld(tld_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.tlds.delete_tld(ctx, str(tld_id))
    return Response(status_code=204)
