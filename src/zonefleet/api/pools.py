"""Routes of /v2/pools: admin-only reads. Pools are written from pools.yaml by `zonefleet pool
update` (Designate's own API writes are deprecated), so POST, PATCH and DELETE answer 405
saying so."""

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
from zonefleet.errors import MethodNotAllowedError
from zonefleet.storage.filters import PoolFilter
from zonefleet.storage.models import Pool

SORT_KEYS = ("created_at", "id", "updated_at", "name")
FILTERS = ("name",)
READ_ONLY = (
    "Pools are loaded from pools.yaml: edit it and run `zonefleet pool update` "
    "(`zonefleet pool show` prints what is loaded)"
)

router = APIRouter(prefix="/v2/pools", tags=["pools"], responses=ERROR_RESPONSES)


class NsRecordOut(BaseModel):
    hostname: str
    priority: int


class PoolOut(BaseModel):
    id: str
    project_id: str | None
    name: str
    description: str | None
    attributes: dict[str, str]
    ns_records: list[NsRecordOut]
    created_at: str
    updated_at: str | None
    links: Links


class PoolList(BaseModel):
    pools: list[PoolOut]
    links: ListLinks
    metadata: ListMetadata


def pool_view(pool: Pool, base: str) -> dict[str, Any]:
    return {
        "id": pool.id,
        "project_id": None,
        "name": pool.name,
        "description": pool.description,
        "attributes": {str(key): str(value) for key, value in pool.attributes.items()},
        "ns_records": [
            {"hostname": record.hostname, "priority": record.priority} for record in pool.ns_records
        ],
        "created_at": timestamp(pool.created_at),
        "updated_at": timestamp(pool.updated_at),
        "links": {"self": f"{base}v2/pools/{pool.id}"},
    }


@router.get("", response_model=PoolList)
def list_pools(
    request: Request,
    ctx: Context,
    svc: Services,
    base: Base,
    limit: str | None = Query(None),
    marker: str | None = Query(None),
    sort_key: str | None = Query(None),
    sort_dir: str | None = Query(None),
    name: str | None = Query(None),
) -> JSONResponse:
    page, filters = list_params(
        request, svc.settings, sort_keys=SORT_KEYS, filters=FILTERS, with_count=not ctx.hide_counts
    )
    found = svc.pools.find_pools(ctx, PoolFilter(**filters), page)
    views = [pool_view(pool, base) for pool in found.items]
    return JSONResponse(list_body(request, base, "pools", views, found))


@router.get("/{pool_id}", response_model=PoolOut)
def get_pool(pool_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(pool_view(svc.pools.get_pool(ctx, str(pool_id)), base))


@router.post("", status_code=405)
def create_pool(ctx: Context) -> None:
    ctx.require_admin("create_pool")
    raise MethodNotAllowedError(READ_ONLY)


@router.patch("/{pool_id}", status_code=405)
def update_pool(pool_id: str, ctx: Context) -> None:
    ctx.require_admin("update_pool")
    raise MethodNotAllowedError(READ_ONLY)


@router.delete("/{pool_id}", status_code=405)
def delete_pool(pool_id: str, ctx: Context) -> None:
    ctx.require_admin("delete_pool")
    raise MethodNotAllowedError(READ_ONLY)
