"""Group commit of the reconciler's writes, on every engine: writes that arrive together
share a transaction, each gets its own outcome, and one that fails does not take the
others with it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zonefleet.errors import DatabaseConflictError
from zonefleet.storage.database import Database
from zonefleet.storage.models import ZoneEvent
from zonefleet.worker.batches import WriteBatches

ZONE = "batched-writes-zone"


def add_step(label: str, ran: list[str]) -> Callable[[Session], str]:
    def write(session: Session) -> str:
        ran.append(label)
        session.add(ZoneEvent(zone_id=ZONE, role="worker", event="batched", detail=label))
        return label.upper()

    return write


def failing(label: str, ran: list[str]) -> Callable[[Session], str]:
    def write(session: Session) -> str:
        ran.append(label)
        session.add(ZoneEvent(zone_id=ZONE, role="worker", event="batched", detail=label))
        session.flush()
        raise LookupError(f"{label} refuses")

    return write


def stored(database: Database) -> list[str]:
    with database.read() as session:
        rows = session.scalars(select(ZoneEvent.detail).where(ZoneEvent.zone_id == ZONE))
        return sorted(detail for detail in rows if detail is not None)


def clear(database: Database) -> None:
    with database.write() as session:
        session.query(ZoneEvent).filter(ZoneEvent.zone_id == ZONE).delete()


def test_writes_that_arrive_together_share_transactions_in_zone_order(database: Database) -> None:
    clear(database)
    batches = WriteBatches(database, limit=8)
    ran: list[str] = []
    labels = [f"z{n:02d}" for n in range(20)]

    async def all_at_once() -> list[str]:
        # Queued in reverse: each batch still runs its writes by their order key.
        writes = [batches.run(add_step(label, ran), order=label) for label in reversed(labels)]
        return await asyncio.gather(*writes)

    values = asyncio.run(all_at_once())
    assert values == [label.upper() for label in reversed(labels)]
    assert stored(database) == labels
    # All were queued before the loop ran the committing task: batches of 8, 8 and 4,
    # each run in zone order although queued in reverse.
    assert batches.transactions == 3
    assert ran == labels[12:] + labels[4:12] + labels[:4]
    clear(database)


def test_a_failing_write_fails_alone_and_the_rest_of_its_batch_commits(
    database: Database,
) -> None:
    clear(database)
    batches = WriteBatches(database)
    ran: list[str] = []

    async def together() -> list[str | BaseException]:
        writes = [
            batches.run(add_step("a", ran), order="a"),
            batches.run(add_step("b", ran), order="b"),
            batches.run(failing("c", ran), order="c"),
            batches.run(add_step("d", ran), order="d"),
        ]
        return list(await asyncio.gather(*writes, return_exceptions=True))

    outcomes = asyncio.run(together())
    assert outcomes[:2] == ["A", "B"] and outcomes[3] == "D"
    assert isinstance(outcomes[2], LookupError) and str(outcomes[2]) == "c refuses"
    # The batch stopped at c and was rolled back; then each ran in a transaction of its own.
    assert ran == ["a", "b", "c", "a", "b", "c", "d"]
    assert batches.transactions == 5
    assert stored(database) == ["a", "b", "d"]
    clear(database)


def test_a_write_alone_waits_for_no_other(database: Database) -> None:
    batches = WriteBatches(database)

    async def one() -> int:
        return await batches.run(lambda session: 7, order="x")

    assert asyncio.run(one()) == 7
    assert batches.transactions == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_cancelled_waiter_does_not_stop_the_others(database: Database) -> None:
    clear(database)
    batches = WriteBatches(database)
    ran: list[str] = []

    async def cancel_one() -> list[str]:
        first = asyncio.ensure_future(batches.run(add_step("a", ran), order="a"))
        doomed = asyncio.ensure_future(batches.run(add_step("b", ran), order="b"))
        kept = asyncio.ensure_future(batches.run(add_step("c", ran), order="c"))
        await asyncio.sleep(0)
        doomed.cancel()
        return [await first, await kept]

    assert asyncio.run(cancel_one()) == ["A", "C"]
    assert "b" not in ran
    assert stored(database) == ["a", "c"]
    clear(database)


def test_a_write_alone_that_loses_a_conflict_runs_again(database: Database) -> None:
    clear(database)
    batches = WriteBatches(database)
    ran: list[str] = []

    def conflicting_once(session: Session) -> str:
        ran.append("x")
        session.add(ZoneEvent(zone_id=ZONE, role="worker", event="batched", detail="x"))
        session.flush()
        if len(ran) == 1:
            raise DatabaseConflictError()  # as the database layer reports a lost deadlock
        return "X"

    assert asyncio.run(batches.run(conflicting_once, order="x")) == "X"
    assert ran == ["x", "x"]
    assert batches.transactions == 2
    assert stored(database) == ["x"]  # the first try was rolled back whole
    clear(database)
