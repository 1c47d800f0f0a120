"""A real Zonefleet API served over HTTP by uvicorn, and the OpenStack clients pointed at it.

The clients (openstackclient with designateclient's plugin, openstacksdk) speak
to it exactly as they would to Designate: no test client, no mocks, real TCP.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

import pytest
import uvicorn
from openstack.connection import Connection

from tests.conftest import make_settings
from zonefleet.api.app import create_app
from zonefleet.cli import assembly
from zonefleet.storage import migrate
from zonefleet.storage.database import Database

START_TIMEOUT = 15.0
NOAUTH = ("--os-auth-type", "none")


@dataclass(frozen=True)
class LiveApi:
    """Where the running API answers, and the database it serves (for rows only a process
    other than the API writes, such as heartbeats)."""

    port: int
    database: Database

    @property
    def root(self) -> str:
        """The versions document's URL, ending in "/"."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def v2(self) -> str:
        return f"{self.root}v2"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(api: LiveApi, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the API server thread stopped before it answered GET /")
        try:
            with urllib.request.urlopen(api.root, timeout=1) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError):
            time.sleep(0.05)
    pytest.fail(f"the API server did not answer GET {api.root} within {START_TIMEOUT}s")


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """A fresh migrated SQLite database and the API on a free port, for the whole session.

    Tests share it, so each one uses zone names and project ids of its own (`unique`).
    """
    tmp_path = tmp_path_factory.mktemp("live-api")
    settings = make_settings(tmp_path)
    database = Database(f"sqlite:///{tmp_path / 'zonefleet.sqlite3'}", pool_size=5)
    migrate.upgrade(database, "ns1.zonefleet.test.")
    app = create_app(assembly.api_services(settings, database))
    api = LiveApi(port=_free_port(), database=database)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=api.port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="zonefleet-live-api", daemon=True)
    thread.start()
    try:
        _wait_until_serving(api, thread)
        yield api
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.dispose()
    assert not thread.is_alive(), "the API server did not stop within 10s"


@pytest.fixture
def unique() -> str:
    """A short token that keeps this test's zones and projects apart from every other test's."""
    return uuid.uuid4().hex[:10]


def post_json(url: str, body: dict[str, Any], project: str) -> dict[str, Any]:
    """One plain HTTP POST, for setting up state a test then reads with a client."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Auth-Project-ID": project},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        created: dict[str, Any] = json.load(response)
        return created


def without_os_variables(environ: dict[str, str]) -> dict[str, str]:
    """The environment minus OS_* variables, which would override the clients' arguments."""
    return {name: value for name, value in environ.items() if not name.startswith("OS_")}


# -- openstackclient, in this process --------------------------------------------------


@dataclass(frozen=True)
class CliRun:
    """One `openstack ...` invocation: its argv, exit code and output."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.exit_code == 0, f"openstack {' '.join(self.argv)} failed: {self.stderr}"
        return json.loads(self.stdout)


def _forget_cached_clients() -> None:
    """Drop the service clients osc_lib caches on the ClientManager *class*.

    In a real shell one process runs one command. In-process, the cache would hand the
    next command the previous command's designateclient, with its endpoint and its
    X-Auth-Sudo-Project-ID still set (designateclient only overwrites the sudo project
    when the new command passes one).
    """
    from osc_lib.clientmanager import ClientCache, ClientManager  # noqa: PLC0415 - see `openstack`

    for attribute in vars(ClientManager).values():
        if isinstance(attribute, ClientCache):
            attribute._handle = None


class InProcessOpenStack:
    """Runs `openstack --os-auth-type none --os-endpoint <api>/v2 ...` via the shell's main()."""

    def __init__(
        self,
        endpoint: str,
        main: Callable[[list[str]], int],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.endpoint = endpoint
        self.main = main
        self.capsys = capsys

    def run(self, *args: str, project: str | None = None) -> CliRun:
        """`project` becomes --sudo-project-id, designateclient's X-Auth-Sudo-Project-ID."""
        argv = (*NOAUTH, "--os-endpoint", self.endpoint, *args)
        if project is not None:
            argv = (*argv, "--sudo-project-id", project)
        _forget_cached_clients()
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        self.capsys.readouterr()
        try:
            exit_code = self.main(list(argv))
        except SystemExit as exited:  # argparse exits on a usage error, as the real command does
            exit_code = exited.code if isinstance(exited.code, int) else 1
        finally:
            # osc_lib's LogConfigurator adds a stderr handler to the root logger and sets it
            # to DEBUG on every run; undo that so runs (and later tests) stay independent.
            root.handlers[:] = handlers
            root.setLevel(level)
        captured = self.capsys.readouterr()
        return CliRun(argv, exit_code, captured.out, captured.err)

    def json(self, *args: str, project: str | None = None) -> Any:
        """Runs the command with `-f json`, asserts success and returns the parsed output."""
        return self.run(*args, "-f", "json", project=project).json()

    def fails(self, *args: str, project: str | None = None) -> CliRun:
        """Runs the command, asserts it failed, and returns the run for its stderr."""
        result = self.run(*args, "-f", "json", project=project)
        assert result.exit_code != 0, f"expected a failure, got: {result.stdout}"
        assert result.stdout == ""
        return result


@pytest.fixture
def openstack(
    live_api: LiveApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> InProcessOpenStack:
    """The openstack CLI in this process, against the live API (Keystone-less, noauth).

    Importing openstackclient emits osc_lib DeprecationWarnings, so it is imported here
    rather than at collection; tests using this fixture carry the matching filterwarnings.
    """
    import osc_lib.logs  # noqa: PLC0415 - see the docstring
    from openstackclient import shell  # noqa: PLC0415 - see the docstring

    # osc_lib calls warnings.simplefilter("ignore") at the default verbosity, which would
    # switch off pytest's filterwarnings=error process-wide (server thread included).
    monkeypatch.setattr(osc_lib.logs, "set_warning_filter", lambda log_level: None)
    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)
    return InProcessOpenStack(live_api.v2, shell.main, capsys)


# -- openstacksdk ----------------------------------------------------------------------


@pytest.fixture
def sdk(live_api: LiveApi) -> Iterator[Callable[[str], Connection]]:
    """Builds openstacksdk connections acting for a project (noauth's X-Auth-Project-ID).

    The connection is given the unversioned root: the dns proxy finds /v2 in the versions
    document (GET /), as it would on a real cloud.
    """
    opened: list[Connection] = []

    def connect(project: str) -> Connection:
        # Without `cloud`, neither clouds.yaml nor OS_* variables are read.
        conn = Connection(auth_type="none", auth={"endpoint": live_api.root}, api_timeout=30)
        conn.session.additional_headers["X-Auth-Project-ID"] = project
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()
