"""A write whose transaction lost a database conflict runs again (it was rolled back
whole, so nothing is written twice); after three losses the caller gets the 503."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.errors import DatabaseConflictError
from zonefleet.storage.database import Database
from zonefleet.storage.models import Recordset
from zonefleet.storage.repositories import ZoneRepository


def conflicting(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The zone lock loses `times` conflicts, as a deadlock victim would; the calls made."""
    real = ZoneRepository.lock
    calls: list[int] = []

    def lock(self: ZoneRepository, zone_id: str) -> object:
        calls.append(1)
        if len(calls) <= times:
            raise DatabaseConflictError()
        return real(self, zone_id)

    monkeypatch.setattr(ZoneRepository, "lock", lock)
    return calls


def named(database: Database, name: str) -> int:
    with database.read() as session:
        statement = select(func.count()).select_from(Recordset).where(Recordset.name == name)
        return int(session.scalar(statement) or 0)


def test_a_lost_conflict_is_run_again_and_written_once(
    services: ApiServices, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = make_zone(services, "conflict.example.")
    calls = conflicting(monkeypatch, times=2)
    services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("www.conflict.example.", "A", "192.0.2.1")
    )
    assert len(calls) == 3
    assert named(database, "www.conflict.example.") == 1


def test_three_lost_conflicts_reach_the_caller_and_write_nothing(
    services: ApiServices, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = make_zone(services, "lost.example.")
    calls = conflicting(monkeypatch, times=3)
    with pytest.raises(DatabaseConflictError):
        services.recordsets.create_recordset(
            ctx(), zone.id, rs_request("www.lost.example.", "A", "192.0.2.1")
        )
    assert len(calls) == 3
    assert named(database, "www.lost.example.") == 0
