"""The BIND9 backend: secondary zones added and deleted over rndc's control channel.

`rndc addzone` / `rndc delzone` need `allow-new-zones yes;` on the named side.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import PurePosixPath
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

# rndc joins its arguments with spaces and named re-parses the text as
# named.conf syntax, so anything but these characters could reshape the command.
_SAFE_NAME = re.compile(r"(?:[A-Za-z0-9_-]+\.)+")
_SAFE_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?")
# rndc's own words when named could not be reached or did not answer in time.
_TRANSPORT_FAILURE = re.compile(r"rndc: (?:connect|recv|send) failed|timed out")
# named closed the control connection under the command (seen once in CI on a named that had
# answered `rndc status` just before), or reset it as rndc connected ("connect failed:
# 127.0.0.1#953: connection reset", also seen in CI). Every command this driver sends may run
# twice.
_RESET = re.compile(r"rndc: (?:(?:recv|send) failed|connect failed: \S+): connection reset")
RESET_TRIES, RESET_PAUSE = 3, 0.1
Completed = subprocess.CompletedProcess[str]


class Bind9Options(BackendOptions):
    """Designate's bind9 target options, as pools.yaml spells them."""

    rndc_host: str = Field("127.0.0.1", description="Address of named's rndc control channel")
    rndc_port: int = Field(953, ge=1, le=65535, description="Port of named's control channel")
    rndc_config_file: str | None = Field(None, description="rndc.conf to pass as `rndc -c`")
    rndc_key_file: str | None = Field(None, description="rndc key file to pass as `rndc -k`")
    rndc_bin_path: str = Field("rndc", min_length=1, description="The rndc executable")
    rndc_timeout: float = Field(10, gt=0, description="Seconds one rndc command may take")
    clean_zonefile: bool = Field(False, description="Delete the zone's file on remove")
    zone_file_path: str | None = Field(
        None, description="Directory for the secondary's zone file (default: named's directory)"
    )
    view: str | None = Field(None, description="The named view the zones are added to")

    @field_validator("rndc_host")
    @classmethod
    def _rndc_host(cls, value: str) -> str:
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            if _HOSTNAME.fullmatch(value):
                return value
        raise ValueError(f"{value!r} is neither an IP address nor a host name")

    @field_validator("zone_file_path")
    @classmethod
    def _zone_file_path(cls, value: str | None) -> str | None:
        if value is not None and (not value or re.search(r'["\\\x00-\x1f\x7f]', value)):
            raise ValueError("must be a non-empty path without quotes, backslashes or line breaks")
        return value

    @field_validator("view")
    @classmethod
    def _view(cls, value: str | None) -> str | None:
        if value is not None and not _SAFE_WORD.fullmatch(value):
            raise ValueError(f"{value!r} is not a view name of letters, digits, '-', '_', '.'")
        return value


def safe_name(name: dns.name.Name, what: str) -> str:
    """The text of an absolute name made only of letters, digits, '-', '_' and dots."""
    text = name.to_text()
    if not name.is_absolute() or not _SAFE_NAME.fullmatch(text):
        raise BackendError(f"refusing {what} {text!r}: not a plain absolute name", retryable=False)
    return text


class Bind9Backend(Backend):
    """A BIND9 target: each zone is a secondary of the target's masters, added by rndc."""

    kind: ClassVar[str] = "bind9"
    Options: ClassVar[type[BackendOptions]] = Bind9Options

    def __init__(self, target: TargetSpec) -> None:
        super().__init__(target)
        options = target.options
        if not isinstance(options, Bind9Options):
            try:
                options = Bind9Options.model_validate(options.model_dump(exclude_unset=True))
            except ValidationError as exc:
                raise BackendError(f"target {target.id}: {exc}", retryable=False) from None
        self.options = options
        self.where = f"{options.rndc_host}:{options.rndc_port}"

    def ensure_zone(self, zone: ZoneRef) -> None:
        """Add the zone, or bring an existing one's masters, key and file to this target's."""
        name = safe_name(zone.name, "zone name")
        config = self.zone_config(zone)
        done = self._rndc("addzone", name, *self._view(), config)
        if done.returncode == 0:
            return
        if "already exists" not in done.stderr:
            raise self._failure("addzone", name, done)
        # The zone may have been added with other masters (mdns moved, a key added):
        # modzone keeps its data and takes the new configuration.
        done = self._rndc("modzone", name, *self._view(), config)
        if done.returncode != 0:
            raise self._failure("modzone", name, done)

    def remove_zone(self, zone: ZoneRef) -> None:
        name = safe_name(zone.name, "zone name")
        clean = ["-clean"] if self.options.clean_zonefile or zone.hard_delete else []
        done = self._rndc("delzone", *clean, name, *self._view())
        # "not found" also answers an unknown view; only a missing zone is success.
        if done.returncode != 0 and "no matching zone" not in done.stderr:
            raise self._failure("delzone", name, done)

    def control_status(self) -> str:
        done = self._rndc("status")
        if done.returncode != 0:
            raise self._failure("status", "", done)
        said = dict(_fields(done.stdout))
        return (
            f"rndc status: {said.get('version', 'named')}, {said.get('number of zones', '?')} zones"
        )

    def zone_status(self, zone: ZoneRef) -> str | None:
        """`rndc zonestatus`: the serial named holds, when it loaded it, its next refresh."""
        name = safe_name(zone.name, "zone name")
        done = self._rndc("zonestatus", name, *self._view())
        if done.returncode != 0:
            if "no matching zone" in done.stderr:
                return f"rndc zonestatus: named has no zone {name}"
            raise self._failure("zonestatus", name, done)
        said = dict(_fields(done.stdout))
        shown = ("type", "serial", "loaded", "next refresh", "expires")
        return "rndc zonestatus: " + ", ".join(f"{k} {said[k]}" for k in shown if k in said)

    def zone_config(self, zone: ZoneRef) -> str:
        """The `{ type secondary; … }` text given to `rndc addzone`, every part checked."""
        if not self.target.masters:
            raise BackendError(f"target {self.target.id} has no masters", retryable=False)
        key = ""
        if self.target.tsig is not None:
            key = f' key "{safe_name(self.target.tsig.name, "TSIG key name")}"'
        primaries = "".join(f"{_primary(master)}{key}; " for master in self.target.masters)
        if not _SAFE_WORD.fullmatch(zone.id):
            raise BackendError(f"refusing zone id {zone.id!r} in a file name", retryable=False)
        file = f"{zone.name.to_text(omit_final_dot=True)}.{zone.id}.db"
        if self.options.zone_file_path is not None:
            file = str(PurePosixPath(self.options.zone_file_path) / file)
        return f'{{ type secondary; primaries {{ {primaries}}}; file "{file}"; }};'

    def _view(self) -> list[str]:
        return [] if self.options.view is None else ["IN", self.options.view]

    def _rndc(self, *command: str) -> Completed:
        """One rndc command, sent again (up to RESET_TRIES in all) when named resets the
        connection: addzone then finds the zone and modzones it, delzone finds none."""
        for _ in range(RESET_TRIES - 1):
            done = self._rndc_once(*command)
            if done.returncode == 0 or not _RESET.search(done.stderr):
                return done
            logger.info("rndc %s on target %s: %s; again", command[0], self.target.id,
                        done.stderr.strip())  # fmt: skip
            time.sleep(RESET_PAUSE)
        return self._rndc_once(*command)

    def _rndc_once(self, *command: str) -> Completed:
        options = self.options
        argv = [options.rndc_bin_path, "-s", options.rndc_host, "-p", str(options.rndc_port)]
        if options.rndc_config_file:
            argv += ["-c", options.rndc_config_file]
        if options.rndc_key_file:
            argv += ["-k", options.rndc_key_file]
        logger.debug("rndc %s on target %s (%s)", " ".join(command[:2]), self.target.id, self.where)
        try:
            return subprocess.run(
                [*argv, *command], capture_output=True, text=True,
                timeout=options.rndc_timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            message = f"rndc {command[0]} at {self.where} timed out after {options.rndc_timeout}s"
            raise BackendError(message, retryable=True) from None
        except OSError as exc:
            message = f"cannot run {options.rndc_bin_path} for {self.where}: {exc}"
            raise BackendError(message, retryable=False) from None

    def _failure(self, verb: str, name: str, done: Completed) -> BackendError:
        said = " ".join((done.stderr or done.stdout).split()) or f"exit status {done.returncode}"
        message = f"rndc {verb} {name} at {self.where} failed: {said}"
        return BackendError(message, retryable=_TRANSPORT_FAILURE.search(said) is not None)


def _fields(text: str) -> Iterator[tuple[str, str]]:
    """`key: value` lines of rndc's output."""
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            yield key.strip(), value.strip()
        elif line.strip():
            yield line.strip(), line.strip()


def _primary(master: Master) -> str:
    """`ADDRESS port N` of one master, refused unless both are what they claim to be."""
    try:
        address = ipaddress.ip_address(master.host)
    except ValueError:
        address = None
    if address is None or not isinstance(master.port, int) or not 0 < master.port < 65536:
        raise BackendError(f"refusing master {master.host!r}:{master.port!r}", retryable=False)
    return f"{address} port {master.port}"
