"""The worker's refresher of SECONDARY zones: transfers each from its masters when due.

A zone is due at creation, after each SOA refresh interval (the retry interval after a
failed attempt), and at once after the `xfr` task or a NOTIFY from one of its masters;
past its SOA expire with no master answering, it expires and is no longer served.
The refresher asks each master's SOA in turn and transfers from the first that serves a
newer serial (AXFR over TCP, by dnspython); what it brings is stored as the zone's whole
content, and the reconciler then pushes the zone to its pool as any change. One worker
takes a zone's refresh by a compare-and-set on its schedule, so two never pull it at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rrset
import dns.tsig
import dns.xfr
import dns.zone
from sqlalchemy.exc import SQLAlchemyError

from zonefleet.bus.local import ZoneHints
from zonefleet.dns.serial import serial_at_least
from zonefleet.errors import ServiceUnavailableError
from zonefleet.logs import log_context
from zonefleet.service.secondaries import Master, SecondaryService, Transferred, parse_master
from zonefleet.settings import WorkerSettings
from zonefleet.storage.secondaries import DueSecondary

LOG = logging.getLogger(__name__)
DUE_PAGE = 100
# Seconds between looks for due zones when hints keep coming.
POKE_GAP = 0.25
# A master that cannot be asked is asked again after this long when its SOA gave no retry.
DEFAULT_RETRY = 600
TRANSFER_ERRORS = (dns.exception.DNSException, OSError, EOFError, ValueError)


@dataclass(frozen=True)
class UpToDate:
    serial: int
    refresh: int


class SecondaryRefresher:
    """Runs in the worker's event loop; `poke` may be called from any thread."""

    def __init__(
        self, service: SecondaryService, settings: WorkerSettings, hints: ZoneHints
    ) -> None:
        self.service = service
        self.settings = settings
        self.hints = hints
        self.transfers = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poked = asyncio.Event()
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(8)

    def poke(self) -> None:
        """Look for due zones now (a hint arrived: the xfr task, or a NOTIFY, may have made
        one due)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._poked.set)

    def stop(self) -> None:
        self._stopping.set()
        self._poked.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            self._poked.clear()
            try:
                due = await asyncio.to_thread(self.service.due, DUE_PAGE)
            except (ServiceUnavailableError, SQLAlchemyError) as exc:
                LOG.warning("worker: secondary zones not read, retrying: %s", exc)
                due = []
            for zone in due:
                task = asyncio.create_task(self._refresh(zone))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            try:
                await asyncio.wait_for(self._poked.wait(), self.settings.secondary_scan_interval)
            except TimeoutError:
                continue
            # Every hint pokes (any could be an xfr task): a burst of writes makes one look.
            await asyncio.sleep(POKE_GAP)
        if self._running:
            await asyncio.wait(list(self._running), timeout=self.settings.transfer_timeout)
        self._loop = None

    async def _refresh(self, zone: DueSecondary) -> None:
        async with self._slots:
            with log_context(zone_id=zone.id, zone=zone.name, serial=zone.serial):
                try:
                    await self._refresh_taken(zone)
                except (ServiceUnavailableError, SQLAlchemyError) as exc:
                    LOG.warning("worker: refresh of %s not finished: %s", zone.name, exc)

    async def _refresh_taken(self, zone: DueSecondary) -> None:
        if not await asyncio.to_thread(self.service.take, zone, zone.retry or DEFAULT_RETRY):
            return  # another worker took it
        errors = []
        for text in zone.masters:
            master = parse_master(text)
            try:
                pulled = await asyncio.to_thread(self._pull, zone, master)
            except TRANSFER_ERRORS as exc:
                errors.append(f"{master}: {exc or type(exc).__name__}")
                continue
            if isinstance(pulled, UpToDate):
                await asyncio.to_thread(self.service.up_to_date, zone.id, pulled.refresh)
                return
            serial = await asyncio.to_thread(self.service.store, zone.id, pulled)
            if serial is not None:
                self.transfers += 1
                LOG.info("worker: %s transferred in from %s at serial %s",
                         zone.name, master, serial)  # fmt: skip
                self.hints.zone_changed(zone.id)
            return
        reason = "; ".join(errors) or "no masters"
        LOG.warning("worker: %s: no master could be transferred from: %s", zone.name, reason)
        if await asyncio.to_thread(self.service.failed, zone.id, zone.serial, reason):
            LOG.warning("worker: %s expired: no master answered within its SOA expire", zone.name)

    def _pull(self, zone: DueSecondary, master: Master) -> Transferred | UpToDate:
        """The zone from `master` when it serves a newer serial (or the zone never came):
        IXFR from the serial held when there is one (the master may answer with the whole
        zone), AXFR otherwise; signed with the zone's TSIG key when it has one."""
        origin = dns.name.from_text(zone.name)
        key = self.service.key_for(zone.id)
        soa = self._master_soa(origin, master, key)
        if zone.transferred and serial_at_least(zone.serial, soa.serial):
            return UpToDate(soa.serial, soa.refresh)
        if zone.transferred:
            received = self.service.held(zone.id, origin)
        else:
            received = dns.zone.Zone(origin, relativize=False)
        keyring = None if key is None else {key.name: key}
        query, serial = dns.xfr.make_query(
            received, serial=0 if zone.transferred else None, keyring=keyring,
            keyname=key.name if key else None,
            keyalgorithm=key.algorithm if key else dns.tsig.default_algorithm,
        )  # fmt: skip
        timeout = self.settings.transfer_timeout
        dns.query.inbound_xfr(master.host, received, query=query, port=master.port,
                              timeout=timeout, lifetime=timeout)  # fmt: skip
        rrsets = [
            dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))
            for name, rdataset in received.iterate_rdatasets()
        ]
        # A master may answer an IXFR with the whole zone; dnspython applies either.
        kind = "AXFR" if serial is None else f"IXFR asked from serial {serial}"
        return Transferred(str(master), kind, rrsets)

    def _master_soa(
        self, origin: dns.name.Name, master: Master, key: dns.tsig.Key | None
    ) -> dns.rdtypes.ANY.SOA.SOA:
        query = dns.message.make_query(origin, dns.rdatatype.SOA)
        query.flags &= ~dns.flags.RD
        if key is not None:
            query.use_tsig({key.name: key}, keyname=key.name, algorithm=key.algorithm)
        answer = dns.query.udp(query, master.host, port=master.port,
                               timeout=self.settings.query_timeout)  # fmt: skip
        if answer.rcode() != dns.rcode.NOERROR or not answer.flags & dns.flags.AA:
            raise ValueError(f"answered {dns.rcode.to_text(answer.rcode())} without authority")
        rrset = answer.get_rrset(answer.answer, origin, dns.rdataclass.IN, dns.rdatatype.SOA)
        if rrset is None:
            raise ValueError(f"no SOA for {origin}")
        rdata = rrset[0]
        assert isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
        return rdata
