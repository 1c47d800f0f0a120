"""Designate's list parameters (limit, marker, sort, filters) and list links."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from zonefleet.errors import (
    BadRequestError,
    InvalidLimitError,
    InvalidMarkerError,
    InvalidSortDirError,
    InvalidSortKeyError,
)
from zonefleet.settings import ApiSettings
from zonefleet.storage.filters import Page, PageRequest

_DIGITS = re.compile(r"[0-9]{1,10}")
PAGING = ("limit", "marker", "sort_key", "sort_dir")
MODIFIERS = ("all_projects", "all_tenants", "edit_managed_records")


def base_uri(request: Request, settings: ApiSettings) -> str:
    """The externally reachable root, ending in "/"."""
    if settings.base_uri:
        return settings.base_uri.rstrip("/") + "/"
    return str(request.base_url)


def list_params(
    request: Request,
    settings: ApiSettings,
    *,
    sort_keys: Sequence[str],
    filters: Sequence[str],
    with_count: bool,
) -> tuple[PageRequest, dict[str, str]]:
    """The page request and the filters a list asks for; 400 on unknown or repeated ones."""
    items = request.query_params.multi_items()
    names = [name for name, _ in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadRequestError(f"Duplicate filters {', '.join(repeated)}")
    unknown = sorted(set(names) - set(PAGING) - set(MODIFIERS) - set(filters))
    if unknown:
        raise BadRequestError(f"Invalid filters {', '.join(unknown)}")
    query = dict(items)
    page = PageRequest(
        limit=page_limit(query.get("limit"), settings),
        marker=_marker(query.get("marker")),
        sort_key=_sort_key(query.get("sort_key"), sort_keys),
        sort_dir=sort_dir(query.get("sort_dir")),
        with_count=with_count,
    )
    return page, {name: value for name, value in query.items() if name in filters}


def page_limit(value: str | None, settings: ApiSettings) -> int:
    if value is None:
        return settings.default_limit
    if value == "max":
        return settings.max_limit
    if not _DIGITS.fullmatch(value) or int(value) < 1:
        raise InvalidLimitError(f"limit should be an integer between 1 and {settings.max_limit}")
    return min(int(value), settings.max_limit)


def _marker(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidMarkerError("marker must be a UUID") from None


def step_marker(value: str | None) -> int | None:
    """A timeline's marker: the id of the last step seen."""
    if value is None:
        return None
    if not _DIGITS.fullmatch(value):
        raise InvalidMarkerError("marker must be the id of a timeline step")
    return int(value)


def _sort_key(value: str | None, sort_keys: Sequence[str]) -> str:
    if value is None:
        return "created_at"
    if value not in sort_keys:
        raise InvalidSortKeyError(f"sort key must be one of {list(sort_keys)}")
    return value


def sort_dir(value: str | None) -> Any:
    if value is None:
        return "asc"
    if value not in ("asc", "desc"):
        raise InvalidSortDirError()
    return value


def int_filter(filters: dict[str, str], name: str) -> int | None:
    value = filters.get(name)
    if value is None:
        return None
    if not _DIGITS.fullmatch(value.removeprefix("-")):
        raise BadRequestError(f"Filter {name} must be an integer")
    return int(value)


def list_body(
    request: Request, base: str, collection: str, views: list[dict[str, Any]], page: Page[Any]
) -> dict[str, Any]:
    """{collection: [...], links: {self, next?}, metadata: {total_count?}}."""
    path = request.url.path.lstrip("/")
    query = request.query_params.multi_items()
    self_link = f"{base}{path}" + (f"?{urlencode(query)}" if query else "")
    links: dict[str, str] = {"self": self_link}
    if page.has_more and page.items:
        following = [(k, v) for k, v in query if k != "marker"] + [("marker", page.items[-1].id)]
        links["next"] = f"{base}{path}?{urlencode(following)}"
    metadata = {} if page.total_count is None else {"total_count": page.total_count}
    return {collection: views, "links": links, "metadata": metadata}
