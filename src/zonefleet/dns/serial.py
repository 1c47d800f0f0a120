"""Zone serials: Unix time where possible, always moving forward in RFC 1982 terms."""

from __future__ import annotations

import dns.serial

SERIAL_BITS = 32


def next_serial(current: int, now: float) -> int:
    """max(now, current + 1) in serial-number arithmetic (RFC 1982), never 0."""
    candidate = int(now) % 2**SERIAL_BITS
    bumped = (current + 1) % 2**SERIAL_BITS or 1
    if dns.serial.Serial(candidate) > dns.serial.Serial(current):
        return candidate or 1
    return bumped


def serial_at_least(served: int, wanted: int) -> bool:
    """True when `served` is the same serial as `wanted` or newer (RFC 1982)."""
    return served == wanted or dns.serial.Serial(served) > dns.serial.Serial(wanted)
