"""Routes of /v2/quotas and /v2/limits: flat dicts as Designate answers them (no links)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from zonefleet.api.deps import Context, JsonBody, Services
from zonefleet.api.responses import ERROR_RESPONSES

router = APIRouter(tags=["quotas"], responses=ERROR_RESPONSES)


@router.get("/v2/quotas", response_model=dict[str, int])
def get_own_quotas(ctx: Context, svc: Services) -> JSONResponse:
    return JSONResponse(svc.quotas.get_quotas(ctx))


@router.get("/v2/quotas/{project_id}", response_model=dict[str, int])
def get_quotas(project_id: str, ctx: Context, svc: Services) -> JSONResponse:
    return JSONResponse(svc.quotas.get_quotas(ctx, project_id))


@router.patch("/v2/quotas/{project_id}", response_model=dict[str, int], dependencies=JsonBody)
def set_quotas(
    project_id: str, ctx: Context, svc: Services, body: Annotated[dict[str, Any], Body()]
) -> JSONResponse:
    return JSONResponse(svc.quotas.set_quotas(ctx, project_id, body))


@router.delete("/v2/quotas/{project_id}", status_code=204)
def reset_quotas(project_id: str, ctx: Context, svc: Services) -> Response:
    svc.quotas.reset_quotas(ctx, project_id)
    return Response(status_code=204)


@router.get("/v2/limits", response_model=dict[str, int])
def get_limits(ctx: Context, svc: Services) -> JSONResponse:
    return JSONResponse(svc.quotas.limits(ctx))
