"""Zone and owner names: text from the API becomes an absolute, lowercase `dns.name.Name`.

dnspython does the parsing, IDNA and the RFC 1035 length limits; this module
adds Designate's character rules (letters, digits, ``_`` and ``-``, no ``-`` at
either end of a label) and the wildcard rule (``*`` only as the leftmost label).
"""

from __future__ import annotations

import re

import dns.exception
import dns.name

_LABEL = re.compile(rb"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class InvalidNameError(ValueError):
    """The text is not an acceptable DNS name; the message says why."""


def parse_name(text: str, *, allow_wildcard: bool = False, max_length: int = 255) -> dns.name.Name:
    """Parse an absolute name (trailing dot required) into its lowercase form.

    Raises InvalidNameError with a reason fit for an API error message.
    """
    if not text.endswith("."):
        raise InvalidNameError("name must be absolute (end with a dot)")
    if any(ch.isspace() for ch in text) or "\\" in text:
        raise InvalidNameError("name contains whitespace or escapes")
    try:
        name = dns.name.from_unicode(text, idna_codec=dns.name.IDNA_2008_Practical)
    except dns.name.LabelTooLong:
        raise InvalidNameError("a label is longer than 63 octets") from None
    except dns.name.NameTooLong:
        raise InvalidNameError("name is longer than 255 octets") from None
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise InvalidNameError(f"not a valid name: {exc}") from None
    name = name.canonicalize()
    if len(name.to_text()) > max_length:
        raise InvalidNameError(f"name is longer than {max_length} characters")
    labels = name.labels[:-1]
    for index, label in enumerate(labels):
        if label == b"*" and index == 0 and allow_wildcard:
            continue
        if not _LABEL.match(label):
            raise InvalidNameError(
                f"label {label.decode(errors='replace')!r} has characters not allowed"
            )
    return name


def name_text(name: dns.name.Name) -> str:
    """The stored form: lowercase, absolute, ASCII (IDNA-encoded)."""
    return name.canonicalize().to_text()


def reverse_text(name: dns.name.Name) -> str:
    """Labels in reverse order ("org.example."), so a subtree is one index range: every
    name strictly below has this text as its prefix. Labels are escaped as in the stored
    form, so a label holding a dot ("a\\.b") stays one label."""
    labels = name.canonicalize().labels[:-1]
    return dns.name.Name((*reversed(labels), b"")).to_text() if labels else ""


def subtree_bounds(reverse: str) -> tuple[str, str]:
    """(above, below) for the name whose `reverse_text` is given: the reversed names
    strictly between them are those of the names strictly below it ("/" sorts right after
    "." in byte order)."""
    return reverse, reverse[:-1] + "/"


def ancestors(name: dns.name.Name) -> list[dns.name.Name]:
    """The proper ancestors of `name` with at least two labels, nearest first."""
    found = []
    parent = name.parent()
    while len(parent.labels) >= 3:
        found.append(parent)
        parent = parent.parent()
    return found
