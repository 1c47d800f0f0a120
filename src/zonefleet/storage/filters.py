"""Typed filters and page requests for list queries (no dicts of magic strings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
SortDir = Literal["asc", "desc"]


@dataclass(frozen=True)
class PageRequest:
    limit: int = 20
    marker: str | None = None
    sort_key: str = "created_at"
    sort_dir: SortDir = "asc"
    with_count: bool = True


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total_count: int | None
    has_more: bool = False


@dataclass(frozen=True)
class ZoneFilter:
    """Exact values, or patterns where ``*`` matches any run of characters."""

    project_id: str | None = None  # None: every project
    name: str | None = None
    type: str | None = None
    email: str | None = None
    status: str | None = None
    description: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class RecordsetFilter:
    zone_id: str | None = None
    project_id: str | None = None  # None: every project
    name: str | None = None
    type: str | None = None
    ttl: int | None = None
    data: str | None = None
    status: str | None = None
    description: str | None = None
    exclude_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ServiceStatusFilter:
    """Exact values, or patterns where ``*`` matches any run of characters; `status` matches
    the status as shown (DOWN for a silent process)."""

    hostname: str | None = None
    service_name: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class TsigKeyFilter:
    """Exact values, or patterns where ``*`` matches any run of characters."""

    name: str | None = None
    algorithm: str | None = None
    scope: str | None = None
    resource_id: str | None = None


@dataclass(frozen=True)
class TldFilter:
    """Exact values, or patterns where ``*`` matches any run of characters."""

    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class BlacklistFilter:
    """Exact values, or patterns where ``*`` matches any run of characters."""

    pattern: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class PoolFilter:
    """Exact values, or patterns where ``*`` matches any run of characters."""

    name: str | None = None


@dataclass(frozen=True)
class ZoneTaskFilter:
    """Of imports and exports: exact values, or patterns where ``*`` matches any run."""

    project_id: str | None = None  # None: every project
    status: str | None = None
    message: str | None = None
    zone_id: str | None = None
