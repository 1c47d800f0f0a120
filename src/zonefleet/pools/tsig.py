"""TSIG key names, algorithms and secrets as pools.yaml and `tsigkey create` accept them.

Key names are DNS names, stored lowercase and absolute like every other name;
algorithms are Designate's short names, each mapped to dnspython's own.
"""

from __future__ import annotations

import base64
import binascii
import secrets

import dns.name
import dns.tsig

from zonefleet.dns.names import InvalidNameError, name_text, parse_name

ALGORITHMS: dict[str, dns.name.Name] = {
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-md5": dns.tsig.HMAC_MD5,
}
# A generated secret is as long as the algorithm's digest (RFC 8945 §6).
SECRET_BYTES = {
    "hmac-sha256": 32,
    "hmac-sha384": 48,
    "hmac-sha512": 64,
    "hmac-sha224": 28,
    "hmac-sha1": 20,
    "hmac-md5": 16,
}


def key_name(text: str) -> str:
    """The stored form of a TSIG key name; raises ValueError saying why it is not one.

    A relative name ("transfer-key") is taken as absolute ("transfer-key.").
    """
    if not text or text == ".":
        raise ValueError("a TSIG key name may not be empty or the root")
    absolute = text if text.endswith(".") else text + "."
    try:
        return name_text(parse_name(absolute, max_length=160))
    except InvalidNameError as exc:
        raise ValueError(f"{text!r} is not a valid TSIG key name: {exc}") from None


def algorithm(text: str) -> str:
    """The algorithm's short name; raises ValueError listing the known ones."""
    short = text.lower()
    if short not in ALGORITHMS:
        raise ValueError(f"unknown TSIG algorithm {text!r}; known: {', '.join(ALGORITHMS)}")
    return short


def secret(text: str) -> str:
    """A non-empty base64 secret, as given; raises ValueError if it is not one."""
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the TSIG secret is not valid base64") from None
    if not decoded:
        raise ValueError("the TSIG secret is empty")
    return text


def new_secret(short_algorithm: str) -> str:
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES[short_algorithm])).decode()


def signing_key(name: str | dns.name.Name, algorithm: str, secret: str) -> dns.tsig.Key:
    """dnspython's key for a stored one (name, Designate's algorithm name, base64 secret)."""
    owner = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    return dns.tsig.Key(owner, base64.b64decode(secret), dns.name.from_text(algorithm))
