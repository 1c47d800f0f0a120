"""The named fixture itself: keys added while running, restart on the same ports, stop by pid."""

from __future__ import annotations

import os

import pytest

from tests.integration.conftest import NamedFactory
from tests.integration.named import TsigSecret


def test_a_key_added_while_running_is_loaded(named_factory: NamedFactory) -> None:
    named = named_factory(keys=[TsigSecret.generate("first-key.")])
    named.add_key(TsigSecret.generate("second-key.", "hmac-sha512"))
    listed = named.rndc("tsig-list")
    assert "first-key" in listed.stdout and "second-key" in listed.stdout


def test_stop_and_start_keep_the_ports_and_directory(named_factory: NamedFactory) -> None:
    named = named_factory()
    first_pid, ports = named.pid, (named.port, named.rndc_port)
    assert first_pid is not None
    named.stop()
    assert named.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(first_pid, 0)
    named.start()
    assert named.pid not in (None, first_pid)
    assert (named.port, named.rndc_port) == ports
    assert named.rndc("status").returncode == 0
    assert named.log().count(" running\n") == 2
