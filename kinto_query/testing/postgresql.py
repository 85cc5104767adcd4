"""A private, throwaway PostgreSQL cluster for Kinto's PostgreSQL backend in tests.

Needs the PostgreSQL server binaries (``initdb``, ``pg_ctl``, ``postgres``), and imports neither
pytest nor betamax.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .server import free_port, port_in_use

__all__ = ["POSTGRESQL_INSTALL_HINT", "PostgreSQL", "PostgreSQLNotFound", "find_postgresql"]

POSTGRESQL_INSTALL_HINT = (
    "install the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql`; elsewhere put "
    "initdb, pg_ctl and postgres on PATH)"
)
_PG_BINARIES = ("initdb", "pg_ctl", "postgres")
# Where distributions keep the server binaries when they are not on PATH (Debian, Ubuntu).
_PG_SEARCH = ("/usr/lib/postgresql/*/bin",)


class PostgreSQLNotFound(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl, postgres) are nowhere to be found."""


def _version_key(directory: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` -> (15,): the newest version sorts last."""
    numbers = re.findall(r"\d+", directory.parent.name)
    return tuple(int(n) for n in numbers) or (-1,)


def find_postgresql(
    path: str | None = None, search: Sequence[str] | None = None
) -> dict[str, str]:
    """The paths of ``initdb``, ``pg_ctl`` and ``postgres``: from ``path`` (default ``PATH``)
    when all three are there, else from the newest directory matching a ``search`` glob
    (default ``/usr/lib/postgresql/*/bin``) that holds all three. Raises
    :class:`PostgreSQLNotFound` (a ``RuntimeError``) otherwise."""
    if search is None:
        search = _PG_SEARCH
    on_path = {name: shutil.which(name, path=path) for name in _PG_BINARIES}
    if all(on_path.values()):
        return {name: str(found) for name, found in on_path.items()}
    candidates = [Path(found) for pattern in search for found in glob.glob(pattern)]
    for directory in sorted(candidates, key=_version_key, reverse=True):
        found = {name: directory / name for name in _PG_BINARIES}
        if all(os.access(binary, os.X_OK) for binary in found.values()):
            return {name: str(binary) for name, binary in found.items()}
    raise PostgreSQLNotFound(
        f"cannot find the PostgreSQL server binaries ({', '.join(_PG_BINARIES)}) on PATH nor in "
        f"{', '.join(search) or 'any search directory'}: {POSTGRESQL_INSTALL_HINT}"
    )


class PostgreSQL:
    """A private, throwaway PostgreSQL cluster for tests: created in a temporary directory,
    listening on 127.0.0.1 only (on a free port; its unix socket stays in that directory),
    UTF8, ``timezone = 'UTC'``, trust authentication, durability off (fast), one database.

    Run as root, the cluster belongs to an unprivileged system user (``postgres`` where it
    exists, else ``nobody``): PostgreSQL refuses to run as root.

    >>> with PostgreSQL() as pg:
    ...     print(pg.url)
    postgresql://...@127.0.0.1:.../kinto
    """

    def __init__(
        self,
        *,
        database: str = "kinto",
        port: int | None = None,
        system_user: str | None = None,
        path: str | None = None,
        search: Sequence[str] | None = None,
    ) -> None:
        self.binaries = find_postgresql(path, search)
        self.host = "127.0.0.1"
        self.database = database
        self._fixed_port = port
        self.port = port or free_port(self.host)
        if os.geteuid() == 0:
            self.system_user = system_user or _unprivileged_user()
        else:
            import pwd

            self.system_user = system_user or pwd.getpwuid(os.geteuid()).pw_name
        # initdb names the superuser role after the system user.
        self.user = self.system_user
        self.directory: str | None = None
        self._started = False

    @property
    def url(self) -> str:
        """``postgresql://USER@127.0.0.1:PORT/DATABASE`` (no password: trust auth)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def data_directory(self) -> Path | None:
        return None if self.directory is None else Path(self.directory, "data")

    @property
    def log(self) -> str:
        """What the server logged so far."""
        if self.directory is None or not Path(self.directory, "postgresql.log").exists():
            return ""
        return Path(self.directory, "postgresql.log").read_text(errors="replace")

    def __repr__(self) -> str:
        return f"<PostgreSQL {self.url} {'running' if self._started else 'stopped'}>"

    def __enter__(self) -> PostgreSQL:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(
        self, args: list[str], *, input: bytes | None = None, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a PostgreSQL binary as the cluster's owner, in the cluster's directory."""
        as_owner: dict[str, Any] = {}
        if os.geteuid() == 0:
            uid, gid = _ids(self.system_user)
            as_owner = {"user": uid, "group": gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        done = subprocess.run(
            args, input=input, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=self.directory, env=env, timeout=timeout, check=False, **as_owner,
        )
        if done.returncode != 0:
            output = done.stdout.decode(errors="replace")
            raise RuntimeError(
                f"{Path(args[0]).name} failed (exit {done.returncode}):\n{output[-3000:]}"
                + (f"\n{self.log[-3000:]}" if self.log else "")
            )
        return done

    def start(self, *, timeout: float = 60.0) -> PostgreSQL:
        """Create the cluster and its database, start the server, wait until it accepts
        connections."""
        if self._started:
            return self
        try:
            self._create(timeout)
            for attempt in range(3):
                try:
                    self._run(
                        [self.binaries["pg_ctl"], "start", "-w", "-t", str(int(timeout)),
                         "-D", str(self.data_directory),
                         "-l", str(Path(str(self.directory), "postgresql.log")),
                         "-o", f"-p {self.port}"],
                        timeout=timeout + 5,
                    )
                    break
                except RuntimeError:
                    # Another process took the free port meanwhile: try another one.
                    if self._fixed_port or attempt == 2 or not port_in_use(self.host, self.port):
                        raise
                    self.port = free_port(self.host)
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def _create(self, timeout: float) -> None:
        if self._fixed_port and port_in_use(self.host, self.port):
            raise RuntimeError(f"cannot start PostgreSQL: {self.host}:{self.port} is in use")
        self.directory = tempfile.mkdtemp(prefix="kinto-query-pg-")
        if os.geteuid() == 0:
            os.chown(self.directory, *_ids(self.system_user))
        data = str(self.data_directory)
        self._run(
            [self.binaries["initdb"], "-D", data, "-U", self.user, "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            timeout=timeout,
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.directory}'",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            # A throwaway cluster: no durability, hence fast writes.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        conf = "".join(f"{name} = {value}\n" for name, value in settings.items())
        with open(Path(data, "postgresql.conf"), "a") as config:
            config.write("\n# kinto_query.testing\n" + conf)
        # The database, before the server starts: a single-user backend needs no client.
        statement = f"CREATE DATABASE \"{self.database}\" ENCODING 'UTF8' TEMPLATE template0;\n"
        self._run(
            [self.binaries["postgres"], "--single", "-D", data, "template1"],
            input=statement.encode(), timeout=timeout,
        )

    def create_database(self, name: str) -> str:
        """Create another database in the running cluster (UTF8), and return its URL: two
        Kinto servers that must not see each other's data share one cluster this way.
        Needs psycopg2 (the ``server`` extra has it)."""
        if not self._started:
            raise RuntimeError("create_database() needs the cluster started: call start()")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"database name {name!r}: lower-case letters, digits and _ only")
        import psycopg2  # with Kinto's PostgreSQL backend; not needed to run a cluster

        connection = psycopg2.connect(self.url)
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        finally:
            connection.close()
        return f"postgresql://{self.user}@{self.host}:{self.port}/{name}"

    def restart(self, *, timeout: float = 60.0) -> None:
        """Restart the server (``pg_ctl restart -m fast``), as an operator would: clients
        connected to it see their connections dropped."""
        self._run(
            [self.binaries["pg_ctl"], "restart", "-w", "-m", "fast", "-t", str(int(timeout)),
             "-D", str(self.data_directory),
             "-l", str(Path(str(self.directory), "postgresql.log")), "-o", f"-p {self.port}"],
            timeout=timeout + 5,
        )

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``) and remove the cluster's files."""
        data = self.data_directory
        pid = None if data is None else _postmaster_pid(data)
        if pid is not None:
            try:
                self._run(
                    [self.binaries["pg_ctl"], "stop", "-w", "-m", "fast", "-D", str(data)],
                    timeout=60,
                )
            except (RuntimeError, subprocess.TimeoutExpired):
                # The last resort: our postmaster, by its pid (immediate shutdown).
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGQUIT)
            # pg_ctl returns once the pid file is gone, a moment before the process is.
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self._started = False
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _postmaster_pid(data: Path) -> int | None:
    try:
        return int(Path(data, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, which exited but was not reaped yet, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        # /proc/PID/stat: "pid (command) state ..."
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _ids(user: str) -> tuple[int, int]:
    import pwd  # POSIX only, as PostgreSQL's unprivileged user is

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _unprivileged_user() -> str:
    """The system user that owns a cluster started by root."""
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            _ids(name)
            return name
    raise RuntimeError("running as root, yet there is no 'postgres' nor 'nobody' user to run "
                       "PostgreSQL as (PostgreSQL refuses to run as root)")

