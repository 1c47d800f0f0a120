"""`GET /metrics` (Prometheus text, an extension of ours), and what the request middleware
(api/middleware.py) does with every answered request: counts and times it by its route
template (so a zone id never becomes a label) and writes its access line, which carries
the request id like every other line of the request."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.types import Scope

from zonefleet.metrics import API_REQUESTS, API_SECONDS

LOG = logging.getLogger(__name__)
router = APIRouter(tags=["metrics"], include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def answered(scope: Scope, status: int, took: float) -> None:
    """Count and time one answered request by its route template, and write its access line."""
    route = scope.get("route")
    path = getattr(route, "path", "unmatched")
    method = scope["method"]
    API_REQUESTS.labels(method, path, str(status)).inc()
    API_SECONDS.labels(method, path).observe(took)
    LOG.info("api: %s %s %d %.1f ms", method, scope["path"], status, took * 1000)
