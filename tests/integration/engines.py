"""Private, throwaway PostgreSQL, MariaDB and RabbitMQ servers for tests that stop them.

Each instance lives in a directory of its own, listens on free loopback ports, logs
to a file there (evidence for the tests) and is started and stopped by its own
process id, so a test that stops, kills or breaks one never touches the machine's
shared servers (5432, 3306, 5672). The fixtures `private_postgres`,
`private_mariadb` and `private_rabbitmq` yield a started instance and stop it at
the end, whatever the test did; a test module imports them by name (a
`pytest_plugins` entry would clash with importing the classes: pytest could no
longer rewrite the module's asserts).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psycopg
import pymysql
import pytest

from bench.server import free_port
from tests.conftest import unavailable

START_SECONDS = 60.0
STOP_SECONDS = 30.0
IS_ROOT = os.geteuid() == 0


def _program(pattern: str, package: str) -> str:
    """The newest file matching `pattern` (a path glob or a name on PATH)."""
    if "/" in pattern:
        found = sorted(glob.glob(pattern), key=_version_key)
        if found:
            return found[-1]
    else:
        on_path = shutil.which(pattern, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        if on_path is not None:
            return on_path
    unavailable(f"{pattern} is not installed (Debian package {package})")
    raise AssertionError("unreachable")


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split("/") if part.isdigit())


class Started:
    """A context manager that starts on entry and closes on exit, or on a failed start."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class PrivateEngine(Started):
    """One server process: started, waited on until it answers, stopped by its pid."""

    name = "engine"
    stop_signal = signal.SIGTERM

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.log_path = directory / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log: IO[bytes] | None = None
        self._outside: Path | None = None  # a home outside `directory`, removed by close()

    def _home_for(self, owner: str) -> Path:
        """Where a server that runs as `owner` keeps its data: as root, a directory of its
        own in the system's temporary directory (pytest's is root's only), owned by `owner`,
        linked from `directory/data` and removed by `close()`; otherwise `directory`."""
        if not IS_ROOT:
            return self.directory
        home = self._outside = Path(tempfile.mkdtemp(prefix=f"zonefleet-{self.name}-"))
        shutil.chown(home, owner, owner)
        (self.directory / "data").symlink_to(home)
        return home

    # -- what each engine fills in --------------------------------------------------------

    def _prepare(self) -> None:
        """Make the data directory (runs before the first start only)."""

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def _answers(self) -> bool:
        raise NotImplementedError

    def _after_start(self) -> None:
        """Anything to do once the server answers (create a database, read a pid)."""

    def _server_pid(self) -> int | None:
        """The pid to signal for a clean stop (by default the process started)."""
        return None if self.process is None else self.process.pid

    def _after_stop(self) -> None:
        """Anything the server may leave running after its process is gone."""

    # -- the life cycle -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers; fail with its log if it does not."""
        assert not self.running, f"{self.name} is already running"
        if self.starts == 0:
            self._prepare()
        self.starts += 1
        self._log = self.log_path.open("ab")
        self.process = self._spawn(self._log)
        deadline = time.monotonic() + START_SECONDS
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                status = self.process.poll()
                self.stop()
                pytest.fail(f"{self.name} did not start (exit {status}):\n{self.tail()}")
            time.sleep(0.1)
        self._after_start()

    def stop(self) -> None:
        """Signal the server by its pid, wait until it is gone (SIGKILL if it lingers)."""
        process = self.process
        try:
            if process is not None and process.poll() is None:
                with suppress(ProcessLookupError):
                    os.kill(self._server_pid() or process.pid, self.stop_signal)
                try:
                    process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    pids = [pid for pid in (self._server_pid(), process.pid) if pid is not None]
                    for lingering in pids:
                        with suppress(ProcessLookupError):
                            os.kill(lingering, signal.SIGKILL)
            if process is not None:
                process.wait(STOP_SECONDS)
        finally:
            self._after_stop()
            if self._log is not None:
                self._log.close()
                self._log = None

    def close(self) -> None:
        """Stop for good and remove what lives outside `directory`."""
        try:
            self.stop()
        finally:
            if self._outside is not None:
                shutil.rmtree(self._outside, ignore_errors=True)

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class PrivatePostgres(PrivateEngine):
    """`initdb` with trust authentication; `postgres` on 127.0.0.1:<port>, the process
    started being the postmaster itself (stopped by SIGINT: a fast shutdown).

    PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
    user, and its data directory (socket included) cannot live under pytest's
    temporary directory, which only root may enter: it is a directory of its own in
    the system's temporary directory, linked from `directory/data` and removed by
    `close()`.
    """

    name = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown: sessions are ended, then a checkpoint

    def __init__(self, directory: Path) -> None:
        bin_dir = Path(_program("/usr/lib/postgresql/*/bin/postgres", "postgresql")).parent
        self.initdb = str(bin_dir / "initdb")
        self.postgres = str(bin_dir / "postgres")
        super().__init__(directory)
        self.home = self._home_for("postgres")
        self.data = self.home / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/postgres"

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if IS_ROOT else []

    def _prepare(self) -> None:
        argv = [*self._as_owner(), self.initdb, "-D", str(self.data), "-U", "postgres",
                "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        with self.log_path.open("a") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            pytest.fail(f"initdb failed:\n{done.stdout}{done.stderr}")

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        argv = [self.postgres, "-D", str(self.data), "-p", str(self.port),
                "-c", f"listen_addresses={self.host}", "-c", f"unix_socket_directories={self.home}",
                "-c", "fsync=off", "-c", "full_page_writes=off"]  # fmt: skip
        owner = {"user": "postgres", "group": "postgres", "extra_groups": []} if IS_ROOT else {}
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.home, **owner,
        )  # fmt: skip

    def _answers(self) -> bool:
        try:
            psycopg.connect(
                host=self.host, port=self.port, user="postgres", dbname="postgres",
                connect_timeout=2,
            ).close()  # fmt: skip
        except psycopg.OperationalError:
            return False
        return True


class PrivateMariadb(PrivateEngine):
    """`mariadb-install-db` into its own datadir; `mariadbd --skip-grant-tables` (a test
    instance: anyone on loopback is root) on 127.0.0.1:<port>, database `zonefleet`."""

    name = "mariadb"
    database = "zonefleet"

    def __init__(self, directory: Path) -> None:
        self.install_db = _program("mariadb-install-db", "mariadb-server")
        self.mariadbd = _program("mariadbd", "mariadb-server")
        super().__init__(directory)
        self.data = directory / "datadir"
        self.socket = directory / "mariadbd.sock"
        self.pid_file = directory / "mariadbd.pid"

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@{self.host}:{self.port}/{self.database}"

    def _user(self) -> list[str]:
        return ["--user=root"] if IS_ROOT else []

    def _prepare(self) -> None:
        argv = [self.install_db, "--no-defaults", f"--datadir={self.data}", *self._user(),
                "--auth-root-authentication-method=normal", "--skip-test-db",
                "--skip-name-resolve"]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        with self.log_path.open("a") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            pytest.fail(f"mariadb-install-db failed:\n{done.stdout}{done.stderr}")

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        argv = [self.mariadbd, "--no-defaults", f"--datadir={self.data}", *self._user(),
                f"--bind-address={self.host}", f"--port={self.port}",
                f"--socket={self.socket}", f"--pid-file={self.pid_file}",
                "--skip-grant-tables", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci"]  # fmt: skip
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.directory,
        )  # fmt: skip

    def _connect(self) -> pymysql.connections.Connection:
        return pymysql.connect(host=self.host, port=self.port, user="root", connect_timeout=2)

    def _answers(self) -> bool:
        try:
            self._connect().close()
        except pymysql.err.MySQLError:
            return False
        return True

    def _after_start(self) -> None:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                )
        finally:
            connection.close()


class GaleraNode(PrivateMariadb):
    """One MariaDB node of a private Galera cluster (`PrivateGalera`), on its own ports.

    A node joining a running cluster receives its data by rsync (state snapshot
    transfer). As root the node runs as the `mysql` user, since the rsync daemon of the
    transfer would otherwise drop to `nobody`; its data directory then lives in a
    directory of its own in the system's temporary directory (pytest's is root's
    only), linked from `directory/data` and removed by `close()`.
    """

    name = "galera"

    def __init__(self, directory: Path, index: int, cluster: list[int]) -> None:
        self.provider = _program("/usr/lib/galera*/libgalera_smm.so", "galera-4")
        _program("rsync", "rsync")
        super().__init__(directory)
        self.index = index
        self.gcomm_ports = cluster
        self.ist_port, self.sst_port = free_port(), free_port()
        self.home = self._home_for("mysql")
        self.data = self.home / "datadir"
        self.bootstrap = index == 0

    def _user(self) -> list[str]:
        return ["--user=mysql"] if IS_ROOT else []

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        host, gcomm = self.host, self.gcomm_ports[self.index]
        members = ",".join(f"{host}:{port}" for port in self.gcomm_ports)
        # Only the first node's first start makes a new cluster; every other start joins one.
        bootstrap = ["--wsrep-new-cluster"] if self.bootstrap and self.starts == 1 else []
        provider_options = (
            f"gmcast.listen_addr=tcp://{host}:{gcomm};ist.recv_addr={host}:{self.ist_port}"
        )
        argv = [self.mariadbd, "--no-defaults", f"--datadir={self.data}", *self._user(),
                f"--bind-address={host}", f"--port={self.port}",
                f"--socket={self.home / 'mariadbd.sock'}", f"--pid-file={self.home / 'pid'}",
                "--skip-grant-tables", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                "--binlog-format=ROW", "--default-storage-engine=InnoDB",
                "--innodb-autoinc-lock-mode=2", "--wsrep-on=ON",
                f"--wsrep-provider={self.provider}", "--wsrep-cluster-name=zonefleet-test",
                f"--wsrep-cluster-address=gcomm://{members}",
                f"--wsrep-node-address={host}:{gcomm}", f"--wsrep-node-name=node{self.index}",
                f"--wsrep-provider-options={provider_options}",
                f"--wsrep-sst-receive-address={host}:{self.sst_port}",
                "--wsrep-sst-method=rsync",
                *bootstrap]  # fmt: skip
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.home
        )

    def _answers(self) -> bool:
        """Connected and synced with the cluster: ready to take writes."""
        try:
            ready = self.status("wsrep_ready"), self.status("wsrep_local_state_comment")
        except pymysql.err.MySQLError:
            return False
        return ready == ("ON", "Synced")

    def status(self, variable: str) -> str | None:
        """A `SHOW STATUS` value of this node (`wsrep_cluster_size`, …)."""
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW STATUS LIKE %s", (variable,))
                row = cursor.fetchone()
        finally:
            connection.close()
        return None if row is None else str(row[1])


class PrivateGalera(Started):
    """A MariaDB Galera cluster of `size` nodes on loopback, started one after another
    (the first bootstraps it, each next one joins by state transfer)."""

    def __init__(self, directory: Path, size: int = 2) -> None:
        ports = [free_port() for _ in range(size)]
        self.nodes = [GaleraNode(directory / f"node{i}", i, ports) for i in range(size)]

    def start(self) -> None:
        for node in self.nodes:
            node.start()

    def close(self) -> None:
        for node in reversed(self.nodes):
            node.close()


class PrivateRabbitmq(PrivateEngine):
    """`rabbitmq-server` as node `zf-test-<hex>@localhost`, AMQP on 127.0.0.1:<port>.

    It registers with an `epmd` of its own (on a free port, stopped with it), so
    nothing outlives the broker, and uses the machine's Erlang cookie, so
    `rabbitmqctl()` reaches it as it reaches the machine's broker. Management and
    every other plugin stay off.
    """

    name = "rabbitmq"

    def __init__(self, directory: Path) -> None:
        self.server = _program("/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server")
        self.ctl = _program("/usr/lib/rabbitmq/bin/rabbitmqctl", "rabbitmq-server")
        self.epmd_program = _program("epmd", "erlang-base")
        super().__init__(directory)
        self.node = f"zf-test-{uuid.uuid4().hex[:10]}@localhost"
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.home = directory / "home"
        self.pid_file = directory / "rabbitmq.pid"
        self.beam_pid: int | None = None
        self.epmd: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.port}//"

    @property
    def env(self) -> dict[str, str]:
        kept = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_")) and key != "HOME"
        }
        return kept | {
            "HOME": str(self.home),
            "ERL_EPMD_ADDRESS": self.host,
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": self.host,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.directory / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
            # Erlang distribution on loopback only, as the machine's broker has it.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def _prepare(self) -> None:
        self.home.mkdir()
        cookie = Path("/var/lib/rabbitmq/.erlang.cookie")
        if cookie.exists() and os.access(cookie, os.R_OK):
            (self.home / ".erlang.cookie").write_bytes(cookie.read_bytes())
        else:  # not root: a cookie of the instance's own
            (self.home / ".erlang.cookie").write_text(uuid.uuid4().hex)
        (self.home / ".erlang.cookie").chmod(0o400)
        (self.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = {self.host}:{self.port}\n"
            "loopback_users.guest = true\n"  # guest, over loopback only
        )
        (self.directory / "enabled_plugins").write_text("[].\n")
        (self.directory / "rabbitmq-env.conf").write_text("")  # not the machine's NODENAME

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        self.pid_file.unlink(missing_ok=True)
        self.beam_pid = None
        self.epmd = subprocess.Popen(
            [self.epmd_program, "-port", str(self.epmd_port), "-address", self.host],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        # The script runs the Erlang VM as its child and stops it on SIGTERM.
        return subprocess.Popen(
            [self.server], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=self.directory,
        )  # fmt: skip

    def _answers(self) -> bool:
        """The AMQP listener answers the protocol header with connection.start."""
        try:
            with socket.create_connection((self.host, self.port), timeout=2) as connection:
                connection.sendall(b"AMQP\x00\x00\x09\x01")
                frame = connection.recv(7)
        except OSError:
            return False
        return frame[:1] == b"\x01" and frame[1:3] == b"\x00\x00"  # a method frame, channel 0

    def _after_start(self) -> None:
        text = self.pid_file.read_text().strip() if self.pid_file.exists() else ""
        self.beam_pid = int(text) if text.isdigit() else None

    def _beam(self) -> int | None:
        """The Erlang VM's pid, if that process is still this node's (not a reused pid)."""
        if self.beam_pid is None:
            return None
        try:
            command = Path(f"/proc/{self.beam_pid}/cmdline").read_bytes()
        except OSError:
            return None
        # The VM learns its node name after it starts; its command line has `-home HOME`.
        return self.beam_pid if b"\0%s\0" % bytes(self.home) in command else None

    def _server_pid(self) -> int | None:
        return self._beam() or super()._server_pid()

    def _after_stop(self) -> None:
        beam = self._beam()
        if beam is not None:
            os.kill(beam, signal.SIGKILL)
        epmd, self.epmd = self.epmd, None
        if epmd is not None:
            if epmd.poll() is None:
                epmd.terminate()
                try:
                    epmd.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    epmd.kill()
            epmd.wait()

    def rabbitmqctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Ask the broker itself (the machine's CLI, through this instance's epmd)."""
        return subprocess.run(
            [self.ctl, "-n", self.node, *args], env=self.env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    """A started PostgreSQL of the test's own; `.url`, `.stop()`, `.start()`."""
    engine = PrivatePostgres(tmp_path / "private-postgres")
    with engine:
        yield engine


@pytest.fixture
def private_mariadb(tmp_path: Path) -> Iterator[PrivateMariadb]:
    """A started MariaDB of the test's own; `.url`, `.stop()`, `.start()`."""
    engine = PrivateMariadb(tmp_path / "private-mariadb")
    with engine:
        yield engine


@pytest.fixture
def private_rabbitmq(tmp_path: Path) -> Iterator[PrivateRabbitmq]:
    """A started RabbitMQ of the test's own; `.url`, `.stop()`, `.start()`."""
    engine = PrivateRabbitmq(tmp_path / "private-rabbitmq")
    with engine:
        yield engine


@pytest.fixture
def private_galera(tmp_path: Path) -> Iterator[PrivateGalera]:
    """A started two-node MariaDB Galera cluster of the test's own; `.nodes[i].url`."""
    with PrivateGalera(tmp_path / "private-galera") as cluster:
        yield cluster
