"""Where a zone's change has reached: per target and per nameserver, against its serial.

An extension of ours (`GET /v2/zones/{id}/propagation`, `zonefleet zone status`),
read from what the worker recorded; no field of Designate's changes meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from zonefleet.errors import ZoneNotFound
from zonefleet.service.context import RequestContext
from zonefleet.service.zones import visible_zone
from zonefleet.storage.database import Database
from zonefleet.storage.models import Zone
from zonefleet.storage.propagation import PropagationRepository
from zonefleet.storage.repositories import Repositories


@dataclass(frozen=True)
class NameserverView:
    host: str
    port: int
    serial: int | None
    state: str
    last_error: str | None
    since: datetime | None
    checked_at: datetime | None


@dataclass(frozen=True)
class TargetView:
    id: str
    type: str
    description: str | None
    present: bool
    serial: int | None
    attempts: int
    last_error: str | None
    since: datetime
    next_attempt_at: datetime


@dataclass(frozen=True)
class Propagation:
    zone: Zone
    nameservers: Sequence[NameserverView]
    targets: Sequence[TargetView]


class PropagationService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get_propagation(self, ctx: RequestContext, zone_id: str) -> Propagation:
        with self.database.read() as session:
            zone = visible_zone(Repositories(session), ctx, zone_id)
            return self._read(PropagationRepository(session), zone)

    def find_by_name(self, name: str) -> Propagation:
        """For operators (no project scope): the live zone of that name."""
        absolute = name.lower() if name.endswith(".") else name.lower() + "."
        with self.database.read() as session:
            found = PropagationRepository(session)
            zone = found.live_zone_named(absolute)
            if zone is None:
                raise ZoneNotFound(f"no zone named {name}")
            return self._read(found, zone)

    @staticmethod
    def _read(found: PropagationRepository, zone: Zone) -> Propagation:
        nameservers = [
            NameserverView(
                *_endpoint(r.nameserver), r.serial, r.state, r.last_error, r.since, r.checked_at
            )
            for r in found.nameservers(zone.id)
        ]
        targets = [
            TargetView(
                target.id,
                target.type,
                target.description,
                row.present,
                row.serial,
                row.attempts,
                row.last_error,
                row.since,
                row.next_attempt_at,
            )
            for row, target in found.targets(zone.id)
        ]
        return Propagation(zone, nameservers, targets)


def _endpoint(text: str) -> tuple[str, int]:
    """ "host:port" or "[v6]:port" as the worker stores it."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)
