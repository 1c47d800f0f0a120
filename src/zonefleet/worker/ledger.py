"""The reconciler's reads and writes, each in a short transaction with no network I/O inside.

`claim_in` leases the due (zone, target) rows (SKIP LOCKED where the engine has it;
SQLite's BEGIN IMMEDIATE serialises writers already); `record_in` writes push
results back only where the lease is still ours; `settle_in` turns what the
nameservers answered into zone and recordset status. Each runs in the session it is
given: the reconciler shares transactions among rounds (worker/batches.py); `claim`,
`record` and `settle` run one in a transaction of its own.

Every round runs `claim` and `settle`, so both read the zone and its pool as Core
snapshots and write zones, nameserver rows and the timeline with explicit statements;
only the (zone, target) rows, which pools with targets have, are ORM objects.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from zonefleet.dns.serial import serial_at_least
from zonefleet.metrics import PROPAGATION_SECONDS
from zonefleet.settings import BindAddress, WorkerSettings
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    LIVE,
    Action,
    Base,
    NameserverState,
    Pool,
    PoolTarget,
    Status,
    TsigKey,
    Zone,
    ZoneEvent,
    ZoneTarget,
    ZoneType,
    utcnow,
)
from zonefleet.storage.repositories import (
    EventRepository,
    PoolRepository,
    ZoneRepository,
)
from zonefleet.storage.upsert import insert_missing, upsert
from zonefleet.worker.plan import (
    Claimed,
    Plan,
    lease_free,
    nameservers,
    same_server,
    settled,
    target_spec,
    zone_ref,
)
from zonefleet.worker.serials import Nameserver, Served

LOG = logging.getLogger(__name__)

RECORDSETS = Base.metadata.tables["recordsets"]
ZONE_NAMESERVERS = Base.metadata.tables["zone_nameservers"]

_NAMESERVER_ROWS = select(ZONE_NAMESERVERS).where(
    ZONE_NAMESERVERS.c.zone_id == bindparam("zone_id")
)
_UPDATE_NAMESERVER = update(ZONE_NAMESERVERS).where(
    ZONE_NAMESERVERS.c.zone_id == bindparam("row_zone_id"),
    ZONE_NAMESERVERS.c.nameserver == bindparam("row_nameserver"),
)
_RECORDSETS_SERVED = (
    update(RECORDSETS)
    .where(
        RECORDSETS.c.zone_id == bindparam("served_zone_id"),
        RECORDSETS.c.status != Status.ACTIVE,
        RECORDSETS.c.serial <= bindparam("served"),
    )
    .values(status=Status.ACTIVE, action=Action.NONE)
)


@dataclass(frozen=True)
class PushResult:
    target_id: str
    removed: bool
    error: str | None = None
    at: datetime = field(default_factory=utcnow)  # when the backend calls ended
    steps: tuple[str, ...] = ()  # what was done there, for the timeline


@dataclass(frozen=True)
class Settled:
    """A settle's outcome; `propagated` is how long the write took to be served, when this
    settle turned the zone ACTIVE (observed once the transaction is committed)."""

    status: Status
    propagated: float | None = None

    def observe(self) -> None:
        if self.propagated is not None:
            PROPAGATION_SECONDS.observe(self.propagated)


class Ledger:
    def __init__(
        self, database: Database, settings: WorkerSettings, mdns: BindAddress, owner: str
    ) -> None:
        self.database = database
        self.settings = settings
        self.mdns = mdns
        self.owner = owner

    def due_zones(self, limit: int = 1000) -> list[str]:
        """Zones whose nameservers may not serve what they should (PENDING or ERROR), and
        zones with a failed target due for another attempt."""
        unsettled = (
            select(Zone.id)
            .where(Zone.status.in_([Status.PENDING, Status.ERROR]))
            .order_by(Zone.updated_at)
            .limit(limit)
        )
        retrying = (
            select(ZoneTarget.zone_id)
            .where(ZoneTarget.attempts > 0, ZoneTarget.next_attempt_at <= utcnow())
            .distinct()
            .limit(limit)
        )
        with self.database.read() as session:
            zone_ids = list(session.scalars(unsettled))
            return zone_ids + [z for z in session.scalars(retrying) if z not in set(zone_ids)]

    def claim(self, zone_id: str, *, hinted: bool) -> Plan | None:
        """`claim_in`, in a transaction of its own."""
        with self.database.write() as session:
            return self.claim_in(session, zone_id, hinted=hinted)

    def claim_in(self, session: Session, zone_id: str, *, hinted: bool) -> Plan | None:
        """Lease the zone's due targets; None when the zone needs nothing.

        A hint (a fresh write) makes a target due at once even while it backs off
        from earlier failures; the periodic scan waits for `next_attempt_at`.
        """
        now = utcnow()
        zone = ZoneRepository(session).snapshot(zone_id)
        if zone is None or zone.status == Status.DELETED or _awaits_transfer(zone):
            return None
        pool = PoolRepository(session).snapshot(zone.pool_id)
        assert pool is not None
        deleting = zone.action == Action.DELETE
        rows = self._target_rows(session, zone, pool, now)
        keys: dict[str, TsigKey] | None = None
        claimed: list[Claimed] = []
        unsettled = 0
        by_id = {target.id: target for target in pool.targets}
        by_id |= self._left_behind(session, rows, by_id)
        reused = deleting and self._name_reused(session, zone)
        for row in rows:
            target = by_id[row.target_id]
            remove = deleting or target.retired or target.pool_id != pool.id
            if settled(row, zone, remove=remove):
                continue
            unsettled += 1
            due = row.next_attempt_at <= now or (hinted and row.serial != zone.serial)
            if not (due and lease_free(row, now)):
                continue
            if keys is None:
                keys = {key.name: key for key in session.scalars(select(TsigKey))}
            try:
                spec = target_spec(target, keys, self.mdns)
            except ValueError as exc:
                self._failed(row, f"target options do not validate: {exc}", now)
                continue
            row.lease_owner = self.owner
            row.lease_expires_at = now + timedelta(seconds=self.settings.lease_seconds)
            skip = remove and (reused or self._replaced(target, pool))
            # A failed NOTIFY or transfer does not undo an rndc/API call that worked:
            # only a target not known to hold the zone is configured again. A nameserver
            # found not serving the zone at all clears `present` (see _attempt_failed).
            ensure = not remove and not row.present
            first = ensure and row.serial is None
            claimed.append(
                Claimed(spec, remove=remove, ensure=ensure, skip_backend=skip, first=first)
            )
        if zone.status == Status.ACTIVE and not unsettled:
            return None
        plan = Plan(
            zone=zone_ref(zone),
            pool_id=pool.id,
            deleting=deleting,
            threshold=pool.threshold_percentage,
            nameservers=nameservers(pool, self.mdns),
            also_notifies=tuple(Nameserver(a.host, a.port) for a in pool.also_notifies),
            claimed=tuple(claimed),
            name_reused=reused,
            catalog=zone.type == ZoneType.CATALOG,
            retiring=any(
                by_id[c.spec.id].retired or by_id[c.spec.id].pool_id != pool.id for c in claimed
            ),
            targets=len(rows),
            unsettled=unsettled,
            request_id=EventRepository(session).last_request(zone.id) if claimed else None,
        )
        if claimed:
            work = "remove" if deleting else "push"
            woken = "woken by a hint from the bus" if hinted else "found due by the scan"
            detail = f"{work} to {len(claimed)} of {len(rows)} targets, {woken}"
            self._event(session, plan, "worker", self.owner, "claimed", detail=detail, at=now)
        return plan

    def record(self, plan: Plan, results: Sequence[PushResult]) -> None:
        """`record_in`, in a transaction of its own."""
        with self.database.write() as session:
            self.record_in(session, plan, results)

    def record_in(self, session: Session, plan: Plan, results: Sequence[PushResult]) -> None:
        """Write push results back where our lease still holds (`settle` takes them too)."""
        self._write_results(session, plan, results)

    def _write_results(self, session: Session, plan: Plan, results: Sequence[PushResult]) -> None:
        """Each result on its row where our lease still holds; each in the timeline.

        A compare-and-set: each row is read locked (FOR UPDATE; SQLite's writer is alone
        already), so a lease that expired and was taken by another worker meanwhile is seen
        as theirs and left alone. On Galera, which does not lock across nodes, the
        conflicting commit fails certification instead, and the scan retries the zone.
        """
        locked = self.database.dialect != "sqlite"
        for result in results:
            now = result.at
            key = (plan.zone.id, result.target_id)
            row = session.get(ZoneTarget, key, with_for_update=locked, populate_existing=True)
            if row is None or row.lease_owner != self.owner:
                continue
            row.lease_owner, row.lease_expires_at = None, None
            if result.error is None:
                if row.last_error is not None:
                    row.since = now
                row.present, row.serial, row.attempts = not result.removed, plan.zone.serial, 0
                row.last_error, row.next_attempt_at = None, now
            else:
                self._failed(row, result.error, now)
            done = "removed" if result.removed else "pushed"
            event = done if result.error is None else "push failed"
            detail = result.error or ", ".join(result.steps) or None
            self._event(session, plan, "target", result.target_id, event, detail=detail, at=now)
        if plan.retiring and results:
            self._retire_finished(session, plan)

    def steps_in(
        self,
        session: Session,
        plan: Plan,
        role: str,
        event: str,
        steps: Sequence[tuple[str, str]],
    ) -> None:
        """Steps of the zone's timeline that change no state: (subject, detail) each."""
        for subject, detail in steps:
            self._event(session, plan, role, subject, event, detail=detail)

    def release(self, keep: Collection[str] = ()) -> int:
        """Give up this worker's leases (at shutdown), but those on the zones in `keep`, whose
        backend calls are still running: those leases expire by themselves."""
        statement = update(ZoneTarget).where(ZoneTarget.lease_owner == self.owner)
        if keep:
            statement = statement.where(ZoneTarget.zone_id.not_in(list(keep)))
        with self.database.write() as session:
            values = statement.values(lease_owner=None, lease_expires_at=None)
            return session.connection().execute(values).rowcount

    def settle(
        self,
        plan: Plan,
        served: dict[Nameserver, Served],
        *,
        final: bool,
        results: Sequence[PushResult] = (),
    ) -> Status:
        """`settle_in`, in a transaction of its own."""
        with self.database.write() as session:
            settled = self.settle_in(session, plan, served, final=final, results=results)
        settled.observe()
        return settled.status

    def settle_in(
        self,
        session: Session,
        plan: Plan,
        served: dict[Nameserver, Served],
        *,
        final: bool,
        results: Sequence[PushResult] = (),
    ) -> Settled:
        """Record what each nameserver serves and move the zone and its recordsets on;
        first write `results`, push results not yet recorded (as `record_in` does).

        `final` is the end of an attempt: nameservers still behind then count as a
        failed attempt on every target, and past the retry budget the zone shows ERROR.
        """
        now = utcnow()
        self._write_results(session, plan, results)
        zone = ZoneRepository(session).snapshot(plan.zone.id)
        if zone is None:
            return Settled(Status.DELETED)
        self._observe(session, plan, served, now)
        current = zone.serial == plan.zone.serial
        if plan.deleting:
            if self._removed(session, zone, plan, served):
                return Settled(Status.DELETED)
            if final:
                self._attempt_failed(session, zone, plan, served, now)
            return Settled(Status(zone.status))
        consensus = plan.consensus(served)
        if consensus is not None:
            self._recordsets_served(session, zone.id, consensus)
        converged = consensus is not None and serial_at_least(consensus, plan.zone.serial)
        if current and converged:
            if zone.status != Status.ACTIVE and ZoneRepository(session).mark_active(
                zone.id, plan.zone.serial
            ):
                self._event(session, plan, "worker", None, "status ACTIVE")
                written = zone.updated_at or zone.created_at
                return Settled(Status.ACTIVE, max(0.0, (now - written).total_seconds()))
        elif current and final:
            self._attempt_failed(session, zone, plan, served, now)
        return Settled(Status(zone.status))

    # -- the pieces ---------------------------------------------------------------------

    def _target_rows(
        self, session: Session, zone: Zone, pool: Pool, now: datetime
    ) -> list[ZoneTarget]:
        """The zone's rows this worker may claim, locked: rows are first made (insert unless
        present, so a worker racing on a new zone never fails on the duplicate) for live
        targets the zone has none on; rows another worker has locked are skipped. Rows on
        another pool's targets are those of a zone moved away from them (`pool_move`)."""
        live = [target for target in pool.targets if not target.retired]
        have: set[str] = set()
        if live:  # a pool served by mdns alone has no rows to make
            have.update(
                session.scalars(select(ZoneTarget.target_id).where(ZoneTarget.zone_id == zone.id))
            )
        missing = [
            {"zone_id": zone.id, "target_id": target.id, "present": False, "attempts": 0,
             "next_attempt_at": now, "since": now}
            for target in live
            if target.id not in have
        ]  # fmt: skip
        if missing:
            table = Base.metadata.tables["zone_targets"]
            session.connection().execute(insert_missing(self.database.dialect, table, missing))
        statement = select(ZoneTarget).where(ZoneTarget.zone_id == zone.id)
        if self.database.dialect != "sqlite":
            statement = statement.with_for_update(skip_locked=True)
        return list(session.scalars(statement))

    @staticmethod
    def _left_behind(
        session: Session, rows: Sequence[ZoneTarget], known: dict[str, PoolTarget]
    ) -> dict[str, PoolTarget]:
        """The targets of other pools the zone still has rows on: it moved away from them."""
        missing = [row.target_id for row in rows if row.target_id not in known]
        if not missing:
            return {}
        found = session.scalars(select(PoolTarget).where(PoolTarget.id.in_(missing)))
        return {target.id: target for target in found}

    @staticmethod
    def _name_reused(session: Session, zone: Zone) -> bool:
        """A live zone of the same name in the pool: removing this one would remove that one."""
        statement = select(Zone.id).where(
            Zone.name == zone.name,
            Zone.pool_id == zone.pool_id,
            Zone.deleted == LIVE,
            Zone.id != zone.id,
        )
        return session.scalar(statement.limit(1)) is not None

    @staticmethod
    def _replaced(target: PoolTarget, pool: Pool) -> bool:
        """A retired target, or one of the pool a zone moved from, whose server a live target
        of the zone's pool configures (removing the zone there would remove the new one)."""
        if not target.retired and target.pool_id == pool.id:
            return False
        return any(
            not other.retired
            and other.type == target.type
            and same_server(other.options, target.options)
            for other in pool.targets
        )

    def _failed(self, row: ZoneTarget, error: str, now: datetime) -> None:
        if row.last_error is None:
            row.since = now
        row.attempts += 1
        row.last_error = error
        delay = min(self.settings.retry_backoff_max, 0.5 * 2 ** min(row.attempts, 16))
        row.next_attempt_at = now + timedelta(seconds=delay)

    @staticmethod
    def _retire_finished(session: Session, plan: Plan) -> None:
        """Rows of zones removed from retired targets, or from the targets of a pool the zone
        moved away from, go; a retired target with none goes too."""
        retired = select(PoolTarget.id).where(
            or_(PoolTarget.retired, PoolTarget.pool_id != plan.pool_id)
        )
        session.execute(
            delete(ZoneTarget).where(
                ZoneTarget.zone_id == plan.zone.id,
                ZoneTarget.target_id.in_(retired),
                ZoneTarget.present.is_(False),
                ZoneTarget.attempts == 0,
                ZoneTarget.serial.is_not(None),
            )
        )
        in_use = select(ZoneTarget.target_id).distinct()
        session.execute(
            delete(PoolTarget).where(
                PoolTarget.retired,
                PoolTarget.pool_id == plan.pool_id,
                PoolTarget.id.not_in(in_use),
            )
        )

    def _observe(
        self, session: Session, plan: Plan, served: dict[Nameserver, Served], now: datetime
    ) -> None:
        connection = session.connection()
        rows = {
            row.nameserver: row
            for row in connection.execute(_NAMESERVER_ROWS, {"zone_id": plan.zone.id})
        }
        for nameserver, answer in served.items():
            state = answer.state(plan.zone.serial, deleted=plan.deleting)
            row = rows.get(str(nameserver))
            if row is None:
                moved, since = True, now
            else:
                moved = row.state != state
                since = now if moved or row.serial != answer.serial else row.since
            if moved:
                detail = answer.error or (f"serves {answer.serial}" if answer.serial else None)
                self._event(
                    session, plan, "nameserver", str(nameserver), state.lower(), detail=detail
                )
            values = {"state": state, "serial": answer.serial, "last_error": answer.error,
                      "checked_at": now, "since": since}  # fmt: skip
            if row is None:  # another worker settling this zone may be making it too
                key = {"zone_id": plan.zone.id, "nameserver": str(nameserver)}
                made = upsert(self.database.dialect, ZONE_NAMESERVERS, tuple(key), key | values)
                connection.execute(made)
            else:
                key = {"row_zone_id": plan.zone.id, "row_nameserver": str(nameserver)}
                connection.execute(_UPDATE_NAMESERVER, {**key, **values})

    @staticmethod
    def _recordsets_served(session: Session, zone_id: str, serial: int) -> None:
        params = {"served_zone_id": zone_id, "served": serial}
        session.connection().execute(_RECORDSETS_SERVED, params)

    def _attempt_failed(
        self,
        session: Session,
        zone: Zone,
        plan: Plan,
        served: dict[Nameserver, Served],
        now: datetime,
    ) -> None:
        """Nameservers still behind at the end of an attempt: every target retries later."""
        lagging = [
            f"{ns} {answer.state(plan.zone.serial, deleted=plan.deleting).lower()}"
            + (f" ({answer.error})" if answer.error else "")
            for ns, answer in served.items()
            if not answer.satisfies(plan.zone.serial, deleted=plan.deleting)
        ]
        reason = "; ".join(lagging) or "a target failed"
        rows = list(session.scalars(select(ZoneTarget).where(ZoneTarget.zone_id == zone.id)))
        missing = not plan.deleting and any(
            answer.state(plan.zone.serial, deleted=False) == NameserverState.MISSING
            for answer in served.values()
        )
        for row in rows:
            if row.lease_owner in (None, self.owner) and row.attempts == 0:
                self._failed(row, reason, now)
            if missing and row.lease_owner in (None, self.owner):
                row.present = False  # a nameserver lost the zone: configure it again
        attempts = max((row.attempts for row in rows), default=0)
        if not rows:
            pending = now - (zone.updated_at or zone.created_at)
            budget = self.settings.retry_budget * self.settings.poll_timeout
            attempts = self.settings.retry_budget if pending.total_seconds() > budget else 0
        if attempts >= self.settings.retry_budget and zone.status != Status.ERROR:
            zone.status = Status.ERROR
            ZoneRepository(session).save(zone, ("status",))
            self._event(session, plan, "worker", None, "status ERROR", detail=reason)

    def _removed(
        self, session: Session, zone: Zone, plan: Plan, served: dict[Nameserver, Served]
    ) -> bool:
        """Finish a deletion once every target dropped the zone and no nameserver serves it."""
        rows = list(session.scalars(select(ZoneTarget).where(ZoneTarget.zone_id == zone.id)))
        if any(row.present or row.attempts for row in rows):
            return False
        if not all(s.satisfies(plan.zone.serial, deleted=True) for s in served.values()):
            return False
        if zone.deleted == LIVE:
            zone.deleted = zone.id
        zone.status, zone.action, zone.deleted_at = Status.DELETED, Action.NONE, utcnow()
        ZoneRepository(session).save(zone, ("deleted", "status", "action", "deleted_at"))
        session.execute(delete(ZoneTarget).where(ZoneTarget.zone_id == zone.id))
        self._event(session, plan, "worker", None, "status DELETED")
        return True

    @staticmethod
    def _event(
        session: Session,
        plan: Plan,
        role: str,
        subject: str | None,
        event: str,
        *,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        EventRepository(session).add(
            ZoneEvent(
                zone_id=plan.zone.id,
                role=role,
                subject=subject,
                event=event,
                detail=detail,
                serial=plan.zone.serial,
                request_id=plan.request_id,
                at=at or utcnow(),
            )
        )


def _awaits_transfer(zone: Zone) -> bool:
    """A SECONDARY zone before its first transfer has nothing for targets to take yet."""
    return (
        zone.type == ZoneType.SECONDARY
        and zone.transferred_at is None
        and zone.action != Action.DELETE
    )
