"""The reconciler: level-triggered, woken by hints, sure to come back by its periodic scan.

One round for a zone: claim its due targets, run the backend calls and NOTIFYs
outside any transaction, write the results back, then ask every nameserver of
the pool for the zone's SOA with a short growing backoff until they all serve
its serial (or the attempt's time runs out), and settle the zone's status.

A hint for a zone whose targets already hold it also sends their NOTIFYs at
once, before the round's claim: NOTIFY is idempotent and needs no lease, and the
target starts its transfer a claim's time sooner. The round then verifies as usual.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

import dns.exception
from sqlalchemy.exc import SQLAlchemyError

from zonefleet.backends.base import Backend, BackendError, TargetSpec, ZoneRef, backend_class
from zonefleet.dns.notify import NotifyRefusedError, send_notify
from zonefleet.dns.serial import serial_at_least
from zonefleet.errors import ServiceUnavailableError
from zonefleet.logs import log_context
from zonefleet.metrics import DUE_ZONES, PUSHES, ROUNDS_IN_FLIGHT
from zonefleet.settings import BindAddress, WorkerSettings
from zonefleet.storage.database import Database
from zonefleet.worker.batches import WriteBatches
from zonefleet.worker.ledger import Ledger, PushResult, Settled
from zonefleet.worker.plan import Claimed, Plan
from zonefleet.worker.serials import Nameserver, Served, served_serial

LOG = logging.getLogger(__name__)
# Zones whose targets are remembered for early NOTIFYs (least recently changed dropped).
HOLDING_LIMIT = 10_000
# Rounds in flight at shutdown get this long to finish before they are cancelled.
STOP_GRACE_SECONDS = 5.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Reconciler:
    """Runs in one event loop; `zone_changed` may be called from any thread."""

    def __init__(
        self,
        database: Database,
        settings: WorkerSettings,
        mdns: BindAddress,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = Ledger(database, settings, mdns, owner or worker_name())
        self.writes = WriteBatches(database)
        self.rounds = 0
        self._backends: dict[str, Backend] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: dict[str, bool] = {}
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._stopping = asyncio.Event()
        self._early: set[asyncio.Task[None]] = set()
        self._holding: OrderedDict[str, tuple[ZoneRef, tuple[TargetSpec, ...]]] = OrderedDict()
        self._notified: dict[str, set[str]] = {}
        self._notified_lock = threading.Lock()
        self._pushing: dict[str, int] = {}
        self._pushing_lock = threading.Lock()

    def zone_changed(self, zone_id: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._hinted, zone_id)

    def _hinted(self, zone_id: str) -> None:
        held = self._holding.get(zone_id)
        if held is not None and not self._stopping.is_set():
            task = asyncio.get_running_loop().create_task(
                asyncio.to_thread(self._notify_early, *held)
            )
            self._early.add(task)
            task.add_done_callback(self._early.discard)
        self._wake(zone_id, True)

    def _notify_early(self, zone: ZoneRef, specs: tuple[TargetSpec, ...]) -> None:
        for spec in specs:
            try:
                self._backend(spec).request_refresh(zone)
            except BackendError as exc:
                LOG.debug("worker: zone %s: early NOTIFY to %s: %s", zone.id, spec.id, exc)
                continue
            with self._notified_lock:
                self._notified.setdefault(zone.id, set()).add(spec.id)

    def _take_notified(self, zone_id: str, target_id: str) -> bool:
        with self._notified_lock:
            targets = self._notified.get(zone_id, set())
            if target_id not in targets:
                return False
            targets.discard(target_id)
            return True

    def _remember(self, plan: Plan, results: Sequence[PushResult]) -> None:
        """Targets that now hold the zone get the next hint's NOTIFY straight away."""
        ok = {result.target_id for result in results if result.error is None}
        specs = tuple(c.spec for c in plan.claimed if c.target_id in ok and not c.remove)
        if plan.deleting or not specs:
            self._holding.pop(plan.zone.id, None)
            return
        self._holding[plan.zone.id] = (plan.zone, specs)
        self._holding.move_to_end(plan.zone.id)
        while len(self._holding) > HOLDING_LIMIT:
            self._holding.popitem(last=False)

    async def run(self) -> None:
        """Reconcile until `stop()`; rounds in flight get a moment to finish, then are cancelled."""
        self._loop = asyncio.get_running_loop()
        scan = asyncio.create_task(self._scan_forever())
        await self._stopping.wait()
        scan.cancel()
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        try:
            released = await asyncio.to_thread(self.ledger.release, self._pushing_zones())
        except (ServiceUnavailableError, SQLAlchemyError) as exc:
            LOG.warning("worker: leases not released (they expire by themselves): %s", exc)
        else:
            LOG.info("worker %s stopped; %d leases released", self.ledger.owner, released)
        self._loop = None

    def stop(self) -> None:
        self._stopping.set()

    def stats(self) -> dict[str, int]:
        """Counters for this worker's heartbeat."""
        return {"rounds": self.rounds, "zones_in_flight": len(self._running)}

    def _wake(self, zone_id: str, hinted: bool) -> None:
        if self._stopping.is_set():
            return
        if zone_id in self._running:
            self._again[zone_id] = self._again.get(zone_id, False) or hinted
            return
        task = asyncio.get_running_loop().create_task(self._reconcile(zone_id, hinted))
        self._running[zone_id] = task
        ROUNDS_IN_FLIGHT.inc()
        task.add_done_callback(lambda done: self._finished(zone_id, done))

    def _finished(self, zone_id: str, task: asyncio.Task[None]) -> None:
        del self._running[zone_id]
        ROUNDS_IN_FLIGHT.dec()
        if not task.cancelled() and task.exception() is not None:
            LOG.error("worker: zone %s: round failed", zone_id, exc_info=task.exception())
        if zone_id in self._again:
            self._wake(zone_id, self._again.pop(zone_id))

    async def _scan_forever(self) -> None:
        while True:
            try:
                due = await asyncio.to_thread(self.ledger.due_zones)
            except (ServiceUnavailableError, SQLAlchemyError) as exc:
                LOG.warning("worker: scan failed, retrying: %s", exc)
                due = []
            DUE_ZONES.set(len(due))
            for zone_id in due:
                if zone_id not in self._running:
                    self._wake(zone_id, False)
            await asyncio.sleep(self.settings.scan_interval)

    async def _reconcile(self, zone_id: str, hinted: bool) -> None:
        async with self._slots:
            with log_context(zone_id=zone_id):
                try:
                    plan = await self.writes.run(
                        lambda session: self.ledger.claim_in(session, zone_id, hinted=hinted),
                        order=zone_id,
                    )
                except (ServiceUnavailableError, SQLAlchemyError) as exc:
                    LOG.warning("worker: zone %s: cannot claim, the scan retries: %s",
                                zone_id, exc)  # fmt: skip
                    return
            if plan is None or plan.idle:
                return
            self.rounds += 1
            zone = plan.zone
            with log_context(zone_id=zone_id, zone=zone.name, serial=zone.serial,
                             request_id=plan.request_id):  # fmt: skip
                await self._round(plan)

    async def _round(self, plan: Plan) -> None:
        """Push to the claimed targets, NOTIFY, poll the nameservers, settle."""
        results = await asyncio.gather(
            *(asyncio.to_thread(self._push, plan, claimed) for claimed in plan.claimed)
        )
        patient = not any(result.error for result in results)
        if results:
            self._remember(plan, results)
        unrecorded: Sequence[PushResult] = results
        if not patient:
            # A failure is shown at once; successes go with the settle, in its transaction.
            await self.writes.run(
                lambda session: self.ledger.record_in(session, plan, results), order=plan.zone.id
            )
            unrecorded = ()
        if any(result.error is None for result in results) and not plan.deleting:
            await asyncio.to_thread(self._also_notify, plan)
        worked = {result.target_id for result in results if result.error is None}
        pushed = tuple(c for c in plan.claimed if c.target_id in worked and not c.remove)
        served = await self._poll(plan, patient=patient, pushed=pushed)
        configured = [
            c for c in pushed
            if c.ensure and self._speaks_once_served(c.spec) and _serves(c, plan, served)
        ]  # fmt: skip
        if configured:
            said = await asyncio.gather(
                *(asyncio.to_thread(self._configured_and_served, plan, c) for c in configured)
            )
            steps = {c.target_id: step for c, step in zip(configured, said, strict=True) if step}
            unrecorded = _with_steps(unrecorded, steps)
        settled = await self._settle(plan, served, final=True, results=unrecorded)
        LOG.debug("worker: zone %s %s serial %s: %s", plan.zone.id, plan.zone.name,
                  plan.zone.serial, settled.status)  # fmt: skip

    async def _settle(
        self,
        plan: Plan,
        served: dict[Nameserver, Served],
        *,
        final: bool,
        results: Sequence[PushResult] = (),
    ) -> Settled:
        settled = await self.writes.run(
            lambda session: self.ledger.settle_in(
                session, plan, served, final=final, results=results
            ),
            order=plan.zone.id,
        )
        settled.observe()
        return settled

    def _pushing_zones(self) -> set[str]:
        with self._pushing_lock:
            return {zone_id for zone_id, count in self._pushing.items() if count}

    def _push(self, plan: Plan, claimed: Claimed) -> PushResult:
        """The backend calls for one target (in a thread: drivers block; a cancelled round
        does not stop them, so shutdown keeps their leases)."""
        with self._pushing_lock:
            self._pushing[plan.zone.id] = self._pushing.get(plan.zone.id, 0) + 1
        try:
            return self._push_target(plan, claimed)
        finally:
            with self._pushing_lock:
                self._pushing[plan.zone.id] -= 1
                if not self._pushing[plan.zone.id]:
                    del self._pushing[plan.zone.id]

    def _push_target(self, plan: Plan, claimed: Claimed) -> PushResult:
        with log_context(target=claimed.target_id):
            return self._push_in_context(plan, claimed)

    def _push_in_context(self, plan: Plan, claimed: Claimed) -> PushResult:
        zone, kind = plan.zone, claimed.spec.kind
        if claimed.skip_backend:
            return PushResult(claimed.target_id, claimed.remove, steps=("nothing to do there",))
        steps: list[str] = []
        try:
            backend = self._backend(claimed.spec)
            if claimed.spec.options.consumes_catalog:
                self._push_by_catalog(plan, claimed, backend, steps)
            elif claimed.remove:
                backend.remove_zone(zone)
                steps.append(f"{kind}: zone removed")
            else:
                if claimed.ensure:
                    backend.ensure_zone(zone)
                    steps.append(f"{kind}: zone configured")
                if claimed.ensure or not self._take_notified(zone.id, claimed.target_id):
                    backend.request_refresh(zone)
                    steps.append("refresh requested")
                else:
                    steps.append("refresh requested on the hint")
        except BackendError as exc:
            LOG.warning("worker: zone %s %s serial %s target %s: %s",
                        zone.id, zone.name, zone.serial, claimed.target_id, exc)  # fmt: skip
            error = "; ".join([*steps, f"{kind}: {exc}"])
            PUSHES.labels(claimed.target_id, "failed").inc()
            return PushResult(claimed.target_id, claimed.remove, error=error)
        PUSHES.labels(claimed.target_id, "removed" if claimed.remove else "pushed").inc()
        return PushResult(claimed.target_id, removed=claimed.remove, steps=tuple(steps))

    def _push_by_catalog(
        self, plan: Plan, claimed: Claimed, backend: Backend, steps: list[str]
    ) -> None:
        """A target that consumes the pool's catalog is told of changes, never configured:
        the catalog itself is set up there by its operator, and it adds and drops the
        catalog's members by itself (and transfers a new one at once). A member it is not
        known to hold may not be there yet, so a refused NOTIFY for one is no failure.

        A member the target never held gets no NOTIFY at all: the consumer transfers it as
        soon as it reads the catalog, and a NOTIFY would only cost it an SOA query (or a
        refusal) while the transfer is on its way. Should it still lag, the round's nudge
        NOTIFYs it after `worker.nudge_after`."""
        steps.append("through the catalog")
        if claimed.remove:
            return
        if claimed.first and not plan.catalog:
            steps.append("left to the consumer: it transfers a new member once it reads it")
            return
        if claimed.ensure or not self._take_notified(plan.zone.id, claimed.target_id):
            try:
                backend.request_refresh(plan.zone)
            except BackendError as exc:
                if plan.catalog or not claimed.ensure:
                    raise
                LOG.debug("worker: zone %s not on catalog consumer %s yet: %s",
                          plan.zone.id, claimed.target_id, exc)  # fmt: skip
                steps.append("not a member there yet")
            else:
                steps.append("refresh requested")

    def _speaks_once_served(self, spec: TargetSpec) -> bool:
        """Whether the target's driver has something to do once a new zone is served (most
        have not, and their rounds need no thread for it)."""
        driver = type(self._backend(spec))
        return driver.configured_and_served is not Backend.configured_and_served

    def _configured_and_served(self, plan: Plan, claimed: Claimed) -> str | None:
        """The driver's word once a zone it just configured is served (errors are no failure:
        the zone is served; whatever was stale expires by itself)."""
        with log_context(target=claimed.target_id):
            try:
                return self._backend(claimed.spec).configured_and_served(plan.zone)
            except BackendError as exc:
                LOG.warning("worker: zone %s: %s after it was served: %s",
                            plan.zone.id, claimed.target_id, exc)  # fmt: skip
                return f"{claimed.spec.kind}: once served: {exc}"

    def _backend(self, spec: TargetSpec) -> Backend:
        backend = self._backends.get(spec.id)
        if backend is None or backend.target != spec:
            backend = backend_class(spec.kind)(spec)
            self._backends[spec.id] = backend
        return backend

    async def _nudge(
        self,
        plan: Plan,
        pushed: Sequence[Claimed],
        lagging: dict[Nameserver, Served],
        waited: float,
    ) -> None:
        """Ask the targets that took the push to refresh again, and say so in the timeline."""
        serial = plan.zone.serial
        behind = "; ".join(
            f"{ns} {answer.state(serial, deleted=plan.deleting).lower()}"
            + (f" (serves {answer.serial})" if answer.serial is not None else "")
            for ns, answer in lagging.items()
        )
        said = await asyncio.gather(
            *(asyncio.to_thread(self._nudge_target, plan, claimed) for claimed in pushed)
        )
        steps = [(claimed.target_id, f"{outcome}; after {waited:.1f} s still behind: {behind}")
                 for claimed, outcome in zip(pushed, said, strict=True)]  # fmt: skip
        await self.writes.run(
            lambda session: self.ledger.steps_in(session, plan, "target", "nudged", steps),
            order=plan.zone.id,
        )

    def _nudge_target(self, plan: Plan, claimed: Claimed) -> str:
        with log_context(target=claimed.target_id):
            try:
                self._backend(claimed.spec).nudge(plan.zone)
            except BackendError as exc:
                LOG.info("worker: zone %s: nudge to %s failed: %s",
                         plan.zone.id, claimed.target_id, exc)  # fmt: skip
                return f"{claimed.spec.kind}: nudge failed: {exc}"
            LOG.info("worker: zone %s %s serial %s: nameservers lag, %s nudged",
                     plan.zone.id, plan.zone.name, plan.zone.serial, claimed.target_id)  # fmt: skip
            return f"{claimed.spec.kind}: refresh requested again"

    def _also_notify(self, plan: Plan) -> None:
        for nameserver in plan.also_notifies:
            try:
                send_notify(plan.zone.name, nameserver.host, nameserver.port,
                            timeout=self.settings.query_timeout)  # fmt: skip
            except (OSError, NotifyRefusedError, dns.exception.DNSException) as exc:
                LOG.info("worker: also-notify %s for %s: %s", nameserver, plan.zone.name, exc)

    async def _poll(
        self, plan: Plan, *, patient: bool, pushed: Sequence[Claimed] = ()
    ) -> dict[Nameserver, Served]:
        """Ask until every nameserver serves the serial, with a growing delay, or time runs out;
        nudge the `pushed` targets while some lag (after `nudge_after`, then twice as long)."""
        settings = self.settings
        if plan.deleting and plan.name_reused:
            return {}  # the nameservers now serve the zone that took the name over
        started = time.monotonic()
        deadline = started + (settings.poll_timeout if patient else 0)
        nudge_after = settings.nudge_after
        nudge_at = started + nudge_after if nudge_after and pushed else math.inf
        delay, early_settled = settings.poll_first_delay, False
        served: dict[Nameserver, Served] = {}
        waiting = list(plan.nameservers)
        while True:
            answers = await asyncio.gather(
                *(served_serial(plan.zone.name, ns, settings.query_timeout) for ns in waiting)
            )
            served.update(zip(waiting, answers, strict=True))
            serial, deleting = plan.zone.serial, plan.deleting
            waiting = [ns for ns in waiting if not served[ns].satisfies(serial, deleted=deleting)]
            remaining = deadline - time.monotonic()
            if not waiting or remaining <= 0:
                return served
            consensus = plan.consensus(served)
            enough = consensus is not None and serial_at_least(consensus, serial)
            if not early_settled and not deleting and enough:
                # Enough nameservers for the pool's threshold: ACTIVE now, keep asking the rest.
                await self._settle(plan, served, final=False)
                early_settled = True
            if time.monotonic() >= nudge_at:
                lagging = {ns: served[ns] for ns in waiting}
                await self._nudge(plan, pushed, lagging, time.monotonic() - started)
                nudge_after *= 2
                nudge_at = time.monotonic() + nudge_after
            await asyncio.sleep(min(delay, remaining))
            # Gentle growth: a nameserver usually takes a few milliseconds, rarely seconds.
            delay = min(delay * 1.5, settings.poll_max_delay)


def _with_steps(results: Sequence[PushResult], steps: dict[str, str]) -> list[PushResult]:
    """Push results not yet recorded, each with the step its target's driver took once the
    zone was served (by target id)."""
    return [
        replace(result, steps=(*result.steps, steps[result.target_id]))
        if result.target_id in steps
        else result
        for result in results
    ]


def _serves(claimed: Claimed, plan: Plan, served: dict[Nameserver, Served]) -> bool:
    """Whether the target's own nameserver (its options' host and port) serves the zone's
    serial; for a target that is not one of the pool's nameservers, whether they all do."""
    options = claimed.spec.options
    own = Nameserver(options.host, options.port) if options.host is not None else None
    asked = [served[own]] if own in served else list(served.values())
    serial = plan.zone.serial
    return len(asked) > 0 and all(answer.satisfies(serial, deleted=False) for answer in asked)
