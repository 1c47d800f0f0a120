"""Zone transfers out of mdns as wire messages.

An AXFR is rendered once per (zone, serial), streamed as it renders, then
cached: a render runs in a worker thread and appends wire messages (id 0, unsigned) to
its entry as it goes; every transfer of that (zone, serial), the first one
included, sends messages as soon as they exist, so nothing waits for a whole
zone and concurrent transfers share one render. TSIG-signed transfers re-sign
the cached messages per session.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import Executor

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.renderer
import dns.rrset

from zonefleet.mdns.store import HostedZone, ZoneStore

LOG = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 65535
# Room left in every cached message for the TSIG record a signed session adds.
TSIG_RESERVE = 1024


class TransferTooBigError(Exception):
    """One RRset does not fit in a single DNS message."""


class Rendered:
    """One (zone, serial)'s AXFR as wire messages, filled by a render thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.messages: list[bytes] = []
        self.records = 0
        self.size = 0
        self.done = False
        self.error: BaseException | None = None
        self._loop = loop
        self._changed = asyncio.Event()
        self._lock = threading.Lock()

    def append(self, wire: bytes, records: int) -> None:
        with self._lock:
            self.messages.append(wire)
            self.records += records
            self.size += len(wire)
        self._loop.call_soon_threadsafe(self._changed.set)

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        self.done = True
        self._loop.call_soon_threadsafe(self._changed.set)

    async def stream(self) -> AsyncIterator[bytes]:
        """Every message in order, waiting for the render where it has not caught up."""
        sent = 0
        while True:
            self._changed.clear()
            while sent < len(self.messages):
                yield self.messages[sent]
                sent += 1
            if self.done:
                if self.error is not None:
                    raise self.error
                return
            await self._changed.wait()


class TransferCache:
    """Rendered transfers by (zone id, serial), least recently used evicted past `max_bytes`."""

    def __init__(self, store: ZoneStore, executor: Executor, max_bytes: int) -> None:
        self.store = store
        self.executor = executor
        self.max_bytes = max_bytes
        self.renders = 0
        self._entries: OrderedDict[tuple[str, int], Rendered] = OrderedDict()

    def get(self, zone: HostedZone) -> Rendered:
        """The entry for the zone's current serial, starting its render when there is none."""
        key = (zone.id, zone.serial)
        entry = self._entries.get(key)
        if entry is not None and entry.error is None:
            self._entries.move_to_end(key)
            return entry
        entry = Rendered(asyncio.get_running_loop())
        for stale in [k for k in self._entries if k[0] == zone.id]:
            del self._entries[stale]
        self._entries[key] = entry
        self.renders += 1
        self.executor.submit(self._render, zone, entry)
        return entry

    def trim(self) -> None:
        total = sum(entry.size for entry in self._entries.values())
        while total > self.max_bytes and len(self._entries) > 1:
            _, oldest = self._entries.popitem(last=False)
            total -= oldest.size

    def _render(self, zone: HostedZone, entry: Rendered) -> None:
        try:
            for wire, records in render_axfr(zone, self.store.transfer(zone.id)):
                entry.append(wire, records)
        except BaseException as exc:  # handed to every waiting session, which logs it
            entry.finish(exc)
            return
        entry.finish()


def render_axfr(zone: HostedZone, rrsets: Iterator[dns.rrset.RRset]) -> Iterator[tuple[bytes, int]]:
    """Wire messages of an AXFR answer: SOA first and last, each message ≤ 64 KiB."""

    def framed() -> Iterator[dns.rrset.RRset]:
        soa: dns.rrset.RRset | None = None
        for rrset in rrsets:
            if soa is None:
                soa = rrset
            yield rrset
        if soa is None:
            raise TransferTooBigError(f"zone {zone.origin} has no SOA")
        yield soa

    return render_messages(zone.origin, framed())


def render_messages(
    origin: dns.name.Name,
    rrsets: Iterable[dns.rrset.RRset],
    max_size: int = MAX_MESSAGE_SIZE - TSIG_RESERVE,
) -> Iterator[tuple[bytes, int]]:
    """`rrsets` in order as the answer sections of as many messages as they need, each with
    its record count; the first carries the question."""
    renderer = _new_renderer(origin, max_size, question=True)
    count = 0
    for rrset in rrsets:
        if not _add(renderer, rrset):
            yield _finish(renderer), count
            renderer, count = _new_renderer(origin, max_size, question=False), 0
            if not _add(renderer, rrset):
                raise TransferTooBigError(f"{rrset.name} {rrset.rdtype} exceeds one message")
        count += len(rrset)
    yield _finish(renderer), count


# dnspython's renderer is not annotated; these three helpers are its only callers.


def _new_renderer(origin: dns.name.Name, max_size: int, *, question: bool) -> dns.renderer.Renderer:
    renderer = dns.renderer.Renderer(  # type: ignore[no-untyped-call]
        id=0, flags=0x8400, max_size=max_size
    )
    if question:
        renderer.add_question(origin, dns.rdatatype.AXFR, dns.rdataclass.IN)  # type: ignore[no-untyped-call]
    return renderer


def _add(renderer: dns.renderer.Renderer, rrset: dns.rrset.RRset) -> bool:
    try:
        renderer.add_rrset(dns.renderer.ANSWER, rrset)  # type: ignore[no-untyped-call]
    except dns.exception.TooBig:
        return False
    return True


def _finish(renderer: dns.renderer.Renderer) -> bytes:
    renderer.write_header()  # type: ignore[no-untyped-call]
    wire: bytes = renderer.get_wire()  # type: ignore[no-untyped-call]
    return wire


def for_query(wire: bytes, query: dns.message.Message, *, first: bool) -> bytes:
    """A cached message with the query's id and, in the first, its question type (AXFR/IXFR)."""
    out = struct.pack("!H", query.id) + wire[2:]
    if not first:
        return out
    question = query.question[0]
    at = 12 + sum(len(label) + 1 for label in question.name.labels)  # header, then the name
    return out[:at] + struct.pack("!H", question.rdtype) + out[at + 2 :]


def signed(wire: bytes, query: dns.message.Message, ctx: object | None) -> tuple[bytes, object]:
    """One cached message re-rendered for a TSIG-signed session; returns it and the new context.

    Read one record per RRset: a message may carry the same RRset twice (the SOA that
    opens and closes a transfer, what an IXFR deletes and adds at one name)."""
    cached = dns.message.from_wire(wire, one_rr_per_rrset=True)
    response = dns.message.make_response(query)
    if not cached.question:
        response.question = []
    response.answer = cached.answer
    out = response.to_wire(multi=True, tsig_ctx=ctx, max_size=MAX_MESSAGE_SIZE)
    return out, response.tsig_ctx
