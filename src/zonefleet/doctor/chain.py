"""The walk along the chain: storage → workers → pool config → mdns → transfer permission →
control channel → every nameserver, each link judged from its own evidence.

Network checks run at once, each bounded by the doctor's timeout, so a run finishes in
seconds even when every server is down. Nothing is changed anywhere: the backends are
asked only their read-only questions (`control_status`, `zone_status`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from zonefleet.backends.base import Backend, BackendError, BackendOptions, ZoneRef, backend_class
from zonefleet.doctor.facts import (
    Facts,
    PoolFacts,
    Process,
    TargetFacts,
    ZoneFacts,
    read_facts,
    unique,
)
from zonefleet.doctor.findings import Finding, Link, Report, Verdict, capped
from zonefleet.doctor.pools_file import compare_pools_file
from zonefleet.errors import ServiceUnavailableError
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.storage.models import ServiceState, utcnow
from zonefleet.worker.serials import Nameserver, Served, served_serial

T = TypeVar("T")
# Options of the built-in drivers that bound one call; doctor lowers them to its timeout.
CALL_TIMEOUTS = ("rndc_timeout", "api_timeout", "timeout", "notify_timeout")
# How far back mdns's transfer steps count as the current word on a client.
TRANSFER_WINDOW = timedelta(hours=1)
TRANSFER_FIX = (
    "let the target's transfer source through: list it as a nameserver or target host of the "
    "pool, add its network to mdns.allow_transfer, or give the target a TSIG key (pools.yaml "
    "tsigkey_name)"
)


@dataclass(frozen=True)
class DoctorOptions:
    timeout: float = 2.0  # one network check
    grace: float = 10.0  # a change younger than this is in flight, not lagging
    pools_file: Path | None = None
    concurrency: int = 64


class Doctor:
    def __init__(self, database: Database, settings: Settings, options: DoctorOptions) -> None:
        self.database = database
        self.settings = settings
        self.options = options
        self._executor = ThreadPoolExecutor(16, thread_name_prefix="doctor")
        self._slots = asyncio.Semaphore(options.concurrency)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def check(self, zone_name: str | None = None, pool_name: str | None = None) -> Report:
        """One zone by name, or every live zone (of one pool)."""
        absolute = None if zone_name is None else _absolute(zone_name)
        scope = (
            f"zone {absolute}" if absolute else f"pool {pool_name}" if pool_name else "every zone"
        )
        since = utcnow() - TRANSFER_WINDOW
        try:
            facts = await self._io(
                read_facts, self.database, self.settings, absolute, pool_name, since
            )
        except (ServiceUnavailableError, SQLAlchemyError) as exc:
            return unreachable(exc, scope)
        if absolute is not None and not facts.zones:
            missing = Finding(
                Link.STORAGE,
                Verdict.BROKEN,
                f"no live zone named {absolute}",
                fix="check the name (`openstack zone list --all-projects`)",
            )
            return Report(scope, (missing,))
        pools = [p for p in facts.pools.values() if any(z.pool_id == p.id for z in facts.zones)]
        if pool_name is not None:
            pools = [p for p in facts.pools.values() if p.name == pool_name]
            if not pools:
                return Report(
                    scope, (Finding(Link.STORAGE, Verdict.BROKEN, f"no pool named {pool_name}"),)
                )
        findings = [self._storage(facts), self._workers(facts), self._pool_config(facts)]
        checks = [self._pool_links(facts, pool) for pool in pools]
        for found in await asyncio.gather(*checks):
            findings += found
        order = list(Link)
        findings.sort(key=lambda f: order.index(f.link))
        return Report(scope, tuple(findings))

    # -- storage, workers, pool config: read from the database and the disk ------------

    def _storage(self, facts: Facts) -> Finding:
        now = utcnow()
        if len(facts.zones) == 1:
            zone = facts.zones[0]
            evidence = [f"serial {zone.serial}, {zone.status}/{zone.action}"]
            if zone.oldest_write is not None:
                evidence.append(f"oldest change not yet served: {_ago(now, zone.oldest_write)}")
            return Finding(Link.STORAGE, Verdict.OK, f"zone {zone.name} is stored", tuple(evidence))
        counts: dict[str, int] = {}
        for zone in facts.zones:
            counts[zone.status] = counts.get(zone.status, 0) + 1
        shown = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return Finding(
            Link.STORAGE,
            Verdict.OK,
            f"{len(facts.zones)} live zones stored",
            (shown or "no zones",),
        )

    def _workers(self, facts: Facts) -> Finding:
        now = utcnow()
        alive = [p for p in self._alive(facts, now) if p.service_name == "worker"]
        claims = self._claims(facts, now)
        if alive:
            names = [
                f"{p.service_name} on {p.hostname}, heartbeat {_ago(now, p.heartbeated_at)}"
                for p in alive
            ]
            return Finding(
                Link.WORKERS, Verdict.OK, f"{len(alive)} worker(s) alive", capped([*names, *claims])
            )
        workers = [p for p in facts.processes if p.service_name == "worker"]
        last = workers[0] if workers else None
        evidence = (
            ["no process has ever heartbeated as a worker"]
            if last is None
            else [
                f"the last, {last.service_name} on {last.hostname}, heartbeated "
                f"{_ago(now, last.heartbeated_at)}"
            ]
        )
        return Finding(
            Link.WORKERS,
            Verdict.BROKEN,
            "no worker is running: changes are stored, never pushed",
            (*evidence, *claims),
            fix="start `zonefleet worker` (or `zonefleet serve`) against this database",
        )

    def _alive(self, facts: Facts, now: datetime) -> list[Process]:
        """Processes whose heartbeat is fresh and not DOWN."""
        down_after = timedelta(seconds=self.settings.heartbeat.down_after)
        return [
            p
            for p in facts.processes
            if now - p.heartbeated_at <= down_after and p.status != ServiceState.DOWN
        ]

    @staticmethod
    def _claims(facts: Facts, now: datetime) -> list[str]:
        lines = []
        for (_, target_id), row in facts.target_rows.items():
            if row.lease_owner and row.lease_expires_at and row.lease_expires_at > now:
                lines.append(
                    f"target {target_id} claimed by {row.lease_owner} until "
                    f"{row.lease_expires_at:%H:%M:%S}"
                )
            elif row.attempts:
                lines.append(
                    f"target {target_id}: {row.attempts} failed attempts, next at "
                    f"{row.next_attempt_at:%H:%M:%S}: {row.last_error}"
                )
        return lines

    def _pool_config(self, facts: Facts) -> Finding:
        path = self.options.pools_file
        if path is None and self.settings.pools.file:
            path = Path(self.settings.pools.file)
        if path is None:
            return Finding(Link.POOL_CONFIG, Verdict.OK, "no pools.file set: nothing to compare")
        return compare_pools_file(path, facts.definitions)

    # -- the network links of one pool -------------------------------------------------

    async def _pool_links(self, facts: Facts, pool: PoolFacts) -> list[Finding]:
        zones = [zone for zone in facts.zones if zone.pool_id == pool.id]
        sample = zones[0] if zones else None
        found = await asyncio.gather(
            self._mdns(facts, pool, sample),
            *(self._target(facts, pool, target, zones) for target in pool.targets),
            self._nameservers(facts, pool, zones),
        )
        mdns, *targets, nameservers = found
        findings = [*mdns, *self._strangers(facts, pool, zones)]
        for target_findings in targets:
            findings += target_findings
        return [*findings, *nameservers]

    async def _mdns(self, facts: Facts, pool: PoolFacts, zone: ZoneFacts | None) -> list[Finding]:
        """Every master a target of the pool is told to transfer from answers the zone's SOA
        as mdns would (with the zone's serial); mdns itself, for a pool served by it alone.
        Where mdns listens: each live mdns's heartbeat, and this configuration's mdns.bind."""
        if zone is None:
            return []
        bind = Nameserver(*self.settings.mdns.bind)
        masters: dict[Nameserver, list[str]] = {}
        for target in pool.targets:
            for master in target.spec.masters if target.spec else ():
                masters.setdefault(Nameserver(master.host, master.port), []).append(target.label)
        if not pool.targets:
            masters[bind] = []  # a pool without targets: mdns itself is its nameserver
        asked = unique([*masters, bind])
        answers = dict(zip(asked, await asyncio.gather(*(self._soa(zone, m) for m in asked)),
                           strict=True))  # fmt: skip
        listening = [
            p.listen for p in self._alive(facts, utcnow()) if p.service_name == "mdns" and p.listen
        ]
        if answers[bind].serial == zone.serial and str(bind) not in listening:
            listening.append(str(bind))
        return [
            _master_finding(zone, master, users, answers[master], listening)
            for master, users in masters.items()
        ]

    async def _target(
        self, facts: Facts, pool: PoolFacts, target: TargetFacts, zones: Sequence[ZoneFacts]
    ) -> list[Finding]:
        if target.spec is None:
            return [
                Finding(
                    Link.CONTROL,
                    Verdict.BROKEN,
                    f"target {target.label}: its options do not validate",
                    (target.invalid or "",),
                    "fix the target in pools.yaml",
                )
            ]
        try:
            backend = _bounded(target, self.options.timeout)
        except BackendError as exc:
            return [_control_finding(target, exc)]
        one = zones[0] if len(zones) == 1 else None
        control, said = await asyncio.gather(
            self._call(backend.control_status), self._zone_word(backend, one)
        )
        return [
            self._transfer(facts, pool, target, zones, said),
            _control_finding(target, control),
        ]

    async def _zone_word(self, backend: Backend, zone: ZoneFacts | None) -> str | BaseException:
        if zone is None:
            return ""
        ref = ZoneRef(zone.id, zone.name, zone.serial)
        said = await self._call(lambda: backend.zone_status(ref))
        if isinstance(said, BaseException):
            return said
        return said or ""

    def _transfer(
        self,
        facts: Facts,
        pool: PoolFacts,
        target: TargetFacts,
        zones: Sequence[ZoneFacts],
        said: str | BaseException,
    ) -> Finding:
        """mdns's ACL for the target's address, mdns's latest word on transfers to that
        address, and the target's own word on the zone."""
        host = target.spec.options.host if target.spec else None
        decision = facts.acl.get((pool.id, host)) if host else None
        latest = _latest_transfers(facts, zones).get(host or "")
        evidence = []
        if decision is not None:
            evidence.append(f"mdns's ACL for {host}: {decision.reason}")
        if latest is not None:
            at, event, detail = latest
            evidence.append(f"mdns, {at:%Y-%m-%d %H:%M:%S}: {event} to {host}: {detail}")
        if isinstance(said, BaseException):
            evidence.append(f"the target could not be asked about the zone: {said}")
        elif said:
            evidence.append(f"the target says: {said}")
        if latest is not None and latest[1] == "transfer refused":
            summary = f"mdns refuses transfers to {host}: {latest[2]}"
        elif decision is not None and not decision.allowed:
            summary = f"mdns would refuse transfers to {host}: {decision.reason}"
        else:
            summary = f"mdns lets target {target.label} transfer from its address"
            return Finding(Link.TRANSFER, Verdict.OK, summary, tuple(evidence))
        return Finding(Link.TRANSFER, Verdict.BROKEN, summary, tuple(evidence), TRANSFER_FIX)

    @staticmethod
    def _strangers(facts: Facts, pool: PoolFacts, zones: Sequence[ZoneFacts]) -> list[Finding]:
        """Refusals to addresses that are no target's: a target transferring from another
        address than the one pools.yaml gives it (BIND's transfer-source, a NAT)."""
        hosts = {t.spec.options.host for t in pool.targets if t.spec is not None}
        refused = {
            source: step
            for source, step in _latest_transfers(facts, zones).items()
            if source not in hosts and step[1] == "transfer refused"
        }
        if not refused:
            return []
        evidence = [
            f"mdns, {at:%Y-%m-%d %H:%M:%S}: {event} to {source}: {detail}"
            for source, (at, event, detail) in sorted(refused.items())
        ]
        _, _, detail = max(refused.values())
        summary = f"mdns refuses transfers to {', '.join(sorted(refused))}: {detail}"
        return [Finding(Link.TRANSFER, Verdict.BROKEN, summary, capped(evidence), TRANSFER_FIX)]

    async def _nameservers(
        self, facts: Facts, pool: PoolFacts, zones: Sequence[ZoneFacts]
    ) -> list[Finding]:
        """Every nameserver of the pool, asked for every zone's SOA."""
        now = utcnow()
        pairs = [(zone, ns) for zone in zones for ns in unique(pool.nameservers)]
        answers = await asyncio.gather(*(self._soa(zone, ns) for zone, ns in pairs))
        lagging: dict[Nameserver, list[str]] = {}
        in_flight = 0
        for (zone, ns), answer in zip(pairs, answers, strict=True):
            if answer.satisfies(zone.serial, deleted=False):
                continue
            written = zone.oldest_write or zone.latest_write
            fresh = now - written < timedelta(seconds=self.options.grace)
            if fresh:
                in_flight += 1
                continue
            row = facts.nameserver_rows.get((zone.id, str(ns)))
            line = f"{zone.name} serves {answer.serial or '-'}, desired {zone.serial}"
            if row is not None and row.state != "SERVING":
                line += f", {row.state.lower()} since {row.since:%Y-%m-%d %H:%M:%S}"
            error = answer.error or (row.last_error if row is not None else None)
            if error:
                line += f", last error: {error}"
            lagging.setdefault(ns, []).append(line)
        findings = []
        for ns in unique(pool.nameservers):
            if ns in lagging:
                lines = lagging[ns]
                findings.append(
                    Finding(
                        Link.NAMESERVERS,
                        Verdict.BROKEN,
                        f"nameserver {ns} lags on {len(lines)} of {len(zones)} zone(s): {lines[0]}",
                        capped(lines),
                        fix="see the links above; the worker retries it, and the drift audit "
                        "pushes it again",
                    )
                )
            else:
                note = f" ({in_flight} change(s) in flight)" if in_flight else ""
                findings.append(
                    Finding(
                        Link.NAMESERVERS,
                        Verdict.OK,
                        f"nameserver {ns} serves every zone's serial{note}",
                    )
                )
        return findings

    # -- plumbing ----------------------------------------------------------------------

    async def _soa(self, zone: ZoneFacts, nameserver: Nameserver) -> Served:
        async with self._slots:
            return await served_serial(zone.name, nameserver, self.options.timeout)

    async def _call(self, function: Callable[[], T]) -> T | BaseException:
        """A blocking backend question, in a thread, bounded by the timeout."""
        try:
            return await asyncio.wait_for(self._io(function), self.options.timeout + 1)
        except (BackendError, TimeoutError, OSError) as exc:
            return exc

    async def _io(self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)


def _master_finding(
    zone: ZoneFacts, master: Nameserver, users: list[str], answer: Served, listening: list[str]
) -> Finding:
    """One master against what it should be: this mdns, answering the zone's serial.
    `listening`: the addresses where an mdns answers (heartbeats, and mdns.bind if it does)."""
    told = (
        f"{', '.join(users)} transfer(s) from {master}"
        if users
        else f"the pool has no targets: mdns ({master}) is its nameserver"
    )
    if answer.serial == zone.serial:
        return Finding(
            Link.MDNS,
            Verdict.OK,
            f"{master} answers for {zone.name}",
            (f"{told}; it answers serial {answer.serial}",),
        )
    evidence = [f"{master}: {answer.error or f'serial {answer.serial}'}"]
    evidence.append(f"mdns listens on {', '.join(listening)}" if listening
                    else "no mdns process heartbeats, and mdns.bind does not answer")  # fmt: skip
    if not answer.reachable:
        elsewhere = [address for address in listening if address != str(master)]
        summary = f"{told}, but " + (
            f"mdns listens on {', '.join(elsewhere)}" if elsewhere else "nothing answers there"
        )
    elif answer.serial is None:
        summary = f"{told}, which answers but does not serve {zone.name}: not this mdns"
    else:
        summary = (
            f"{told}, which serves {zone.name} at serial {answer.serial}, not "
            f"{zone.serial}: another mdns or another database"
        )
    where = listening[0] if listening else "mdns's address"
    fix = (
        f"make the masters of the pool's targets in pools.yaml {where} and run `zonefleet "
        "pool update`, or make mdns listen where the masters say (mdns.bind); start mdns if "
        "none runs"
    )
    return Finding(Link.MDNS, Verdict.BROKEN, summary, tuple(evidence), fix)


def unreachable(exc: Exception, scope: str = "every zone") -> Report:
    """The report when the database cannot be read: nothing else can be judged."""
    said = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    finding = Finding(
        Link.STORAGE,
        Verdict.UNKNOWN,
        f"cannot read the database: {said}",
        fix="check database.url and that the database server runs",
    )
    return Report(scope, (finding,))


def _bounded(target: TargetFacts, timeout: float) -> Backend:
    """The target's driver with each call bounded by doctor's timeout."""
    assert target.spec is not None
    options: BackendOptions = target.spec.options
    lowered = {
        name: min(getattr(options, name), timeout)
        for name in CALL_TIMEOUTS
        if isinstance(getattr(options, name, None), int | float)
    }
    spec = target.spec
    bounded = type(spec)(
        spec.id, spec.kind, options.model_copy(update=lowered), spec.masters, spec.tsig
    )
    return backend_class(target.kind)(bounded)


def _latest_transfers(
    facts: Facts, zones: Sequence[ZoneFacts]
) -> dict[str, tuple[datetime, str, str]]:
    """mdns's latest step (time, event, detail) per client address for these zones."""
    ids = {zone.id for zone in zones}
    latest: dict[str, tuple[datetime, str, str]] = {}
    for step in facts.transfers:  # oldest first: the last one stays
        if step.zone_id in ids:
            latest[step.source] = (step.at, step.event, step.detail)
    return latest


def _control_finding(target: TargetFacts, control: str | BaseException) -> Finding:
    if isinstance(control, BaseException):
        return Finding(
            Link.CONTROL,
            Verdict.BROKEN,
            f"target {target.label}: the control channel fails: {control}",
            fix="check that the server runs and the credentials in pools.yaml "
            "(rndc key and port, api_token, knotc socket)",
        )
    return Finding(Link.CONTROL, Verdict.OK, f"target {target.label} answers", (control,))


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    return f"{then:%Y-%m-%d %H:%M:%S} ({seconds} s ago)"


def _absolute(name: str) -> str:
    return name.lower() if name.endswith(".") else name.lower() + "."
