"""ASGI middleware: request ids, Designate's trailing-slash normalisation, and the counting,
timing and access line of every request (api/metrics.py)."""

from __future__ import annotations

import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zonefleet.api.metrics import answered
from zonefleet.logs import log_context

REQUEST_ID_HEADER = b"x-openstack-request-id"


class RequestMiddleware:
    """Gives every request an id ``req-<uuid>``, in `scope["state"]`, the response header and
    every log line of the request; once answered, it is counted, timed and logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = f"req-{uuid.uuid4()}"
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path.rstrip("/") or "/"
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                answered(scope, status, time.perf_counter() - started)
