"""The Knot DNS backend: secondary zones added and removed in knotc configuration transactions.

knotd must run on a configuration database (`knotd -C confdb`): `conf-*` changes then persist.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import dns.name
from pydantic import Field, ValidationError, field_validator

from zonefleet.backends.base import (
    Backend,
    BackendError,
    BackendOptions,
    Master,
    TargetSpec,
    ZoneRef,
)

logger = logging.getLogger(__name__)

# Names reach knotc inside its item syntax (`zone[NAME].master`) and as bare arguments, so
# no '[', ']', quote or escape, and no leading '-' (an option, or `--`: "every zone").
_LABEL = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_SAFE_NAME = re.compile(rf"(?:{_LABEL}\.)+")
_KEY_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")
# knotc's words when knotd is unreachable or silent, or another client holds the one transaction.
_RETRYABLE = re.compile(r"failed to (?:connect|control)|connection timeout|too many transactions")
_BUSY = "(too many transactions)"
# knotd serves its control socket one client at a time behind a short listen backlog; a
# client that finds the backlog full is refused at once with EAGAIN, in knot's words.
_BACKLOG_FULL = re.compile(r"failed to connect to socket .*\(OS lacked necessary resources\)")
# How long conf-begin keeps asking while another client (another worker) holds the
# transaction, and how long one command keeps knocking on a full control socket backlog.
BUSY_WAIT, BUSY_PAUSE = 2.0, 0.02
Completed = subprocess.CompletedProcess[str]

_socket_locks: dict[str, threading.Lock] = {}
_socket_locks_guard = threading.Lock()
# Per control socket, the remotes (id, address, key) with their ACLs that this process's
# committed transactions defined: a new zone on known masters then sets only the zone, half
# the knotc calls inside knotd's one transaction. Added to after a commit, dropped from
# when a transaction that trusted them fails.
_known_remotes: dict[str, set[tuple[str, str, str | None]]] = {}


def socket_lock(socket: str) -> threading.Lock:
    """The lock this process holds while it has a transaction open on `socket`.

    knotd keeps one configuration transaction for all its clients, so this process's
    threads take turns instead of failing each other's conf-begin.
    """
    with _socket_locks_guard:
        return _socket_locks.setdefault(socket, threading.Lock())


class KnotOptions(BackendOptions):
    """How to reach knotd's control socket, as pools.yaml spells it."""

    knotc_path: str = Field("knotc", min_length=1, description="The knotc executable")
    socket: str = Field("/run/knot/knot.sock", min_length=1, description="knotd's control socket")
    timeout: float = Field(10, gt=0, le=86400, description="Seconds one knotc command may take")
    tsigkey_name: str | None = Field(
        None, description="A key in knotd's configuration to transfer with (default: the target's)"
    )
    purge_zone: bool = Field(True, description="Delete the zone's file, journal, timers on remove")

    @field_validator("knotc_path", "socket")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value

    @field_validator("tsigkey_name")
    @classmethod
    def _key_name(cls, value: str | None) -> str | None:
        if value is not None and not _KEY_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a key name of letters, digits, '-', '_' and dots")
        return value


def plain_name(name: dns.name.Name, what: str) -> str:
    """The text of an absolute name of plain labels: letters, digits, '_', inner '-'."""
    text = name.to_text()
    if not name.is_absolute() or not _SAFE_NAME.fullmatch(text):
        raise BackendError(f"refusing {what} {text!r}: not a plain absolute name", retryable=False)
    return text


class KnotBackend(Backend):
    """A knotd target: each zone is a secondary of `remote`s made for the target's masters."""

    kind: ClassVar[str] = "knot"
    Options: ClassVar[type[BackendOptions]] = KnotOptions

    def __init__(self, target: TargetSpec) -> None:
        super().__init__(target)
        options = target.options
        if not isinstance(options, KnotOptions):
            try:
                options = KnotOptions.model_validate(options.model_dump(exclude_unset=True))
            except ValidationError as exc:
                raise BackendError(f"target {target.id}: {exc}", retryable=False) from None
        self.options = options
        self.key = options.tsigkey_name
        if self.key is None and target.tsig is not None:
            self.key = plain_name(target.tsig.name, "TSIG key name")

    def ensure_zone(self, zone: ZoneRef) -> None:
        """Add the zone, or bring an existing one's masters and NOTIFY ACL to this target's."""
        name = plain_name(zone.name, "zone name")
        remotes = [self._remote(master) for master in self.target.masters]
        if not remotes:
            raise BackendError(f"target {self.target.id} has no masters", retryable=False)
        ids = [remote_id for remote_id, _ in remotes]
        current = self._zone_items(name)
        if current is not None and current.get("master") == ids and current.get("acl") == ids:
            return
        wanted = self._remote_keys(remotes)
        try:
            self._configure(name, remotes, current, trust_known=True)
        except BackendError as exc:
            # knotd refused the change itself (a busy or silent knotd is retryable): a remote
            # this process defined may since have gone (removed by an operator, a new
            # configuration database), so every one is defined again, once.
            known = _known_remotes.get(self.options.socket, set())
            if exc.retryable or known.isdisjoint(wanted):
                raise
            known.difference_update(wanted)
            self._configure(name, remotes, current, trust_known=False)

    def _configure(
        self,
        name: str,
        remotes: list[tuple[str, str]],
        current: dict[str, list[str]] | None,
        *,
        trust_known: bool,
    ) -> None:
        """The zone's masters and NOTIFY ACL in one transaction, with the remotes they name
        (those this process defined before skipped when `trust_known`)."""
        ids = [remote_id for remote_id, _ in remotes]
        known = _known_remotes.setdefault(self.options.socket, set())
        trusted = known if trust_known else set()
        with self._transaction():
            for (remote_id, address), key in zip(remotes, self._remote_keys(remotes), strict=True):
                if key not in trusted:
                    self._define_remote(remote_id, address)
            if current is None:
                self._run("conf-set", f"zone[{name}]", tolerate="duplicate identifier")
            for item in ("master", "acl"):
                if current is not None and item in current:
                    self._run("conf-unset", f"zone[{name}].{item}")
                self._run("conf-set", f"zone[{name}].{item}", *ids)
        known.update(self._remote_keys(remotes))

    def _remote_keys(self, remotes: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
        """How `_known_remotes` names each remote: its id, address and this target's key."""
        return [(remote_id, address, self.key) for remote_id, address in remotes]

    def remove_zone(self, zone: ZoneRef) -> None:
        name = plain_name(zone.name, "zone name")
        if self._zone_items(name) is None:
            return
        if self.options.purge_zone or zone.hard_delete:
            # Purged while still configured, without +expire: knotd keeps serving it from
            # memory and schedules no new transfer, yet the file and journal are gone.
            self._run("zone-purge", "-f", "-b", name, "+zonefile", "+journal", "+timers")
        with self._transaction():
            self._run("conf-unset", f"zone[{name}]", tolerate="invalid identifier")

    def request_refresh(self, zone: ZoneRef) -> None:
        """`zone-refresh`: knotd asks the master's SOA and transfers (IXFR first) if it is newer.

        Through the control socket rather than a NOTIFY, which knotd accepts only from the
        masters' addresses (the zone's ACL); the worker sending it is seldom one of them.
        """
        self._run("zone-refresh", plain_name(zone.name, "zone name"))

    def control_status(self) -> str:
        done = self._knotc("status", "version")
        if done.returncode != 0:
            raise self._failure(("status",), done)
        return f"knotc status: knotd {_said(done)} running"

    def zone_status(self, zone: ZoneRef) -> str | None:
        """`knotc zone-status`: role, serial, next refresh, expiration, as knotd says them."""
        name = plain_name(zone.name, "zone name")
        done = self._knotc("zone-status", name)
        if done.returncode != 0:
            if "no such zone" in _said(done):
                return f"knotc zone-status: knotd has no zone {name}"
            raise self._failure(("zone-status", name), done)
        return f"knotc zone-status: {_said(done)}"

    def _remote(self, master: Master) -> tuple[str, str]:
        """The id and `ADDRESS@PORT` of one master's remote; the id names all it holds."""
        try:
            address = ipaddress.ip_address(master.host)
        except ValueError:
            address = None
        if address is None or not isinstance(master.port, int) or not 0 < master.port < 65536:
            raise BackendError(f"refusing master {master.host!r}:{master.port!r}", retryable=False)
        words = address.exploded.replace(".", "-").replace(":", "-")
        key = "" if self.key is None else f"-{self.key.rstrip('.').lower()}"
        return f"zonefleet-{words}-{master.port}{key}", f"{address}@{master.port}"

    def _define_remote(self, remote_id: str, address: str) -> None:
        """The remote and an ACL of the same id letting it NOTIFY; both may already exist."""
        self._run("conf-set", f"remote[{remote_id}]", tolerate="duplicate identifier")
        self._run("conf-set", f"remote[{remote_id}].address", address)
        if self.key is not None:
            self._run("conf-set", f"remote[{remote_id}].key", self.key)
        self._run("conf-set", f"acl[{remote_id}]", tolerate="duplicate identifier")
        self._run("conf-set", f"acl[{remote_id}].remote", remote_id)
        self._run("conf-set", f"acl[{remote_id}].action", "notify")

    def _zone_items(self, name: str) -> dict[str, list[str]] | None:
        """The zone's configured items (`master`, `acl`, …) and their values, or None if absent."""
        done = self._knotc("conf-read", f"zone[{name}]")
        if done.returncode != 0:
            if "(invalid identifier)" in _said(done):
                return None
            raise self._failure(("conf-read", name), done)
        items: dict[str, list[str]] = {}
        for line in done.stdout.splitlines():
            head, equals, values = line.partition(" = ")
            _, bracket, item = head.rpartition("].")
            if equals and bracket:
                items[item] = values.split()
        return items

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with socket_lock(self.options.socket):
            self._begin()
            try:
                yield
                self._run("conf-commit")
            except BaseException:
                # knotd holds one transaction for all clients: one left open blocks every change.
                self._abort()
                raise

    def _begin(self) -> None:
        """conf-begin, asked again for up to BUSY_WAIT while another process holds knotd's."""
        deadline = time.monotonic() + BUSY_WAIT
        while True:
            done = self._knotc("conf-begin")
            if done.returncode == 0:
                return
            if _BUSY not in _said(done) or time.monotonic() >= deadline:
                raise self._failure(("conf-begin",), done)
            time.sleep(BUSY_PAUSE)

    def _abort(self) -> None:
        try:
            done = self._knotc("conf-abort")
        except BackendError as exc:
            logger.error("conf-abort on target %s failed: %s", self.target.id, exc)
            return
        if done.returncode != 0:
            logger.error("conf-abort on target %s failed: %s", self.target.id, _said(done))

    def _run(self, *command: str, tolerate: str | None = None) -> None:
        done = self._knotc(*command)
        if done.returncode != 0 and (tolerate is None or f"({tolerate})" not in _said(done)):
            raise self._failure(command, done)

    def _knotc(self, *command: str) -> Completed:
        """One knotc command, asked again for up to BUSY_WAIT while knotd's backlog is full."""
        deadline = time.monotonic() + BUSY_WAIT
        while True:
            done = self._knotc_once(*command)
            full = done.returncode != 0 and _BACKLOG_FULL.search(_said(done)) is not None
            if not full or time.monotonic() >= deadline:
                return done
            time.sleep(BUSY_PAUSE)

    def _knotc_once(self, *command: str) -> Completed:
        options = self.options
        argv = [options.knotc_path, "-s", options.socket, "-t", str(math.ceil(options.timeout))]
        logger.debug("knotc %s on target %s (%s)", " ".join(command[:2]), self.target.id, argv[2])
        try:
            return subprocess.run(
                [*argv, *command], capture_output=True, text=True,
                timeout=options.timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            message = f"knotc {command[0]} at {options.socket} timed out after {options.timeout}s"
            raise BackendError(message, retryable=True) from None
        except OSError as exc:
            message = f"cannot run {options.knotc_path} for {options.socket}: {exc}"
            raise BackendError(message, retryable=True) from None

    def _failure(self, command: tuple[str, ...], done: Completed) -> BackendError:
        said = _said(done) or f"exit status {done.returncode}"
        message = f"knotc {' '.join(command[:2])} at {self.options.socket} failed: {said}"
        return BackendError(message, retryable=_RETRYABLE.search(said) is not None)


def _said(done: Completed) -> str:
    # knotc prints the server's refusals on stdout and its own failures on stderr.
    return " ".join(f"{done.stdout} {done.stderr}".split())
