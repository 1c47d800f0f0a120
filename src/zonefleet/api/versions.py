"""Unauthenticated routes: the versions document and the health check."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from zonefleet.api.deps import Base, Services
from zonefleet.api.schemas import Versions

# (id, status, updated) as Designate lists them; minor versions share the /v2 root.
VERSIONS = (
    ("v2", "SUPPORTED", "2022-06-29T00:00:00Z"),
    ("v2.0", "CURRENT", "2022-06-29T00:00:00Z"),
)

router = APIRouter(tags=["versions"])


@router.get("/", response_model=Versions)
def versions(base: Base) -> JSONResponse:
    links = [
        {"href": f"{base}v2", "rel": "self"},
        {"href": "https://docs.openstack.org/api-ref/dns", "rel": "help"},
    ]
    body = [
        {"id": version, "status": status, "updated": updated, "links": links}
        for version, status, updated in VERSIONS
    ]
    return JSONResponse({"versions": body})


@router.get(
    "/healthcheck",
    response_class=PlainTextResponse,
    responses={503: {"description": "database unreachable"}},
)
def healthcheck(svc: Services) -> PlainTextResponse:
    if svc.database.ping():
        return PlainTextResponse("OK")
    return PlainTextResponse("database unreachable", status_code=503)
