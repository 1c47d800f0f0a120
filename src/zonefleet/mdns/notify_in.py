"""NOTIFY into mdns (RFC 1996): a master of a SECONDARY zone says it has a new serial.

The zone becomes due a refresh at once (a worker's refresher transfers it on its next
look, within `worker.secondary_scan_interval`). Answered NOERROR with the authority flag
for a zone that is SECONDARY here and a sender that is one of its masters; NOTAUTH for a
zone not held here or not SECONDARY; REFUSED for a sender that is no master of it.
"""

from __future__ import annotations

import ipaddress
import logging

import dns.name
import dns.rcode

from zonefleet.dns.names import name_text
from zonefleet.service.secondaries import parse_master
from zonefleet.storage.database import Database
from zonefleet.storage.models import ZoneEvent, utcnow
from zonefleet.storage.repositories import EventRepository
from zonefleet.storage.secondaries import SecondaryRepository

LOG = logging.getLogger(__name__)


class NotifyIn:
    def __init__(self, database: Database) -> None:
        self.database = database

    def received(self, zone: dns.name.Name, source: str) -> dns.rcode.Rcode:
        """Blocking (run off the event loop): the rcode to answer the NOTIFY with."""
        with self.database.write() as session:
            secondaries = SecondaryRepository(session)
            found = secondaries.notified(name_text(zone))
            if found is None:
                return dns.rcode.NOTAUTH
            zone_id, masters, serial = found
            if not any(_same(source, master) for master in masters):
                LOG.info("mdns: NOTIFY for %s from %s, no master of it: refused", zone, source)
                return dns.rcode.REFUSED
            secondaries.due_now(zone_id, utcnow())
            EventRepository(session).add(
                ZoneEvent(zone_id=zone_id, role="mdns", subject=source, event="notified",
                          detail="a master says it has a new serial", serial=serial)
            )  # fmt: skip
        LOG.info("mdns: NOTIFY for %s from its master %s: refresh due", zone, source)
        return dns.rcode.NOERROR


def _same(source: str, master: str) -> bool:
    try:
        return ipaddress.ip_address(source) == ipaddress.ip_address(parse_master(master).host)
    except ValueError:
        return False
