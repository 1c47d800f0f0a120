"""The one rdata gate: canonical text through dnspython, idempotent for every type."""

from __future__ import annotations

import base64

import dns.name
import dns.rdatatype
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonefleet.dns.rdata import InvalidRdataError, canonical_rdata, parse_rdtype
from zonefleet.settings import SUPPORTED_RECORD_TYPES

ORIGIN = dns.name.from_text("example.org.")

VALID = {
    "A": ["192.0.2.1"],
    "AAAA": ["2001:DB8::1", "::ffff:192.0.2.1"],
    "CNAME": ["target.example.net.", "www"],
    "MX": ["10 mail.example.org.", "0 ."],
    "NS": ["ns1.example.net."],
    "PTR": ["host.example.org."],
    "SPF": ['"v=spf1 -all"'],
    "SRV": ["10 60 5060 sip.example.org."],
    "SSHFP": ["1 1 " + "ab" * 20, "4 2 " + "CD" * 32],
    "TXT": ['"hello world"', "single", '"a" "b"', '"quote \\" inside"'],
    "CAA": ['0 issue "letsencrypt.org"', '128 iodef "mailto:sec@example.org"'],
    "NAPTR": ['100 10 "U" "E2U+sip" "!^.*$!sip:info@example.org!" .'],
    "CERT": ["PKIX 1 RSASHA256 Zm9vYmFy"],
    "TLSA": ["3 1 1 " + "0a" * 32],
    "HTTPS": ["1 . alpn=h2,h3", "0 svc.example.org."],
    "SVCB": ["1 svc.example.org. port=8443"],
}


def test_every_supported_type_has_valid_samples() -> None:
    assert set(VALID) == set(SUPPORTED_RECORD_TYPES)


@pytest.mark.parametrize(
    ("rdtype", "text"), [(t, text) for t, texts in VALID.items() for text in texts]
)
def test_canonical_form_is_idempotent(rdtype: str, text: str) -> None:
    kind = parse_rdtype(rdtype)
    once = canonical_rdata(kind, text, ORIGIN)
    assert canonical_rdata(kind, once, ORIGIN) == once


def test_canonical_examples() -> None:
    assert canonical_rdata(dns.rdatatype.AAAA, "2001:DB8:0::1", ORIGIN) == "2001:db8::1"
    assert canonical_rdata(dns.rdatatype.MX, "10 mail", ORIGIN) == "10 mail.example.org."
    assert canonical_rdata(dns.rdatatype.TXT, "single", ORIGIN) == '"single"'


@pytest.mark.parametrize(
    ("rdtype", "text", "reason"),
    [
        ("A", "10.0.0.256", "is not a 'A' Record"),
        ("A", "1.2.3.4 5.6.7.8", "is not a 'A' Record"),
        ("AAAA", "192.0.2.1", "is not a 'AAAA' Record"),
        ("MX", "mail.example.org.", "is not a 'MX' Record"),
        ("MX", "70000 mail.example.org.", "is not a 'MX' Record"),
        ("SRV", "1 2 sip.example.org.", "is not a 'SRV' Record"),
        ("TXT", '"line one\nline two"', "single line"),
        ("TXT", "line one\rline two", "single line"),
        ("TXT", '"' + "x" * 256 + '"', "is not a 'TXT' Record"),
        ("TXT", "v=spf1 a ~all", "must be quoted"),
        ("SPF", "v=spf1 a ~all", "must be quoted"),
        ("CAA", "0 issue", "is not a 'CAA' Record"),
        ("SSHFP", "1 1 zz", "is not a 'SSHFP' Record"),
        ("A", "   ", "empty"),
        ("NAPTR", '100 10 "U" "E2U+sip" "x"', "is not a 'NAPTR' Record"),
    ],
)
def test_bad_rdata_is_refused_with_the_reason(rdtype: str, text: str, reason: str) -> None:
    with pytest.raises(InvalidRdataError, match=reason):
        canonical_rdata(parse_rdtype(rdtype), text, ORIGIN)


@pytest.mark.parametrize("text", ["FOO", "a", "TYPE1", "", "A "])
def test_unknown_type_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidRdataError, match="not a valid record type"):
        parse_rdtype(text)


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_name = st.lists(_label, min_size=1, max_size=4).map(lambda labels: ".".join(labels) + ".")
_u8 = st.integers(0, 255)
_u16 = st.integers(0, 65535)
_text_string = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60
).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')

GENERATED = {
    "A": st.ip_addresses(v=4).map(str),
    "AAAA": st.ip_addresses(v=6).map(str),
    "CNAME": _name,
    "NS": _name,
    "PTR": _name,
    "MX": st.tuples(_u16, _name).map(lambda t: f"{t[0]} {t[1]}"),
    "SRV": st.tuples(_u16, _u16, _u16, _name).map(lambda t: " ".join(map(str, t))),
    "TXT": st.lists(_text_string, min_size=1, max_size=3).map(" ".join),
    "SPF": st.lists(_text_string, min_size=1, max_size=3).map(" ".join),
    "SSHFP": st.tuples(st.integers(0, 4), st.sampled_from([(1, 20), (2, 32)])).flatmap(
        lambda t: st.binary(min_size=t[1][1], max_size=t[1][1]).map(
            lambda digest: f"{t[0]} {t[1][0]} {digest.hex()}"
        )
    ),
    "CAA": st.tuples(st.sampled_from([0, 128]), st.sampled_from(["issue", "issuewild"]), _name).map(
        lambda t: f'{t[0]} {t[1]} "{t[2].rstrip(".")}"'
    ),
    "NAPTR": st.tuples(_u16, _u16, st.sampled_from(["U", "S", "A", ""]), _name).map(
        lambda t: f'{t[0]} {t[1]} "{t[2]}" "E2U+sip" "!^.*$!sip:x@example.org!" {t[3]}'
    ),
    "CERT": st.tuples(_u16, _u16, _u8, st.binary(min_size=3, max_size=40)).map(
        lambda t: f"{t[0]} {t[1]} {t[2]} {base64.b64encode(t[3]).decode()}"
    ),
    "TLSA": st.tuples(st.integers(0, 3), st.integers(0, 1), st.binary(min_size=1, max_size=40)).map(
        lambda t: f"{t[0]} {t[1]} 0 {t[2].hex()}"
    ),
    "HTTPS": st.tuples(st.integers(1, 100), _name, st.sampled_from(["h2", "h3", "h2,h3"])).map(
        lambda t: f"{t[0]} {t[1]} alpn={t[2]}"
    ),
    "SVCB": st.tuples(st.integers(1, 100), _name, _u16).map(lambda t: f"{t[0]} {t[1]} port={t[2]}"),
}


def test_generators_cover_every_supported_type() -> None:
    assert set(GENERATED) == set(SUPPORTED_RECORD_TYPES)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), rdtype=st.sampled_from(sorted(GENERATED)))
def test_gate_is_idempotent_for_generated_records(data: st.DataObject, rdtype: str) -> None:
    text = data.draw(GENERATED[rdtype])
    kind = parse_rdtype(rdtype)
    once = canonical_rdata(kind, text, ORIGIN)
    assert canonical_rdata(kind, once, ORIGIN) == once
    assert "\n" not in once
