"""`GET /metrics` (Prometheus text, an extension of ours) and the middleware that counts and
times every request by its route template (so a zone id never becomes a label) and writes
its access line, which carries the request id like every other line of the request."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zonefleet.metrics import API_REQUESTS, API_SECONDS

LOG = logging.getLogger(__name__)
router = APIRouter(tags=["metrics"], include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope["method"]
            took = time.perf_counter() - started
            API_REQUESTS.labels(method, path, str(status)).inc()
            API_SECONDS.labels(method, path).observe(took)
            LOG.info("api: %s %s %d %.1f ms", method, scope["path"], status, took * 1000)
