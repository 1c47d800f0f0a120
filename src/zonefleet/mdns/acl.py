"""Who may transfer a zone out of mdns, and the TSIG keyring mdns verifies with.

A transfer is allowed from a host of the zone's pool (a nameserver or a target),
from a configured network, or under a valid TSIG key that covers the zone (scope
POOL for its pool or ZONE for it, or named by one of the pool's targets or
nameservers). Everything else is refused. Pool hosts and keys are reloaded from
storage every few seconds, so `pool update` and `tsigkey create` take effect
without a restart.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dns.name
import dns.tsig

from zonefleet.mdns.store import HostedZone, KeyRow, ZoneStore
from zonefleet.pools.tsig import signing_key
from zonefleet.storage.models import TsigScope

# Seconds a view must be old before a refusal reloads it.
RECHECK_AFTER = 1.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class TransferAcl:
    """Decides transfers; `refresh()` (blocking, run off the event loop) reloads its view."""

    def __init__(
        self, store: ZoneStore, networks: Sequence[str], refresh_interval: float = 5.0
    ) -> None:
        self.store = store
        self.networks: list[Network] = [ipaddress.ip_network(net) for net in networks]
        self.refresh_interval = refresh_interval
        self.keyring: dict[dns.name.Name, dns.tsig.Key] = {}
        self._keys: dict[dns.name.Name, KeyRow] = {}
        self._pool_hosts: dict[str, set[str]] = {}
        self._pool_keys: dict[str, set[str]] = {}
        self._loaded_at = float("-inf")

    @property
    def stale(self) -> bool:
        return time.monotonic() - self._loaded_at > self.refresh_interval

    @property
    def worth_rechecking(self) -> bool:
        """Whether a refusal should reload the view and decide again: a pool update may have
        added the host since, and at most one reload per second is spent on refusals."""
        return time.monotonic() - self._loaded_at > RECHECK_AFTER

    def refresh(self) -> None:
        keys = {dns.name.from_text(row.name): row for row in self.store.tsig_keys()}
        self.keyring = {name: _key(name, row) for name, row in keys.items()}
        self._keys = keys
        self._pool_hosts = self.store.pool_hosts()
        self._pool_keys = self.store.pool_key_names()
        self._loaded_at = time.monotonic()

    def decide(self, zone: HostedZone, source: str, key_name: dns.name.Name | None) -> Decision:
        """Whether `source` (already TSIG-verified as `key_name`, if signed) may transfer."""
        if key_name is not None:
            return self._decide_key(zone, key_name)
        address = ipaddress.ip_address(source)
        if any(address in network for network in self.networks):
            return Decision(True, f"{source} is in an allowed network")
        hosts = self._pool_hosts.get(zone.pool_id, set())
        if any(_same_address(address, host) for host in hosts):
            return Decision(True, f"{source} is a host of the zone's pool")
        return Decision(False, f"{source} is not a pool host nor in mdns.allow_transfer")

    def _decide_key(self, zone: HostedZone, key_name: dns.name.Name) -> Decision:
        row = self._keys.get(key_name)
        if row is None:
            return Decision(False, f"TSIG key {key_name} is unknown")
        if row.name in self._pool_keys.get(zone.pool_id, set()):
            return Decision(True, f"TSIG key {row.name} is configured in the zone's pool")
        covered = (row.scope == TsigScope.POOL and row.resource_id in (None, zone.pool_id)) or (
            row.scope == TsigScope.ZONE and row.resource_id == zone.id
        )
        if covered:
            return Decision(True, f"TSIG key {row.name} covers the zone ({row.scope})")
        return Decision(False, f"TSIG key {row.name} does not cover zone {zone.origin}")


def _key(name: dns.name.Name, row: KeyRow) -> dns.tsig.Key:
    return signing_key(name, row.algorithm, row.secret)


def _same_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str) -> bool:
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False
