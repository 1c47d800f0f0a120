"""What zone imports and exports share: a task is its project's (or all-projects admins')."""

from __future__ import annotations

from typing import TypeVar

from zonefleet.errors import NotFound
from zonefleet.service.context import RequestContext
from zonefleet.storage.models import ZoneExport, ZoneImport
from zonefleet.storage.repositories import ZoneTaskRepository

T = TypeVar("T", ZoneExport, ZoneImport)


def visible_task(
    tasks: ZoneTaskRepository[T], ctx: RequestContext, task_id: str, missing: type[NotFound]
) -> T:
    """The task if the caller may see it; `missing` otherwise (never a leak of existence)."""
    task = tasks.get(task_id)
    if task is None or not ctx.sees(task.project_id):
        raise missing()
    return task
