"""The producer loop: each tick, runs every due task that this producer owns.

A task that fails (the database or the nameservers away) is logged and tried
again at its next interval; a producer that does not own a task asks again each
tick, so it takes the task over soon after the owner's lock expires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from zonefleet.producer.ownership import Ownership
from zonefleet.producer.tasks import TRANSIENT, PeriodicTask

LOG = logging.getLogger(__name__)


class Producer:
    def __init__(self, tasks: Sequence[PeriodicTask], ownership: Ownership, tick: float) -> None:
        self.tasks = tuple(tasks)
        self.ownership = ownership
        self.tick = tick
        self.runs: dict[str, int] = {task.name: 0 for task in self.tasks}
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        await asyncio.to_thread(self.ownership.start)
        due = dict.fromkeys((task.name for task in self.tasks), 0.0)
        try:
            while not self._stopping.is_set():
                for task in self.tasks:
                    if time.monotonic() >= due[task.name] and await self._owned(task):
                        await self._run(task)
                        due[task.name] = time.monotonic() + task.interval
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.tick)
                except TimeoutError:
                    continue
        finally:
            await asyncio.to_thread(self.ownership.stop)

    def stop(self) -> None:
        self._stopping.set()

    async def _owned(self, task: PeriodicTask) -> bool:
        return await asyncio.to_thread(self.ownership.owns, task.name)

    async def _run(self, task: PeriodicTask) -> None:
        try:
            await task.run()
        except TRANSIENT as exc:
            LOG.warning(
                "producer: %s failed, next try in %.0f s: %s", task.name, task.interval, exc
            )
            return
        self.runs[task.name] += 1
