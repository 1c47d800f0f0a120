"""The ASGI application of the API role."""

from __future__ import annotations

from fastapi import FastAPI

from zonefleet.api import errors, recordsets, versions, zones
from zonefleet.api.deps import ApiServices
from zonefleet.api.middleware import RequestIdMiddleware


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
    app.include_router(zones.router)
    app.include_router(recordsets.router)
    app.add_middleware(RequestIdMiddleware)
    return app
