"""Broker URLs: `memory://`, kombu's `amqp://`, and oslo.messaging's `rabbit://` with many hosts.

An oslo transport URL names a RabbitMQ cluster in one string
(`rabbit://user:pass@host1:5672,host2:5672/vhost`); kombu wants one URL per
broker, tried in turn. A host without credentials takes the credentials of an
earlier host in the same URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MEMORY = "memory://"
AMQP_SCHEMES = {"amqp", "amqps", "pyamqp", "rabbit"}


def broker_urls(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Every broker as a kombu URL, in failover order; `("memory://",)` for the in-process bus.

    Raises ValueError naming the URL that is not one.
    """
    texts = value.split(";") if isinstance(value, str) else list(value)
    urls: list[str] = []
    for text in (t.strip() for t in texts):
        if text:
            urls.extend(_expand(text))
    if not urls:
        raise ValueError("no broker URL given")
    if MEMORY in urls and len(urls) > 1:
        raise ValueError("memory:// is the in-process bus and cannot be mixed with brokers")
    return tuple(urls)


def _expand(text: str) -> list[str]:
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if text.rstrip("/") == MEMORY.rstrip("/"):
        return [MEMORY]
    if not sep or scheme not in AMQP_SCHEMES:
        raise ValueError(f"{text!r} is not memory:// or an amqp://, amqps:// or rabbit:// URL")
    hosts, slash, tail = rest.partition("/")
    path = slash + tail
    credentials = ""
    expanded = []
    for host in hosts.split(","):
        userinfo, at, address = host.rpartition("@")
        if at:
            credentials = credentials or userinfo + "@"
        address = address.strip()
        if not address:
            raise ValueError(f"{text!r} names an empty host")
        out = "amqps" if scheme == "amqps" else "amqp"
        url = f"{out}://{userinfo + '@' if at else credentials}{address}{path}"
        try:
            urlsplit(url).port  # noqa: B018 (a bad port raises here)
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}") from None
        expanded.append(url)
    return expanded
