"""What doctor found: one finding per link of the chain (and per target or nameserver where
a link has several), the verdict of each, its evidence and the fix."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


class Verdict(enum.StrEnum):
    OK = "ok"
    BROKEN = "broken"
    UNKNOWN = "unknown"  # could not be checked


class Link(enum.StrEnum):
    """The links in the order a change travels them."""

    STORAGE = "storage"
    WORKERS = "workers"
    POOL_CONFIG = "pool config"
    MDNS = "mdns reachability"
    TRANSFER = "transfer permission"
    CONTROL = "control channel"
    NAMESERVERS = "nameservers"


@dataclass(frozen=True)
class Finding:
    link: Link
    verdict: Verdict
    summary: str
    evidence: tuple[str, ...] = ()
    fix: str | None = None


@dataclass(frozen=True)
class Report:
    scope: str
    findings: tuple[Finding, ...]

    @property
    def first_broken(self) -> Finding | None:
        """The broken finding earliest in the chain: the link to mend first."""
        order = list(Link)
        broken = [f for f in self.findings if f.verdict == Verdict.BROKEN]
        return min(broken, key=lambda f: order.index(f.link), default=None)

    @property
    def exit_status(self) -> int:
        """0 healthy, 1 a link is broken, 2 a link could not be checked (and none is broken)."""
        if self.first_broken is not None:
            return 1
        return 2 if any(f.verdict == Verdict.UNKNOWN for f in self.findings) else 0

    def as_dict(self) -> dict[str, Any]:
        first = self.first_broken
        return {
            "scope": self.scope,
            "verdict": ("healthy", "broken", "unknown")[self.exit_status],
            "first_broken": None if first is None else asdict(first),
            "findings": [asdict(finding) for finding in self.findings],
        }


def capped(lines: Sequence[str], limit: int = 10) -> tuple[str, ...]:
    """At most `limit` lines of evidence, saying how many more there were."""
    if len(lines) <= limit:
        return tuple(lines)
    return (*lines[:limit], f"… and {len(lines) - limit} more")
