"""A test backend that records every call and fails on demand.

Stands in for a nameserver's control channel only in the reconciler's own
tests; the real drivers are tested against their real servers.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from zonefleet.backends.base import Backend, BackendError, ZoneRef


class WitnessBackend(Backend):
    kind = "witness"
    calls: ClassVar[list[tuple[str, str, str, int]]] = []
    # (target, zone, serial) of each `configured_and_served`, kept apart from `calls`.
    served: ClassVar[list[tuple[str, str, int]]] = []
    failing: ClassVar[set[str]] = set()
    lock: ClassVar[threading.Lock] = threading.Lock()

    def _call(self, operation: str, zone: ZoneRef) -> None:
        with self.lock:
            self.calls.append((operation, self.target.id, zone.name.to_text(), zone.serial))
            if operation in self.failing or self.target.id in self.failing:
                raise BackendError(f"witness {self.target.id} refuses {operation}")

    def ensure_zone(self, zone: ZoneRef) -> None:
        self._call("ensure", zone)

    def remove_zone(self, zone: ZoneRef) -> None:
        self._call("remove", zone)

    def request_refresh(self, zone: ZoneRef) -> None:
        self._call("refresh", zone)

    def configured_and_served(self, zone: ZoneRef) -> str | None:
        with self.lock:
            self.served.append((self.target.id, zone.name.to_text(), zone.serial))
        return "witness: told it is served"

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.calls.clear()
            cls.served.clear()
            cls.failing.clear()

    @classmethod
    def operations(cls, name: str) -> list[str]:
        with cls.lock:
            return [operation for operation, _, zone, _ in cls.calls if zone == name]
