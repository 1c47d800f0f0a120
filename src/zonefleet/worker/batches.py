"""Group commit for the reconciler's writes: the claims and settles of many rounds in one
transaction.

Every round writes at least twice (its claim, its settle), each a short transaction with no
network I/O inside. A transaction has a fixed cost (a session, BEGIN and COMMIT, on SQLite
the one write lock the API's writes queue for) that is larger than most of these writes.
So the writes of concurrent rounds go together: one that arrives while none is being
committed starts a transaction on the loop's next turn, with whatever else arrived by
then, and those that arrive while it commits go together in the next. Alone, a write
waits for nothing; under load, one transaction carries many rounds' writes.

A write that fails rolls its batch back with it, so a failed batch runs again one write
per transaction, and each write's own outcome (its value or its error) goes to its round.
A write alone that loses a conflict with another transaction (a deadlock, Galera's
certification) runs again after a short pause, as the API's writes do: the rollback undid
all of it, and the write reads what it needs afresh.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database

LOG = logging.getLogger(__name__)
T = TypeVar("T")
# Bounds one transaction, so an API write on SQLite waits for at most this many steps.
BATCH_LIMIT = 32


@dataclass
class _Queued:
    write: Callable[[Session], Any]
    # A batch runs its writes sorted by this (a zone id), so two workers' batches lock the
    # rows of the zones they share in one order and cannot deadlock on each other.
    order: str
    future: asyncio.Future[Any]


@dataclass(frozen=True)
class _Outcome:
    value: Any = None
    error: Exception | None = None


class WriteBatches:
    """Runs `write(session)` callables in shared transactions; used from one event loop."""

    def __init__(self, database: Database, limit: int = BATCH_LIMIT) -> None:
        self.database = database
        self.limit = limit
        self.transactions = 0  # committed or failed, for the tests and the heartbeat
        self._queue: list[_Queued] = []
        self._committing: asyncio.Task[None] | None = None

    async def run(self, write: Callable[[Session], T], *, order: str) -> T:
        """`write` in a transaction, perhaps shared; its value, or the error it raised."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(write, order, future))
        if self._committing is None:
            # A context of its own: the log context of the round that happened to start it
            # must not label every batch after.
            committing = self._commit_queued()
            self._committing = asyncio.create_task(committing, context=contextvars.Context())
        return await future

    async def _commit_queued(self) -> None:
        batch: list[_Queued] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.limit], self._queue[self.limit :]
                batch = sorted((q for q in batch if not q.future.done()), key=_order)
                outcomes = await asyncio.to_thread(self._commit, [q.write for q in batch])
                for queued, outcome in zip(batch, outcomes, strict=True):
                    if queued.future.done():  # its round was cancelled meanwhile
                        continue
                    if outcome.error is not None:
                        queued.future.set_exception(outcome.error)
                    else:
                        queued.future.set_result(outcome.value)
        finally:
            self._committing = None
            for queued in [*batch, *self._queue]:  # left only when this task was cancelled
                if not queued.future.done():
                    queued.future.cancel()
            self._queue = []

    def _commit(self, writes: list[Callable[[Session], Any]]) -> list[_Outcome]:
        if len(writes) > 1:
            self.transactions += 1
            try:
                with self.database.write() as session:
                    values = [write(session) for write in writes]
            except Exception as exc:  # each write runs again alone, below
                LOG.info("worker: a batch of %d writes failed, each runs alone: %s",
                         len(writes), exc)  # fmt: skip
            else:
                return [_Outcome(value) for value in values]
        return [self._alone(write) for write in writes]

    def _alone(self, write: Callable[[Session], Any]) -> _Outcome:
        try:
            return _Outcome(self._transaction(write))
        except Exception as exc:  # handed to the round that asked
            return _Outcome(error=exc)

    @retried
    def _transaction(self, write: Callable[[Session], Any]) -> Any:
        self.transactions += 1
        with self.database.write() as session:
            return write(session)


def _order(queued: _Queued) -> str:
    return queued.order
