"""The installed `openstack` executable, run as a real subprocess against the live API.

A few commands only (each start costs a second or two); test_openstack_cli.py covers
the commands in depth in-process. These prove the console script, its plugin loading
and its output work outside pytest's process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.clients.conftest import NOAUTH, LiveApi, post_json, without_os_variables

pytestmark = pytest.mark.clients

OPENSTACK = Path(sys.executable).with_name("openstack")
TIMEOUT = 60


def openstack(
    api: LiveApi, home: Path, *args: str, project: str
) -> subprocess.CompletedProcess[str]:
    """`openstack <args> --sudo-project-id <project>`, with no clouds.yaml and no OS_* variables."""
    argv = [str(OPENSTACK), *NOAUTH, "--os-endpoint", api.v2, *args, "--sudo-project-id", project]
    env = {**without_os_variables(dict(os.environ)), "HOME": str(home)}
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=TIMEOUT, check=False
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"{result.args} failed: {result.stderr}"
    return json.loads(result.stdout)


def test_zone_create_then_list(live_api: LiveApi, tmp_path: Path, unique: str) -> None:
    project, name = f"exe-{unique}", f"exe-{unique}.example.org."

    created = succeeded(
        openstack(live_api, tmp_path, "zone", "create", "--email", "admin@example.org",
                  "--ttl", "900", name, "-f", "json", project=project)
    )  # fmt: skip
    assert (created["name"], created["ttl"], created["project_id"]) == (name, 900, project)
    assert (created["status"], created["action"]) == ("PENDING", "CREATE")

    listed = succeeded(openstack(live_api, tmp_path, "zone", "list", "-f", "json", project=project))
    assert listed == [
        {
            "id": created["id"],
            "name": name,
            "type": "PRIMARY",
            "serial": created["serial"],
            "status": "PENDING",
            "action": "CREATE",
        }
    ]


def test_recordset_list(live_api: LiveApi, tmp_path: Path, unique: str) -> None:
    project, name = f"exe-{unique}", f"exe-{unique}.example.org."
    zone = post_json(f"{live_api.v2}/zones", {"name": name, "email": "a@example.org"}, project)
    recordset = post_json(
        f"{live_api.v2}/zones/{zone['id']}/recordsets",
        {"name": f"_sip._tcp.{name}", "type": "SRV", "records": [f"10 60 5060 sip.{name}"]},
        project,
    )

    listed = succeeded(
        openstack(live_api, tmp_path, "recordset", "list", name, "-f", "json", project=project)
    )
    assert {(rs["name"], rs["type"]) for rs in listed} == {
        (name, "NS"), (name, "SOA"), (f"_sip._tcp.{name}", "SRV"),
    }  # fmt: skip
    [srv] = [rs for rs in listed if rs["type"] == "SRV"]
    assert (srv["id"], srv["records"]) == (recordset["id"], f"10 60 5060 sip.{name}")
    assert (srv["status"], srv["action"]) == ("PENDING", "CREATE")


def test_other_project_cannot_show_the_zone(live_api: LiveApi, tmp_path: Path, unique: str) -> None:
    name = f"exe-{unique}.example.org."
    zone = post_json(
        f"{live_api.v2}/zones", {"name": name, "email": "a@example.org"}, f"a-{unique}"
    )

    result = openstack(live_api, tmp_path, "zone", "show", zone["id"], project=f"b-{unique}")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Could not find Zone" in result.stderr
