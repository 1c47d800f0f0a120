"""Issue's "done when", end to end: `zonefleet serve` with a pools.yaml naming a real BIND 9;
the real `openstack` executable creates a zone and a recordset; BIND answers them.

Every part is the real one: the console scripts as subprocesses, named by rndc,
NOTIFY and transfers from mdns; the evidence is BIND's own answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import pytest

from bench.server import environment, free_port, serving, upgrade_schema, zonefleet_command
from tests.clients.conftest import NOAUTH, without_os_variables
from tests.integration.conftest import NamedFactory
from tests.integration.named import Named, bind_pool_yaml

pytestmark = [pytest.mark.clients, pytest.mark.slow]
OPENSTACK = str(Path(zonefleet_command()).with_name("openstack"))


def openstack(api: str, home: Path, *args: str) -> Any:
    argv = [OPENSTACK, *NOAUTH, "--os-endpoint", f"{api}/v2", *args, "-f", "json"]
    env = {**without_os_variables(dict(os.environ)), "HOME": str(home)}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, f"{argv} failed: {done.stderr}"
    return json.loads(done.stdout)


def bind_answers(named: Named, name: str, rdtype: str, timeout: float = 10) -> dns.message.Message:
    deadline = time.monotonic() + timeout
    while True:
        query = dns.message.make_query(name, rdtype)
        response = dns.query.udp(query, named.host, port=named.port, timeout=1)
        if response.rcode() == dns.rcode.NOERROR and response.answer:
            return response
        assert time.monotonic() < deadline, f"BIND never answered {name} {rdtype}"
        time.sleep(0.01)


def test_the_openstack_cli_writes_and_bind_answers(
    named_factory: NamedFactory, tmp_path: Path
) -> None:
    named = named_factory()
    mdns_port, api_port = free_port(), free_port()
    env = environment(f"sqlite:///{tmp_path / 'zonefleet.sqlite3'}", tmp_path, api_port) | {
        "ZONEFLEET_MDNS__BIND": f"127.0.0.1:{mdns_port}"
    }
    upgrade_schema(env)
    pools = tmp_path / "pools.yaml"
    pools.write_text(bind_pool_yaml([named], "127.0.0.1", mdns_port))
    loaded = subprocess.run(
        [zonefleet_command(), "pool", "update", "--file", str(pools)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    with serving(env, tmp_path) as server:
        zone = openstack(server.base_url, tmp_path, "zone", "create",
                         "--email", "hostmaster@example.org", "cli.example.org.")  # fmt: skip
        openstack(server.base_url, tmp_path, "recordset", "create", zone["id"], "www",
                  "--type", "A", "--record", "192.0.2.44")  # fmt: skip
        answer = bind_answers(named, "www.cli.example.org.", "A")
        assert answer.answer[0][0].address == "192.0.2.44"
        deadline = time.monotonic() + 10
        while openstack(server.base_url, tmp_path, "zone", "show", zone["id"])["status"] != (
            "ACTIVE"
        ):
            assert time.monotonic() < deadline, "the zone never showed ACTIVE"
            time.sleep(0.2)
