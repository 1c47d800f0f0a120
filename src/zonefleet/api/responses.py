"""Response helpers shared by the v2 routes: 202 for pending writes, documented errors."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from zonefleet.api.schemas import ErrorOut
from zonefleet.storage.models import Status

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 403, 404, 409, 413, 415, 503)
}


def accepted(view: dict[str, Any], *, created: bool = False) -> JSONResponse:
    """202 while the change is PENDING (200 once nothing is), with Location on a create."""
    status_code = 202 if view["status"] == Status.PENDING else 200
    headers = {"Location": str(view["links"]["self"])} if created else None
    return JSONResponse(view, status_code=status_code, headers=headers)


def made(view: dict[str, Any], status_code: int = 201) -> JSONResponse:
    """A new resource (or task) and its Location."""
    return JSONResponse(view, status_code=status_code, headers={"Location": view["links"]["self"]})
