"""Routes of zone imports: /v2/zones/tasks/imports, a text/dns zone file (or Designate's JSON
form with `zonefile` and `attributes`) in, the finished task out."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from zonefleet.api.deps import Base, Context, Services
from zonefleet.api.paging import list_body, list_params
from zonefleet.api.responses import ERROR_RESPONSES, made
from zonefleet.api.schemas import ListLinks, ListMetadata
from zonefleet.api.views import timestamp
from zonefleet.errors import (
    EmptyRequestBodyError,
    FieldError,
    InvalidJsonError,
    InvalidObjectError,
    OverQuotaError,
    UnsupportedContentTypeError,
)
from zonefleet.storage.filters import ZoneTaskFilter
from zonefleet.storage.models import ZoneImport

SORT_KEYS = ("created_at", "id", "updated_at", "status")
FILTERS = ("status", "message", "zone_id")
COLLECTION = "/v2/zones/tasks/imports"

router = APIRouter(tags=["imports"], responses=ERROR_RESPONSES)


class ImportOut(BaseModel):
    id: str
    status: str
    message: str | None
    zone_id: str | None
    project_id: str
    version: int
    created_at: str
    updated_at: str | None
    links: dict[str, str]


class ImportList(BaseModel):
    imports: list[ImportOut]
    links: ListLinks
    metadata: ListMetadata


def import_view(task: ZoneImport, base: str) -> dict[str, Any]:
    links = {"self": f"{base}{COLLECTION.lstrip('/')}/{task.id}"}
    if task.zone_id is not None:
        links["href"] = f"{base}v2/zones/{task.zone_id}"
    return {
        "id": task.id,
        "status": task.status,
        "message": task.message,
        "zone_id": task.zone_id,
        "project_id": task.project_id,
        "version": task.version,
        "created_at": timestamp(task.created_at),
        "updated_at": timestamp(task.updated_at),
        "links": links,
    }


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) once it passes `limit` bytes, before all is read."""
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise OverQuotaError(f"The zone file is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _zone_file(media: str, body: bytes) -> tuple[str, dict[str, str]]:
    """The zone file's text and the zone's attributes, from either form."""
    if not body:
        raise EmptyRequestBodyError("Request body is empty")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise InvalidObjectError([FieldError(("zonefile",), "not UTF-8 text")]) from None
    if media == "text/dns":
        return text, {}
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidJsonError("Invalid JSON") from None
    if not isinstance(document, dict):
        raise InvalidObjectError([FieldError((), "a JSON object is required", "type")])
    zonefile, attributes = document.get("zonefile"), document.get("attributes") or {}
    reasons = []
    if not isinstance(zonefile, str):
        reasons.append(FieldError(("zonefile",), "a zone file as a string is required", "type"))
    if not isinstance(attributes, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in attributes.items()
    ):
        reasons.append(FieldError(("attributes",), "attributes map names to strings", "type"))
    if reasons or not isinstance(zonefile, str) or not isinstance(attributes, dict):
        raise InvalidObjectError(reasons)
    return zonefile, {str(key): str(value) for key, value in attributes.items()}


@router.post(COLLECTION, status_code=202, response_model=ImportOut)
async def create_import(request: Request, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("text/dns", "application/json"):
        raise UnsupportedContentTypeError()
    text, attributes = _zone_file(media, await _body(request, svc.settings.max_import_bytes))
    # Parsing and writing a large zone takes seconds: off the event loop.
    task = await run_in_threadpool(svc.imports.import_zone, ctx, text, attributes)
    view = import_view(task, base)
    return made(view, 202)


@router.get(COLLECTION, response_model=ImportList)
def list_imports(
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
    found = svc.imports.find_imports(ctx, ZoneTaskFilter(**filters), page)
    views = [import_view(task, base) for task in found.items]
    return JSONResponse(list_body(request, base, "imports", views, found))


@router.get(COLLECTION + "/{import_id}", response_model=ImportOut)
def get_import(import_id: uuid.UUID, ctx: Context, svc: Services, base: Base) -> JSONResponse:
    return JSONResponse(import_view(svc.imports.get_import(ctx, str(import_id)), base))


@router.delete(COLLECTION + "/{import_id}", status_code=204)
def delete_import(import_id: uuid.UUID, ctx: Context, svc: Services) -> Response:
    svc.imports.delete_import(ctx, str(import_id))
    return Response(status_code=204)
