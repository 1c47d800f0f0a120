"""Counts of the zones' state for the metrics: by status, lagging per nameserver, failing
per target (three grouped reads)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zonefleet.storage.models import (
    LIVE,
    NameserverState,
    PoolTarget,
    Zone,
    ZoneNameserver,
    ZoneTarget,
)


@dataclass(frozen=True)
class StateCounts:
    zones: dict[str, int]
    lagging: dict[str, int]
    failing: dict[str, int]


def state_counts(session: Session) -> StateCounts:
    by_status = select(Zone.status, func.count()).where(Zone.deleted == LIVE).group_by(Zone.status)
    lagging = (
        select(ZoneNameserver.nameserver, func.count())
        .join(Zone, Zone.id == ZoneNameserver.zone_id)
        .where(Zone.deleted == LIVE, ZoneNameserver.state != NameserverState.SERVING)
        .group_by(ZoneNameserver.nameserver)
    )
    label = func.coalesce(PoolTarget.description, PoolTarget.id)
    failing = (
        select(label, func.count())
        .select_from(ZoneTarget)
        .join(PoolTarget, PoolTarget.id == ZoneTarget.target_id)
        .where(ZoneTarget.last_error.is_not(None))
        .group_by(label)
    )
    return StateCounts(
        zones={str(k): int(v) for k, v in session.execute(by_status)},
        lagging={str(k): int(v) for k, v in session.execute(lagging)},
        failing={str(k): int(v) for k, v in session.execute(failing)},
    )
