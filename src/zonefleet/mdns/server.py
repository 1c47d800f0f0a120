"""The mdns server: asyncio UDP and TCP listeners in front of the query handler.

Storage is read in a thread pool so the event loop only moves packets; each TCP
client has its own coroutine, so a slow reader waits on its own socket and
stalls nobody else. Malformed packets are answered FORMERR (or dropped when not
even the header parses); no input stops the server.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from concurrent.futures import ThreadPoolExecutor

from zonefleet.mdns.acl import TransferAcl
from zonefleet.mdns.answer import Answerer
from zonefleet.mdns.handler import QueryHandler
from zonefleet.mdns.notify_in import NotifyIn
from zonefleet.mdns.steps import TransferSteps
from zonefleet.mdns.store import ZoneStore
from zonefleet.mdns.transfer import TransferCache
from zonefleet.settings import BindAddress, MdnsSettings

LOG = logging.getLogger(__name__)

# Bounds the work queued for UDP: a flood is dropped, not buffered without limit.
MAX_UDP_INFLIGHT = 1024


class MdnsServer:
    """Listens on `settings.bind` (UDP and TCP, same port); `address` is what it bound."""

    def __init__(self, store: ZoneStore, settings: MdnsSettings) -> None:
        self.settings = settings
        self.executor = ThreadPoolExecutor(settings.threads, thread_name_prefix="mdns")
        self.cache = TransferCache(store, self.executor, settings.transfer_cache_mb * 2**20)
        self.acl = TransferAcl(store, settings.allow_transfer)
        self.steps = TransferSteps(store.database)
        self.handler = QueryHandler(
            Answerer(store),
            self.acl,
            self.cache,
            self.executor,
            ixfr=settings.ixfr,
            steps=self.steps,
            notify_in=NotifyIn(store.database),
        )
        self.address = settings.bind
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._udp_inflight = 0
        self._stopping = asyncio.Event()
        self._flushing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        host, port = self.settings.bind
        loop = asyncio.get_running_loop()
        self._tcp = await asyncio.start_server(self._serve_tcp, host, port, reuse_address=True)
        bound_port = self._tcp.sockets[0].getsockname()[1]
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=(host, bound_port)
        )
        self.address = BindAddress(host, bound_port)
        self._flushing = loop.create_task(self.steps.run(self._stopping))
        LOG.info("mdns listening on %s (UDP and TCP)", self.address)

    async def stop(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
        if self._udp is not None:
            self._udp.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        if self._tcp is not None:
            await self._tcp.wait_closed()
        self._stopping.set()
        if self._flushing is not None:
            await self._flushing
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _on_datagram(self, data: bytes, peer: tuple[str, int]) -> None:
        if self._udp_inflight >= MAX_UDP_INFLIGHT:
            return
        self._udp_inflight += 1
        task = asyncio.get_running_loop().create_task(self._answer_udp(data, peer))
        self._clients.add(task)
        task.add_done_callback(self._clients.discard)

    async def _answer_udp(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            async for wire in self.handler.handle(data, peer[0], tcp=False):
                if self._udp is not None and not self._udp.is_closing():
                    self._udp.sendto(wire, peer)
        except Exception:
            LOG.exception("mdns: UDP query from %s failed", peer[0])
        finally:
            self._udp_inflight -= 1

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._clients) >= self.settings.max_tcp_connections:
            writer.close()
            return
        self._clients.add(task)
        peer = writer.get_extra_info("peername")[0]
        try:
            await self._tcp_session(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:
            LOG.exception("mdns: TCP session with %s failed", peer)
        finally:
            self._clients.discard(task)
            writer.close()

    async def _tcp_session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        idle = self.settings.tcp_idle_timeout
        while True:
            header = await asyncio.wait_for(reader.readexactly(2), idle)
            (length,) = struct.unpack("!H", header)
            data = await asyncio.wait_for(reader.readexactly(length), idle)
            async for wire in self.handler.handle(data, peer, tcp=True):
                writer.write(struct.pack("!H", len(wire)) + wire)
                await asyncio.wait_for(writer.drain(), idle)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: MdnsServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        LOG.debug("mdns: UDP error %s", exc)
