"""The SOA record a zone's settings describe."""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA


class InvalidEmailError(ValueError):
    """The text cannot be a zone's contact address (SOA RNAME)."""


def parse_email(email: str) -> dns.name.Name:
    """The SOA RNAME for a contact address; raises InvalidEmailError with the reason.

    hostmaster@example.org becomes hostmaster.example.org. and a dot in the
    local part stays inside its label (presented escaped as ``\\.``).
    """
    local, at, domain = email.partition("@")
    if not at or "@" in domain or not local or not domain:
        raise InvalidEmailError(f"{email!r} is not an email address: it needs exactly one @")
    if len(email) > 255 or any(ch.isspace() or ord(ch) < 32 for ch in email):
        raise InvalidEmailError(f"{email!r} is not an email address: too long or has whitespace")
    try:
        domain_name = dns.name.from_text(domain.rstrip(".") + ".")
        return dns.name.Name((local.encode(), *domain_name.labels))
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise InvalidEmailError(f"{email!r} is not an email address: {exc}") from None


@dataclass(frozen=True)
class SoaFields:
    mname: dns.name.Name
    rname: dns.name.Name
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int

    def rdata(self) -> dns.rdtypes.ANY.SOA.SOA:
        # dnspython does not annotate this constructor.
        return dns.rdtypes.ANY.SOA.SOA(  # type: ignore[no-untyped-call]
            dns.rdataclass.IN,
            dns.rdatatype.SOA,
            self.mname,
            self.rname,
            self.serial,
            self.refresh,
            self.retry,
            self.expire,
            self.minimum,
        )

    def text(self) -> str:
        return str(self.rdata().to_text())
