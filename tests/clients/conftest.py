"""A real Zonefleet API served over HTTP by uvicorn, for the OpenStack clients to drive.

The clients (openstackclient with designateclient's plugin, openstacksdk) speak
to it exactly as they would to Designate: no test client, no mocks, real TCP.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.error import URLError

import pytest
import uvicorn

from tests.conftest import make_settings
from zonefleet.api.app import create_app
from zonefleet.cli import assembly
from zonefleet.storage import migrate
from zonefleet.storage.database import Database

START_TIMEOUT = 15.0


@dataclass(frozen=True)
class LiveApi:
    """Where the running API answers."""

    port: int

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
    """A migrated SQLite database and the API on a free port, for the whole session."""
    tmp_path = tmp_path_factory.mktemp("live-api")
    settings = make_settings(tmp_path)
    database = Database(f"sqlite:///{tmp_path / 'zonefleet.sqlite3'}", pool_size=5)
    migrate.upgrade(database, "ns1.zonefleet.test.")
    app = create_app(assembly.api_services(settings, database))
    api = LiveApi(port=_free_port())
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
