"""The mdns query handler: one packet in, the wire messages to send back out.

Returns nothing for what deserves no answer (responses, packets shorter than a
header), FORMERR for what does not parse, NOTAUTH for a TSIG that does not
verify, NOTIMP for opcodes other than QUERY, REFUSED for names mdns does not
host and for transfers the ACL refuses. IXFR is answered with the full zone
(RFC 1995 allows it), or with the SOA alone over UDP.
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
import dns.tsig

from zonefleet.mdns.acl import TransferAcl
from zonefleet.mdns.answer import Answerer
from zonefleet.mdns.transfer import MAX_MESSAGE_SIZE, TransferCache, for_query, signed

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
        self, answerer: Answerer, acl: TransferAcl, cache: TransferCache, executor: Executor
    ) -> None:
        self.answerer = answerer
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
        async for wire in self._dispatch(query, source, tcp=tcp):
            yield wire

    async def _dispatch(
        self, query: dns.message.Message, source: str, *, tcp: bool
    ) -> AsyncIterator[bytes]:
        rcode = _precheck(query)
        if rcode is not None:
            yield _error(query, rcode)
            return
        rdtype = query.question[0].rdtype
        if rdtype in TRANSFER_TYPES and tcp:
            async for wire in self._transfer(query, source):
                yield wire
            return
        if rdtype == dns.rdatatype.AXFR:
            yield _error(query, dns.rcode.FORMERR)
            return
        # Over UDP an IXFR gets the current SOA: the client then retries over TCP.
        asked = dns.rdatatype.SOA if rdtype == dns.rdatatype.IXFR else rdtype
        response = await self._run(self.answerer.answer, query, asked)
        max_size = max(query.payload, 512) if not tcp else MAX_MESSAGE_SIZE
        yield response.to_wire(max_size=max_size, prefer_truncation=True)

    async def _transfer(self, query: dns.message.Message, source: str) -> AsyncIterator[bytes]:
        qname = query.question[0].name
        zone = await self._run(self.answerer.store.zone_for, qname)
        if zone is None or zone.origin != qname:
            yield _error(query, dns.rcode.NOTAUTH if zone else dns.rcode.REFUSED)
            return
        decision = self.acl.decide(zone, source, query.keyname if query.had_tsig else None)
        if not decision.allowed:
            LOG.info("mdns: transfer of %s refused: %s", zone.origin, decision.reason)
            yield _error(query, dns.rcode.REFUSED)
            return
        entry = self.cache.get(zone)
        sent = 0
        ctx: object | None = None
        async for wire in entry.stream():
            if query.had_tsig:
                out, ctx = signed(wire, query, ctx)
                yield out
            else:
                yield for_query(wire, query, first=sent == 0)
            sent += 1
        self.cache.trim()
        LOG.info(
            "mdns: AXFR of %s serial %s to %s: %d records in %d messages (%s)",
            zone.origin, zone.serial, source, entry.records, sent, decision.reason,
        )  # fmt: skip

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)


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
