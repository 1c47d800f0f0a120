"""The mdns query handler: one packet in, the wire messages to send back out.

Returns nothing for what deserves no answer (responses, packets shorter than a
header), FORMERR for what does not parse, NOTAUTH for a TSIG that does not
verify, NOTIMP for opcodes other than QUERY and NOTIFY (`notify_in.py`), REFUSED
for names mdns does not host and for transfers the ACL refuses. IXFR is answered from the journal
(`ixfr.plan`), with the whole zone where the journal cannot answer (or always,
with `mdns.ixfr` off), and over UDP with the current SOA alone when the answer
does not fit one datagram.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig

from zonefleet.logs import log_context
from zonefleet.mdns import ixfr
from zonefleet.mdns.acl import Decision, TransferAcl
from zonefleet.mdns.answer import Answerer
from zonefleet.mdns.notify_in import NotifyIn
from zonefleet.mdns.steps import TransferSteps
from zonefleet.mdns.store import HostedZone
from zonefleet.mdns.transfer import (
    MAX_MESSAGE_SIZE,
    TSIG_RESERVE,
    TransferCache,
    TransferTooBigError,
    for_query,
    render_messages,
    signed,
)
from zonefleet.metrics import MDNS_QUERIES, MDNS_TRANSFERS

LOG = logging.getLogger(__name__)
T = TypeVar("T")

TRANSFER_TYPES = (dns.rdatatype.AXFR, dns.rdatatype.IXFR)
HEADER = struct.Struct("!HH")
TSIG_ERRORS = (
    dns.message.UnknownTSIGKey,
    dns.tsig.BadSignature,
    dns.tsig.BadTime,
    dns.tsig.BadKey,
    dns.tsig.BadAlgorithm,
    dns.message.BadTSIG,
)


class QueryHandler:
    def __init__(
        self,
        answerer: Answerer,
        acl: TransferAcl,
        cache: TransferCache,
        executor: Executor,
        *,
        ixfr: bool = True,
        steps: TransferSteps | None = None,
        notify_in: NotifyIn | None = None,
    ) -> None:
        self.answerer = answerer
        self.steps = steps
        self.notify_in = notify_in
        self.ixfr = ixfr
        self.acl = acl
        self.cache = cache
        self.executor = executor

    async def handle(self, data: bytes, source: str, *, tcp: bool) -> AsyncIterator[bytes]:
        if self.acl.stale:
            await self._run(self.acl.refresh)
        try:
            query = dns.message.from_wire(data, keyring=self.acl.keyring)
        except dns.message.ShortHeader:
            return
        except TSIG_ERRORS as exc:
            LOG.info("mdns: TSIG from %s does not verify: %s", source, exc)
            yield _error_header(data, dns.rcode.NOTAUTH)
            return
        except (dns.exception.DNSException, ValueError, UnicodeError):
            if not data[2] & 0x80:  # never answer something that claims to be a response
                yield _error_header(data, dns.rcode.FORMERR)
            return
        if query.flags & dns.flags.QR:
            return
        first = True
        async for wire in self._dispatch(query, source, tcp=tcp):
            if first:
                qtype = dns.rdatatype.to_text(query.question[0].rdtype) if query.question else "-"
                MDNS_QUERIES.labels(qtype, dns.rcode.to_text(dns.rcode.Rcode(wire[3] & 0x0F))).inc()
                first = False
            yield wire

    async def _dispatch(
        self, query: dns.message.Message, source: str, *, tcp: bool
    ) -> AsyncIterator[bytes]:
        if query.opcode() == dns.opcode.NOTIFY and self.notify_in is not None:
            yield await self._notified(query, source)
            return
        rcode = _precheck(query)
        if rcode is not None:
            yield _error(query, rcode)
            return
        rdtype = query.question[0].rdtype
        since = _ixfr_serial(query) if rdtype == dns.rdatatype.IXFR else None
        if rdtype == dns.rdatatype.IXFR and since is None:
            yield _error(query, dns.rcode.FORMERR)
            return
        if rdtype in TRANSFER_TYPES and tcp:
            async for wire in self._transfer(query, source, since):
                yield wire
            return
        if rdtype == dns.rdatatype.AXFR:
            yield _error(query, dns.rcode.FORMERR)
            return
        max_size = max(query.payload, 512) if not tcp else MAX_MESSAGE_SIZE
        if since is not None:
            datagram = await self._ixfr_datagram(query, source, since, max_size)
            if datagram is not None:
                yield datagram
                return
        # An IXFR that does not fit gets the current SOA: the client then retries over TCP.
        asked = dns.rdatatype.SOA if rdtype == dns.rdatatype.IXFR else rdtype
        response = await self._run(self.answerer.answer, query, asked)
        yield response.to_wire(max_size=max_size, prefer_truncation=True)

    async def _transfer(
        self, query: dns.message.Message, source: str, since: int | None
    ) -> AsyncIterator[bytes]:
        allowed = await self._allowed(query, source)
        if isinstance(allowed, bytes):
            yield allowed
            return
        zone, decision = allowed
        if since is not None and self.ixfr:
            max_size = MAX_MESSAGE_SIZE - TSIG_RESERVE
            answer, rendered = await self._run(self._incremental, zone, since, max_size)
            if answer.rrsets is not None:
                outgoing = _Outgoing(query)
                for wire in rendered:
                    yield outgoing.send(wire)
                _log(
                    zone,
                    "mdns: IXFR of %s serial %s to %s to %s: %d records in %d messages, %s (%s)",
                    zone.origin, since, zone.serial, source, answer.records, len(rendered),
                    answer.detail, decision.reason,
                )  # fmt: skip
                self._served(zone, source, "IXFR", f"from serial {since}: {answer.records} "
                             f"records in {len(rendered)} messages, {answer.detail}")  # fmt: skip
                return
            _log(zone, "mdns: IXFR of %s from serial %s to %s goes as AXFR: %s",
                     zone.origin, since, source, answer.detail)  # fmt: skip
        entry = self.cache.get(zone)
        outgoing = _Outgoing(query)
        async for wire in entry.stream():
            yield outgoing.send(wire)
        self.cache.trim()
        _log(
            zone,
            "mdns: AXFR of %s serial %s to %s: %d records in %d messages (%s)",
            zone.origin, zone.serial, source, entry.records, outgoing.sent, decision.reason,
        )  # fmt: skip
        asked = f" (IXFR from serial {since} asked)" if since is not None else ""
        self._served(zone, source, "AXFR",
                     f"{entry.records} records in {outgoing.sent} messages{asked}")  # fmt: skip

    async def _notified(self, query: dns.message.Message, source: str) -> bytes:
        """NOTIFY from a master of a SECONDARY zone: the zone is due a refresh."""
        assert self.notify_in is not None
        if len(query.question) != 1 or query.question[0].rdtype != dns.rdatatype.SOA:
            return _error(query, dns.rcode.FORMERR)
        rcode = await self._run(self.notify_in.received, query.question[0].name, source)
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        if rcode == dns.rcode.NOERROR:
            response.flags |= dns.flags.AA
        return response.to_wire()

    def _served(self, zone: HostedZone, source: str, kind: str, detail: str) -> None:
        MDNS_TRANSFERS.labels(kind, "served").inc()
        if self.steps is not None:
            self.steps.served(zone, source, kind, detail)

    async def _allowed(
        self, query: dns.message.Message, source: str
    ) -> tuple[HostedZone, Decision] | bytes:
        """The zone and the ACL's decision when the transfer may go, else the error to send."""
        qname = query.question[0].name
        zone = await self._run(self.answerer.store.zone_for, qname)
        if zone is None or zone.origin != qname:
            return _error(query, dns.rcode.NOTAUTH if zone else dns.rcode.REFUSED)
        key_name = query.keyname if query.had_tsig else None
        decision = self.acl.decide(zone, source, key_name)
        if not decision.allowed and self.acl.worth_rechecking:
            await self._run(self.acl.refresh)
            decision = self.acl.decide(zone, source, key_name)
        if not decision.allowed:
            _log(zone, "mdns: transfer of %s refused: %s", zone.origin, decision.reason)
            kind = dns.rdatatype.to_text(query.question[0].rdtype)
            MDNS_TRANSFERS.labels(kind, "refused").inc()
            if self.steps is not None:
                self.steps.refused(zone, source, decision.reason)
            return _error(query, dns.rcode.REFUSED)
        return zone, decision

    async def _ixfr_datagram(
        self, query: dns.message.Message, source: str, since: int, max_size: int
    ) -> bytes | None:
        """The whole IXFR answer as one datagram, or None when it does not fit or may not go."""
        allowed = await self._allowed(query, source)
        if isinstance(allowed, bytes):
            return allowed
        zone, _ = allowed
        if not self.ixfr:
            return None
        try:
            _, rendered = await self._run(self._incremental, zone, since, max_size)
        except TransferTooBigError:
            return None
        if len(rendered) != 1:
            return None
        wire = _Outgoing(query).send(rendered[0])
        return wire if len(wire) <= max_size else None

    def _incremental(
        self, zone: HostedZone, since: int, max_size: int
    ) -> tuple[ixfr.IxfrAnswer, list[bytes]]:
        """The IXFR answer and its messages (none when the whole zone must go instead)."""
        answer = ixfr.plan(self.answerer.store, zone, since)
        if answer.rrsets is None:
            return answer, []
        return answer, [wire for wire, _ in render_messages(zone.origin, answer.rrsets, max_size)]

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)


def _log(zone: HostedZone, message: str, *args: object) -> None:
    """An INFO line with the zone's id, name and serial in its context."""
    with log_context(zone_id=zone.id, zone=zone.origin, serial=zone.serial):
        LOG.info(message, *args)


class _Outgoing:
    """One session's rendered messages, given the query's id and question, and signed in
    sequence when the query was TSIG-signed."""

    def __init__(self, query: dns.message.Message) -> None:
        self.query = query
        self.sent = 0
        self._ctx: object | None = None

    def send(self, wire: bytes) -> bytes:
        if self.query.had_tsig:
            out, self._ctx = signed(wire, self.query, self._ctx)
        else:
            out = for_query(wire, self.query, first=self.sent == 0)
        self.sent += 1
        return out


def _ixfr_serial(query: dns.message.Message) -> int | None:
    """The serial an IXFR asks from: its authority section's SOA for the zone (RFC 1995 §3)."""
    for rrset in query.authority:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == query.question[0].name and rrset:
            return int(rrset[0].serial)
    return None


def _precheck(query: dns.message.Message) -> dns.rcode.Rcode | None:
    if query.opcode() != dns.opcode.QUERY:
        return dns.rcode.NOTIMP
    if len(query.question) != 1:
        return dns.rcode.FORMERR
    if query.question[0].rdclass != dns.rdataclass.IN:
        return dns.rcode.REFUSED
    return None


def _error(query: dns.message.Message, rcode: dns.rcode.Rcode) -> bytes:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    return response.to_wire()


def _error_header(data: bytes, rcode: dns.rcode.Rcode) -> bytes:
    """A bare header answering a packet that did not parse: its id, QR, the opcode, `rcode`."""
    message_id, flags = HEADER.unpack_from(data)
    return HEADER.pack(message_id, 0x8000 | (flags & 0x7800) | int(rcode)) + bytes(8)
