"""What one nameserver serves for one zone, asked with an SOA query.

The answer is the nameserver's own word: the serial it serves, that it does not
serve the zone at all (REFUSED, NOTAUTH, NXDOMAIN, no SOA in an authoritative
answer), or that it did not answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rdtypes.ANY.SOA

from zonefleet.dns.serial import serial_at_least
from zonefleet.storage.models import NameserverState


@dataclass(frozen=True)
class Nameserver:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Served:
    """One nameserver's answer: `serial` is None when it serves no such zone or did not answer."""

    serial: int | None
    reachable: bool
    error: str | None = None

    def state(self, desired: int, *, deleted: bool) -> NameserverState:
        if not self.reachable:
            return NameserverState.UNREACHABLE
        if self.serial is None:
            return NameserverState.REMOVED if deleted else NameserverState.MISSING
        if deleted:
            return NameserverState.LAGGING
        if serial_at_least(self.serial, desired):
            return NameserverState.SERVING
        return NameserverState.LAGGING

    def satisfies(self, desired: int, *, deleted: bool) -> bool:
        wanted = NameserverState.REMOVED if deleted else NameserverState.SERVING
        return self.state(desired, deleted=deleted) == wanted


async def served_serial(zone: dns.name.Name, nameserver: Nameserver, timeout: float) -> Served:
    """Ask `nameserver` for the zone's SOA over UDP; never raises for network trouble."""
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    query.flags &= ~dns.flags.RD
    try:
        response = await dns.asyncquery.udp(
            query, nameserver.host, port=nameserver.port, timeout=timeout
        )
    except dns.exception.Timeout:
        return Served(None, reachable=False, error=f"no answer from {nameserver} in {timeout}s")
    except (OSError, dns.exception.DNSException) as exc:
        return Served(None, reachable=False, error=f"{nameserver}: {exc}")
    rcode = response.rcode()
    if rcode != dns.rcode.NOERROR:
        return Served(
            None, reachable=True, error=f"{nameserver} answered {dns.rcode.to_text(rcode)}"
        )
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == zone:
            rdata = rrset[0]
            assert isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
            return Served(rdata.serial, reachable=True)
    return Served(None, reachable=True, error=f"{nameserver} has no SOA for {zone}")
