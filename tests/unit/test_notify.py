"""NOTIFY messages are NOTIFY on the wire (RFC 1996), not queries."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rdatatype

from zonefleet.dns.notify import notify_message


def test_a_notify_is_opcode_notify_with_aa_and_no_rd() -> None:
    wire = notify_message(dns.name.from_text("example.org.")).to_wire()
    parsed = dns.message.from_wire(wire)
    assert parsed.opcode() == dns.opcode.NOTIFY
    assert parsed.flags & dns.flags.AA
    assert not parsed.flags & dns.flags.RD
    assert parsed.question[0].rdtype == dns.rdatatype.SOA
