"""Zone and owner names through dnspython: absolute, lowercase, IDNA, Designate's characters."""

from __future__ import annotations

import dns.name
import pytest

from zonefleet.dns.names import (
    InvalidNameError,
    ancestors,
    name_text,
    parse_name,
    reverse_text,
)


def test_names_are_lowercased_and_absolute() -> None:
    assert name_text(parse_name("WWW.Example.ORG.")) == "www.example.org."


def test_idna_names_are_stored_in_ascii() -> None:
    assert name_text(parse_name("bücher.example.")) == "xn--bcher-kva.example."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("example.org", "absolute"),
        ("a" * 64 + ".org.", "63"),
        (("a" * 60 + ".") * 5, "255"),
        ("-bad.example.org.", "not allowed"),
        ("bad-.example.org.", "not allowed"),
        ("sp ace.example.org.", "whitespace"),
        ("semi;colon.example.org.", "not allowed"),
        ("esc\\046aped.example.org.", "escapes"),
        ("*.example.org.", "not allowed"),
        ("a..example.org.", "valid name"),
    ],
)
def test_bad_names_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidNameError, match=reason):
        parse_name(text)


def test_wildcard_only_as_leftmost_label_when_allowed() -> None:
    assert name_text(parse_name("*.example.org.", allow_wildcard=True)) == "*.example.org."
    with pytest.raises(InvalidNameError):
        parse_name("www.*.example.org.", allow_wildcard=True)


def test_underscore_labels_are_allowed() -> None:
    assert name_text(parse_name("_sip._tcp.example.org.")) == "_sip._tcp.example.org."


def test_configured_length_limit() -> None:
    with pytest.raises(InvalidNameError, match="longer than 20"):
        parse_name("averyveryverylong.example.org.", max_length=20)


def test_reverse_text_orders_labels_for_subtree_ranges() -> None:
    assert reverse_text(dns.name.from_text("www.example.org.")) == "org.example.www."
    assert reverse_text(dns.name.root) == ""
    # A label holding a dot stays one label, escaped as in the stored names.
    assert reverse_text(dns.name.from_text("a\\.b.example.org.")) == "org.example.a\\.b."


def test_ancestors_stop_above_the_tld() -> None:
    found = [name_text(n) for n in ancestors(dns.name.from_text("a.b.example.org."))]
    assert found == ["b.example.org.", "example.org."]
