"""The backend contract: one driver per nameserver kind, found by entry point.

A driver makes one zone exist, or not exist, on one pool target, and tells the
target to refresh. Records never pass through it: the target pulls them from
mdns by AXFR/IXFR, and serial checks are the worker's, not the driver's.
"""

from __future__ import annotations

import abc
import functools
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import ClassVar

import dns.exception
import dns.name
import dns.tsig
from pydantic import BaseModel, ConfigDict, Field

from zonefleet.dns.notify import NotifyRefusedError, send_notify

ENTRY_POINT_GROUP = "zonefleet.backends"


class BackendError(Exception):
    """A backend call failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class UnknownBackendError(Exception):
    """No driver is registered for a pools.yaml target `type`."""


class BackendOptions(BaseModel):
    """A target's pools.yaml `options`; drivers extend it with their own keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str | None = Field(None, description="Address the target answers DNS on (NOTIFY)")
    port: int = Field(53, ge=1, le=65535, description="DNS port of the target")
    notify_timeout: float = Field(1.0, gt=0, description="Seconds to wait for a NOTIFY answer")
    consumes_catalog: bool = Field(
        False,
        description="The target learns the pool's zones from its catalog zone (configured "
        "there as a secondary of mdns): the worker makes no per-zone configuration call",
    )


@dataclass(frozen=True)
class Master:
    """Where the target transfers zones from: an mdns address."""

    host: str
    port: int


@dataclass(frozen=True)
class ZoneRef:
    """The zone a backend call is about: an already validated absolute name."""

    id: str
    name: dns.name.Name
    serial: int
    # Deleted with X-Designate-Hard-Delete: `remove_zone` drops its files and journal too.
    hard_delete: bool = False


@dataclass(frozen=True)
class TargetSpec:
    """One pool target as loaded: its id, validated options, masters and TSIG key."""

    id: str
    kind: str
    options: BackendOptions
    masters: tuple[Master, ...]
    tsig: dns.tsig.Key | None = None


class Backend(abc.ABC):
    """Makes one zone exist, or not exist, on one pool target. Nothing else.

    `ensure_zone` and `remove_zone` are idempotent: a zone that already exists
    (or is already gone) is success. Every method raises only BackendError.
    """

    kind: ClassVar[str]
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    def __init__(self, target: TargetSpec) -> None:
        self.target = target

    @abc.abstractmethod
    def ensure_zone(self, zone: ZoneRef) -> None:
        """Make the zone exist on the target as a secondary of the target's masters."""

    @abc.abstractmethod
    def remove_zone(self, zone: ZoneRef) -> None:
        """Make the zone not exist on the target."""

    def request_refresh(self, zone: ZoneRef) -> None:
        """Ask the target to fetch the zone now; the default sends a DNS NOTIFY."""
        options = self.target.options
        if options.host is None:
            raise BackendError(
                f"target {self.target.id} has no options.host to send NOTIFY to", retryable=False
            )
        try:
            send_notify(
                zone.name, options.host, options.port,
                timeout=options.notify_timeout, tsig=self.target.tsig,
            )  # fmt: skip
        except dns.exception.Timeout:
            raise BackendError(f"NOTIFY to {options.host}:{options.port} timed out") from None
        except (OSError, NotifyRefusedError, dns.exception.DNSException) as exc:
            raise BackendError(f"NOTIFY to {options.host}:{options.port} failed: {exc}") from None

    def nudge(self, zone: ZoneRef) -> None:
        """The worker's second word when the target's nameservers still lag well after a
        push that worked: by default the refresh again (its transfer may have failed, a
        NOTIFY is a datagram). A driver whose server may keep answering from a stale
        cache drops that cache too."""
        self.request_refresh(zone)

    def configured_and_served(self, zone: ZoneRef) -> str | None:
        """Called once the nameservers serve a zone this target was just configured with,
        before the zone is shown ACTIVE: a driver whose server may still hold answers from
        before the zone existed drops them here, and says what it did for the timeline.
        The default has nothing to do (None)."""
        return None

    # -- for `zonefleet doctor`: read only, never changes the target --------------------

    def control_status(self) -> str:
        """One line saying the target's control channel answers and accepts Zonefleet's
        credentials; raises BackendError when it does not. A driver without a control
        channel (NOTIFY only) has nothing to ask."""
        return "no control channel: changes reach it by NOTIFY alone"

    def zone_status(self, zone: ZoneRef) -> str | None:
        """The target's own word on the zone (configured, serial, last transfer), or None
        when it keeps none; raises BackendError when it cannot be asked."""
        return None


@functools.cache
def backend_class(kind: str) -> type[Backend]:
    """The driver registered under `kind` in the zonefleet.backends entry points.

    Cached: scanning the installed distributions takes milliseconds, and the
    worker asks on every round.
    """
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=kind):
        driver = entry.load()
        if isinstance(driver, type) and issubclass(driver, Backend):
            return driver
        raise UnknownBackendError(f"entry point {kind!r} is not a Backend subclass")
    raise UnknownBackendError(f"no backend of type {kind!r}; known: {', '.join(backend_kinds())}")


def backend_kinds() -> list[str]:
    return sorted(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))
