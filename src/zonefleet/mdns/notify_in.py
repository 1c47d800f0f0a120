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
from sqlalchemy import select, update

from zonefleet.dns.names import name_text
from zonefleet.service.secondaries import parse_master
from zonefleet.storage.database import Database
from zonefleet.storage.models import LIVE, Action, Zone, ZoneEvent, ZoneType, utcnow
from zonefleet.storage.repositories import EventRepository

LOG = logging.getLogger(__name__)


class NotifyIn:
    def __init__(self, database: Database) -> None:
        self.database = database

    def received(self, zone: dns.name.Name, source: str) -> dns.rcode.Rcode:
        """Blocking (run off the event loop): the rcode to answer the NOTIFY with."""
        statement = select(Zone.id, Zone.masters, Zone.serial).where(
            Zone.name == name_text(zone), Zone.type == ZoneType.SECONDARY,
            Zone.deleted == LIVE, Zone.action != Action.DELETE,
        )  # fmt: skip
        with self.database.write() as session:
            row = session.execute(statement).first()
            if row is None:
                return dns.rcode.NOTAUTH
            if not any(_same(source, master) for master in row.masters):
                LOG.info("mdns: NOTIFY for %s from %s, no master of it: refused", zone, source)
                return dns.rcode.REFUSED
            session.execute(update(Zone).where(Zone.id == row.id).values(next_refresh_at=utcnow()))
            EventRepository(session).add(
                ZoneEvent(zone_id=row.id, role="mdns", subject=source, event="notified",
                          detail="a master says it has a new serial", serial=row.serial)
            )  # fmt: skip
        LOG.info("mdns: NOTIFY for %s from its master %s: refresh due", zone, source)
        return dns.rcode.NOERROR


def _same(source: str, master: str) -> bool:
    try:
        return ipaddress.ip_address(source) == ipaddress.ip_address(parse_master(master).host)
    except ValueError:
        return False
