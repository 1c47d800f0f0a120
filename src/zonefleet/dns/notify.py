"""DNS NOTIFY (RFC 1996): tell a secondary that a zone changed."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig


class NotifyRefusedError(Exception):
    """The secondary answered the NOTIFY with an error rcode."""


def notify_message(zone: dns.name.Name, tsig: dns.tsig.Key | None = None) -> dns.message.Message:
    message = dns.message.make_query(zone, dns.rdatatype.SOA)
    message.flags = dns.flags.AA  # RFC 1996: AA set, RD clear; the opcode bits are set next
    message.set_opcode(dns.opcode.NOTIFY)
    if tsig is not None:
        message.use_tsig(tsig)
    return message


def send_notify(
    zone: dns.name.Name,
    host: str,
    port: int,
    *,
    timeout: float,
    tsig: dns.tsig.Key | None = None,
) -> None:
    """Send one NOTIFY over UDP and wait for its answer.

    Raises dns.exception.Timeout, OSError, or NotifyRefusedError for an error rcode.
    """
    response = dns.query.udp(notify_message(zone, tsig), host, port=port, timeout=timeout)
    if response.rcode() != dns.rcode.NOERROR:
        raise NotifyRefusedError(f"NOTIFY answered {dns.rcode.to_text(response.rcode())}")
