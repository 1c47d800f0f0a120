"""The one place Zonefleet errors become HTTP responses in Designate's error format."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from zonefleet.errors import (
    EmptyRequestBodyError,
    FieldError,
    InvalidJsonError,
    InvalidObjectError,
    InvalidUUIDError,
    MethodNotAllowedError,
    NotFound,
    ZonefleetError,
)

LOG = logging.getLogger(__name__)

_VALIDATORS = {
    "missing": "required",
    "extra_forbidden": "additionalProperties",
    "string_too_long": "maxLength",
    "too_long": "maxItems",
    "less_than_equal": "maximum",
    "greater_than_equal": "minimum",
    "literal_error": "enum",
}


def error_body(request: Request, error: ZonefleetError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "type": error.error_type}
    if error.message:
        body["message"] = error.message
    if isinstance(error, InvalidObjectError):
        body["errors"] = {"errors": [reason.as_dict() for reason in error.reasons]}
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return body


def error_response(request: Request, error: ZonefleetError) -> JSONResponse:
    headers = {"Retry-After": "5"} if error.code == 503 else None
    return JSONResponse(error_body(request, error), status_code=error.code, headers=headers)


def _from_validation(exc: RequestValidationError) -> ZonefleetError:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        return InvalidJsonError("Request body is not valid JSON")
    if any(error["loc"] and error["loc"][0] == "path" for error in errors):
        return InvalidUUIDError()
    if any(tuple(error["loc"]) == ("body",) and error["type"] == "missing" for error in errors):
        return EmptyRequestBodyError()
    reasons = []
    for error in errors:
        path = tuple(part for part in error["loc"][1:] if isinstance(part, str | int))
        validator = _VALIDATORS.get(
            error["type"], "type" if error["type"].endswith("_type") else "value"
        )
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"Additional properties are not allowed ({path[-1]!r} was unexpected)"
        elif error["type"] == "missing":
            message = f"{path[-1]!r} is a required property"
        reasons.append(FieldError(path, message, validator, error.get("ctx", {}).get("expected")))
    return InvalidObjectError(reasons)


def install(app: FastAPI) -> None:
    @app.exception_handler(ZonefleetError)
    async def _zonefleet(request: Request, exc: ZonefleetError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, _from_validation(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return error_response(request, MethodNotAllowedError())
        if exc.status_code == 404:
            return error_response(request, NotFound())
        error = ZonefleetError(str(exc.detail))
        body = {"code": exc.status_code, "type": "unknown", "message": error.message}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unknown(request: Request, exc: Exception) -> JSONResponse:
        LOG.exception("unhandled error in %s %s", request.method, request.url.path)
        return error_response(request, ZonefleetError())
