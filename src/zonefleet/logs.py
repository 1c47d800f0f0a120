"""Log lines that carry the change they concern: the request id, the zone's id and name, the
serial and the target, wherever they are known.

`log_context(...)` adds fields for the code inside it; they live in a context variable,
so they follow asyncio tasks and `asyncio.to_thread` calls (which copy the context), and
one grep for a request id or a zone id follows a change from the API through the worker.
Lines are plain text by default, JSON objects one per line with `log_format = "json"`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

FIELDS = ("request_id", "zone_id", "zone", "serial", "target")
_CONTEXT: ContextVar[dict[str, str]] = ContextVar("zonefleet_log_context", default={})  # noqa: B039 - never mutated: each change sets a new dict


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add `fields` (those not None) to every log line written inside."""
    token = _CONTEXT.set(_CONTEXT.get() | {k: str(v) for k, v in fields.items() if v is not None})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current() -> dict[str, str]:
    return dict(_CONTEXT.get())


class ContextFilter(logging.Filter):
    """Puts the context on each record: `record.context` (a dict) and `record.context_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get()
        record.context = context
        shown = " ".join(f"{key}={context[key]}" for key in FIELDS if key in context)
        record.context_text = f" [{shown}]" if shown else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "context", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str, style: str) -> None:
    """The process's logging: one handler on stderr, text or JSON lines, context on each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if style == "json":
        handler.setFormatter(JsonFormatter())
    else:
        text = "%(asctime)s %(levelname)s %(name)s %(message)s%(context_text)s"
        handler.setFormatter(logging.Formatter(text))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
