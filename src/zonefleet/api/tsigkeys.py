"""Routes of /v2/tsigkeys: admin-only CRUD of the TSIG keys mdns and the pools use.

As in Designate the secret is shown in clear. Names are shown as stored: lowercase and
absolute ("transfer-key."), the form pools.yaml's `tsigkey_name` and mdns match.
"""

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
    TsigKeyCreateBody,
    TsigKeyUpdateBody,
    refuse_nulls,
)
from zonefleet.api.views import timestamp
from zonefleet.service.tsigkeys import TsigKeyUpdate
from zonefleet.service.values import UNSET, Unset
from zonefleet.storage.filters import TsigKeyFilter
from zonefleet.storage.models import TsigKey

SORT_KEYS = ("created_at", "id", "updated_at", "name", "algorithm", "scope")
FILTERS = ("name", "algorithm", "scope", "resource_id")
COLLECTION = "/v2/tsigkeys"

router = APIRouter(prefix=COLLECTION, tags=["tsigkeys"], responses=ERROR_RESPONSES)


class TsigKeyOut(BaseModel):
    id: str
    name: str
    algorithm: str
    secret: str
    scope: str
    resource_id: str | None
    created_at: str
    updated_at: str | None
    links: Links


class TsigKeyList(BaseModel):
    tsigkeys: list[TsigKeyOut]
    links: ListLinks
    metadata: ListMetadata


def tsigkey_view(key: TsigKey, base: str) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "algorithm": key.algorithm,
        "secret": key.secret,
        "scope": key.scope,
        "resource_id": key.resource_id,
        "created_at": timestamp(key.created_at),
        "updated_at": timestamp(key.updated_at),
        "links": {"self": f"{base}v2/tsigkeys/{key.id}"},
    }


@router.post("", status_code=201, response_model=TsigKeyOut, dependencies=JsonBody)
def create_tsigkey(
    body: TsigKeyCreateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    key = svc.tsigkeys.create_tsigkey_for(
        ctx, name=body.name, algorithm=body.algorithm, secret=body.secret, scope=body.scope,
        resource_id=body.resource_id,
    )  # fmt: skip
    view = tsigkey_view(key, base)
    return made(view)


@router.get("", response_model=TsigKeyList)
def list_tsigkeys(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    name: str | None = Query(None),
    algorithm: str | None = Query(None),
    scope: str | None = Query(None),
    resource_id: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    criteria = TsigKeyFilter(**filters)
    found = svc.tsigkeys.find_tsigkeys(ctx, criteria, page)
    views = [tsigkey_view(key, base) for key in found.items]
    return JSONResponse(list_body(request, base, "tsigkeys", views, found))


@router.get("/{tsigkey_id}", response_model=TsigKeyOut)
def get_tsigkey(tsigkey_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(tsigkey_view(svc.tsigkeys.get_tsigkey(ctx, str(tsigkey_id)), base))


@router.patch("/{tsigkey_id}", response_model=TsigKeyOut, dependencies=JsonBody)
def update_tsigkey(
    tsigkey_id: uuid.UUID, body: TsigKeyUpdateBody, ctx: Context, svc: Services, base: Base
) -> JSONResponse:
    given = body.model_fields_set
    refuse_nulls(body, "name", "algorithm", "secret", "scope")
    resource_id: str | Unset | None = UNSET
    if "resource_id" in given:
        resource_id = body.resource_id
    update = TsigKeyUpdate(
        name=body.name if body.name is not None else UNSET,
        algorithm=body.algorithm if body.algorithm is not None else UNSET,
        secret=body.secret if body.secret is not None else UNSET,
        scope=body.scope if body.scope is not None else UNSET,
        resource_id=resource_id,
    )
    key = svc.tsigkeys.update_tsigkey(ctx, str(tsigkey_id), update)
    return JSONResponse(tsigkey_view(key, base))


@router.delete("/{tsigkey_id}", status_code=204)
def delete_tsigkey(tsigkey_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.tsigkeys.delete_tsigkey_by_id(ctx, str(tsigkey_id))
    return Response(status_code=204)
