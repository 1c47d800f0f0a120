"""The one rdata gate: every record's text passes through `canonical_rdata`.

dnspython parses the text with the zone as origin and returns its canonical
presentation form, which is what Zonefleet stores and serves. Line breaks are
refused before parsing: dnspython stops at the end of a line and would drop
the rest of a multi-line value silently.
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.txtbase
import dns.tokenizer


class InvalidRdataError(ValueError):
    """The text is not valid rdata of the type; the message says why."""


def parse_rdtype(text: str) -> dns.rdatatype.RdataType:
    """The RdataType named by `text`; raises InvalidRdataError for unknown mnemonics."""
    try:
        rdtype = dns.rdatatype.from_text(text)
    except dns.exception.DNSException:
        raise InvalidRdataError(f"{text!r} is not a valid record type") from None
    if dns.rdatatype.to_text(rdtype) != text:
        raise InvalidRdataError(f"{text!r} is not a valid record type")
    return rdtype


def parse_rdata(
    rdtype: dns.rdatatype.RdataType, text: str, origin: dns.name.Name
) -> dns.rdata.Rdata:
    """Parse one record's text; relative names inside it are completed with `origin`.

    Raises InvalidRdataError with a reason fit for an API error.
    """
    if "\n" in text or "\r" in text:
        raise InvalidRdataError("record data must be a single line")
    if not text.strip():
        raise InvalidRdataError("record data is empty")
    tokenizer = dns.tokenizer.Tokenizer(text)
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN, rdtype, tokenizer, origin=origin, relativize=False
        )
    except (dns.exception.DNSException, ValueError, TypeError) as exc:
        reason = str(exc) or type(exc).__name__
        kind = dns.rdatatype.to_text(rdtype)
        raise InvalidRdataError(f"'{text}' is not a '{kind}' Record ({reason})") from None
    _refuse_split_unquoted_text(rdata, text)
    return rdata


def canonical_rdata(rdtype: dns.rdatatype.RdataType, text: str, origin: dns.name.Name) -> str:
    """The canonical text of one record: what is stored, and idempotent under this function."""
    return str(parse_rdata(rdtype, text, origin).to_text(origin=None, relativize=False))


def _refuse_split_unquoted_text(rdata: dns.rdata.Rdata, text: str) -> None:
    # `v=spf1 a ~all` unquoted would become three strings that resolvers join
    # without spaces; Designate refuses unquoted whitespace for the same reason.
    if (
        isinstance(rdata, dns.rdtypes.txtbase.TXTBase)
        and '"' not in text
        and len(rdata.strings) > 1
    ):
        raise InvalidRdataError(f"{text!r}: TXT/SPF text with spaces must be quoted")
