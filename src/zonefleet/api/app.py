"""The ASGI application of the API role."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from zonefleet.api import (
    blacklists,
    errors,
    exports,
    imports,
    metrics,
    pools,
    quotas,
    recordsets,
    service_statuses,
    shares,
    tlds,
    transfers,
    tsigkeys,
    versions,
    zones,
)
from zonefleet.api.deps import ApiServices
from zonefleet.api.middleware import RequestMiddleware


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(
        title="Zonefleet DNS API",
        version="2.0",
        description="DNS-as-a-Service, wire-compatible with the OpenStack Designate v2 API.",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.services = services
    errors.install(app)
    app.include_router(versions.router)
    app.include_router(exports.router)  # before zones: /v2/zones/tasks/… is not a zone
    app.include_router(imports.router)
    app.include_router(transfers.router)
    app.include_router(shares.router)
    app.include_router(zones.router)
    app.include_router(recordsets.router)
    app.include_router(service_statuses.router)
    app.include_router(tsigkeys.router)
    app.include_router(tlds.router)
    app.include_router(blacklists.router)
    app.include_router(quotas.router)
    app.include_router(pools.router)
    app.include_router(metrics.router)
    app.add_middleware(RequestMiddleware)
    app.openapi = lambda: _designate_openapi(app)  # type: ignore[method-assign]
    return app


def _designate_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without its 422 responses: validation errors here are Designate's 400."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in spec["paths"].values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            spec.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = spec
    return app.openapi_schema
