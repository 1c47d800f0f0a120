"""A deadlock between two real transactions on PostgreSQL and MariaDB is a
DatabaseConflictError (the service runs the write again; a 503 if it keeps losing), never
a 500: the loser's transaction was rolled back whole."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _empty, build_services, make_settings
from tests.service.factories import make_zone
from zonefleet.errors import DatabaseConflictError, ServiceUnavailableError
from zonefleet.storage.database import Database
from zonefleet.storage.repositories import ZoneRepository


@pytest.fixture(params=["postgresql", "mariadb"])
def server_database(request: pytest.FixtureRequest, _migrated: Any) -> Iterator[Database]:
    database: Database = _migrated(request.param)
    yield database
    _empty(database)


def test_the_loser_of_a_deadlock_gets_a_retryable_error(
    server_database: Database, tmp_path: Path
) -> None:
    services = build_services(make_settings(tmp_path), server_database)
    first, second = (make_zone(services, f"{n}.deadlock.example.").id for n in ("a", "b"))
    both_locked = threading.Barrier(2, timeout=10)
    outcomes: list[object] = []

    def lock_in_order(one: str, other: str) -> None:
        try:
            with server_database.write() as session:
                zones = ZoneRepository(session)
                zones.lock(one)
                both_locked.wait()
                zones.lock(other)
            outcomes.append("committed")
        except ServiceUnavailableError as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=lock_in_order, args=(first, second)),
        threading.Thread(target=lock_in_order, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(map(type, outcomes), key=str) == sorted([str, DatabaseConflictError], key=str)
    [lost] = [o for o in outcomes if isinstance(o, DatabaseConflictError)]
    assert isinstance(lost, ServiceUnavailableError)  # a 503 when the API gives it up
    assert "deadlock" in lost.message
