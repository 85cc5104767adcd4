"""Test helpers: a throwaway real Kinto server, and betamax cassettes recorded from it.

Opt in from a ``conftest.py``::

    pytest_plugins = ["kinto_query.testing"]

    def test_titles(kinto_client):        # replays cassettes/<module>__<test>.json
        todo = kinto_client.bucket("b").collection("todo")
        assert [r.data.title for r in todo] == []

Fixtures:

- ``kinto_server``: the URL of a real Kinto (memory backend, Basic auth for any
  ``user:password``, flush plugin) started once per session on a free 127.0.0.1 port.
- ``kinto_fresh_server``: the same URL, emptied (``POST /__flush__``) before the test.
- ``kinto_postgresql``: a :class:`PostgreSQL` cluster started once per session (skipped when
  the PostgreSQL server binaries are missing; a failure instead when ``CI`` is set).
- ``kinto_pg_server`` / ``kinto_fresh_pg_server``: the same as ``kinto_server`` /
  ``kinto_fresh_server`` with Kinto on that cluster (PostgreSQL backend).
- ``kinto_any_server``: parametrized over ``memory`` and ``postgresql``: a fresh server of
  each backend, so that a live test runs on both.
- ``kinto_recorder``: a :class:`Recorder` whose session is wrapped by betamax, one cassette
  per test. Replay-only by default; set ``KINTO_QUERY_RECORD_MODE=all`` to record from a
  fresh live server. Credentials and the server's address never reach a cassette.
- ``kinto_client``: ``kinto_recorder.client(auth=kinto_credentials)``.
- ``kinto_credentials``: ``("alice", "s3cret")``; override it in your conftest.

The ``kinto_cassette_dir`` ini option (default ``cassettes``) says where cassettes live.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import requests

from ._auth import AuthLike
from ._client import Client

__all__ = [
    "RECORD_MODE_ENV",
    "REPLAY_SERVER_URL",
    "KintoServer",
    "PostgreSQL",
    "PostgreSQLNotFound",
    "Recorder",
    "find_postgresql",
    "record_mode",
]

RECORD_MODE_ENV = "KINTO_QUERY_RECORD_MODE"
# What a cassette's server address becomes on replay: a reserved name, never a real host.
REPLAY_SERVER_URL = "http://kinto.test/v1"
_ORIGIN_PLACEHOLDER = "<KINTO_ORIGIN>"
# none: replay only. once: record the cassettes that do not exist yet. all: re-record every one.
_RECORD_MODES = ("none", "once", "all")

_INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.{backend}
kinto.storage_url = {database_url}
kinto.cache_backend = kinto.core.cache.{backend}
kinto.cache_url = {database_url}
kinto.permission_backend = kinto.core.permission.{backend}
kinto.permission_url = {database_url}
# Fixed secrets: user ids (basicauth:<hmac>) stay the same from one recording to the next.
kinto.userid_hmac_secret = kinto-query-tests
kinto.default_bucket_hmac_secret = kinto-query-tests
multiauth.policies = account basicauth
multiauth.policy.account.use = kinto.plugins.accounts.AccountsPolicy
kinto.bucket_create_principals = system.Authenticated
kinto.account_create_principals = system.Everyone
kinto.includes = kinto.plugins.default_bucket kinto.plugins.accounts
                 kinto.plugins.flush kinto.plugins.history
kinto.experimental_permissions_endpoint = true

[server:main]
use = egg:waitress#main
host = {host}
port = {port}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""


_BACKENDS = ("memory", "postgresql")

# kinto has a console script but no runnable __main__; this works in any venv that has kinto.
_LAUNCH = "import sys; from kinto.__main__ import main; sys.exit(main(sys.argv[1:]))"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class KintoServer:
    """A real Kinto server in a child process, for tests and demos.

    ``settings`` become ``KINTO_<NAME>`` environment variables, e.g.
    ``{"paginate_by": 5, "batch_max_requests": 10}``.

    ``backend="postgresql"`` stores everything in the database at ``database_url`` (for
    instance :attr:`PostgreSQL.url`); ``start()`` then runs ``kinto migrate`` first, unless
    ``migrate=False`` (another server already migrated that database: several servers on
    one database are several web heads of one Kinto).

    >>> with KintoServer() as server:          # doctest: +SKIP
    ...     print(server.url)
    http://127.0.0.1:38401/v1
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        settings: Mapping[str, object] | None = None,
        backend: str = "memory",
        database_url: str | None = None,
        migrate: bool = True,
    ) -> None:
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}, not {backend!r}")
        if (backend == "postgresql") != (database_url is not None):
            raise ValueError("database_url goes with backend='postgresql', and only with it")
        self.backend = backend
        self.database_url = database_url
        self.migrate = migrate
        self.host = host
        self.port = port or _free_port(host)
        self.settings = dict(settings or {})
        self.url = f"http://{host}:{self.port}/v1"
        self.process: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None

    def __repr__(self) -> str:
        state = "running" if self.process and self.process.poll() is None else "stopped"
        return f"<KintoServer {self.url} {state}>"

    def __enter__(self) -> KintoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def log(self) -> str:
        """What the server (and ``kinto migrate`` before it) printed so far."""
        if self._dir is None:
            return ""
        logs = [Path(self._dir, name) for name in ("migrate.log", "kinto.log")]
        return "".join(log.read_text(errors="replace") for log in logs if log.exists())

    def start(self, *, timeout: float = 60.0) -> KintoServer:
        """Start the server and wait until ``GET /v1/`` answers."""
        if _port_in_use(self.host, self.port):
            raise RuntimeError(f"cannot start Kinto: {self.host}:{self.port} is already in use")
        self._dir = tempfile.mkdtemp(prefix="kinto-query-")
        ini = Path(self._dir, "kinto.ini")
        # The ini is read with interpolation: a literal % is written %%.
        database_url = (self.database_url or "").replace("%", "%%")
        ini.write_text(_INI.format(
            host=self.host, port=self.port, backend=self.backend, database_url=database_url
        ))
        env = dict(os.environ)
        env.update({f"KINTO_{k.upper()}": str(v) for k, v in self.settings.items()})
        with open(Path(self._dir, "kinto.log"), "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, "start", "--ini", str(ini)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self._dir,
            )
        deadline = time.monotonic() + timeout
        if self.backend == "postgresql" and self.migrate:
            # While the server starts (it touches no table before a request comes): both
            # spend most of their ~1.5 s importing Kinto. No request is sent before it ends.
            self._migrate(ini, env, timeout)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log_text = self.log
                self.stop()
                raise RuntimeError(f"Kinto exited at start-up:\n{log_text[-3000:]}")
            try:
                if requests.get(self.url + "/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        log_text = self.log
        self.stop()
        raise RuntimeError(f"Kinto did not answer within {timeout} s:\n{log_text[-3000:]}")

    def _migrate(self, ini: Path, env: dict[str, str], timeout: float) -> None:
        """``kinto migrate``: create or upgrade the tables (idempotent); Kinto answers 503 to
        every request on a database that was not migrated."""
        assert self._dir is not None
        try:
            done = subprocess.run(
                [sys.executable, "-c", _LAUNCH, "migrate", "--ini", str(ini)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=self._dir,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            self.stop()
            raise RuntimeError(f"kinto migrate did not finish within {timeout} s") from error
        Path(self._dir, "migrate.log").write_bytes(done.stdout)
        if done.returncode != 0:
            output = done.stdout.decode(errors="replace")
            self.stop()
            raise RuntimeError(
                f"kinto migrate failed (exit {done.returncode}) on {self.database_url}:\n"
                f"{output[-3000:]}"
            )

    def stop(self) -> None:
        """Stop the server (by its pid) and remove its files."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def flush(self) -> None:
        """Delete everything on the server (``POST /__flush__``)."""
        requests.post(self.url + "/__flush__", timeout=10).raise_for_status()


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0


# -- a throwaway PostgreSQL cluster ---------------------------------------------------------------

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

    >>> with PostgreSQL() as pg:                # doctest: +SKIP
    ...     print(pg.url)
    postgresql://postgres@127.0.0.1:41235/kinto
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
        self.port = port or _free_port(self.host)
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
                    if self._fixed_port or attempt == 2 or not _port_in_use(self.host, self.port):
                        raise
                    self.port = _free_port(self.host)
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def _create(self, timeout: float) -> None:
        if self._fixed_port and _port_in_use(self.host, self.port):
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


def record_mode() -> str:
    """The betamax record mode asked for in ``KINTO_QUERY_RECORD_MODE`` (default ``none``)."""
    mode = os.environ.get(RECORD_MODE_ENV, "none")
    if mode not in _RECORD_MODES:
        raise ValueError(f"{RECORD_MODE_ENV} must be one of {', '.join(_RECORD_MODES)}")
    return mode


_betamax_ready = False


def _register_betamax_extensions() -> None:
    """Teach betamax to compare JSON bodies as JSON and to write readable cassettes."""
    global _betamax_ready
    if _betamax_ready:
        return
    from betamax import BaseMatcher, BaseSerializer, Betamax
    from betamax.util import deserialize_prepared_request

    def _json_or_bytes(body: Any) -> Any:
        if not body:
            return None
        raw = body if isinstance(body, bytes) else str(body).encode()
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    class JSONBodyMatcher(BaseMatcher):  # type: ignore[misc]
        name = "kinto-json-body"

        def match(self, request: Any, recorded_request: dict[str, Any]) -> bool:
            recorded = deserialize_prepared_request(recorded_request)
            return bool(_json_or_bytes(request.body) == _json_or_bytes(recorded.body))

    class PrettyJSONSerializer(BaseSerializer):  # type: ignore[misc]
        name = "kinto-pretty-json"
        stored_as_binary = False

        @staticmethod
        def generate_cassette_name(cassette_library_dir: str, cassette_name: str) -> str:
            return os.path.join(cassette_library_dir, f"{cassette_name}.json")

        def serialize(self, cassette_data: Any) -> str:
            return json.dumps(cassette_data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

        def deserialize(self, cassette_data: str) -> Any:
            try:
                return json.loads(cassette_data)
            except ValueError:
                return {}

    def before_record(interaction: Any, cassette: Any) -> None:
        # Betamax hooks are global: only our cassettes are touched.
        if not isinstance(getattr(cassette.serializer, "proxied_serializer", None),
                          PrettyJSONSerializer):
            return
        # Whatever set it (Recorder.client, the session's own auth, a header), no
        # Authorization value is written; requests are never matched on it.
        headers = interaction.data["request"]["headers"]
        if "Authorization" in headers:
            headers["Authorization"] = ["<AUTHORIZATION>"]
        # Placeholders change body lengths (the live port), and betamax replays a HEAD with
        # its Content-Length but no body (IncompleteRead): the body's own length is right.
        interaction.data["response"]["headers"].pop("Content-Length", None)

    Betamax.register_request_matcher(JSONBodyMatcher)
    Betamax.register_serializer(PrettyJSONSerializer)
    with Betamax.configure() as config:
        config.before_record(callback=before_record)
    _betamax_ready = True


class Recorder:
    """One cassette around one ``requests.Session``, recording or replaying.

    ``server_url`` is the live server while recording and ``REPLAY_SERVER_URL`` on replay.
    """

    def __init__(
        self, cassette_dir: str | os.PathLike[str], name: str, *, live_url: str | None
    ) -> None:
        _register_betamax_extensions()
        from betamax import Betamax

        self.mode = record_mode()
        self.recording = self.will_record(cassette_dir, name)
        if self.recording and live_url is None:
            raise ValueError("recording needs a live server URL")
        self.server_url = live_url if self.recording and live_url else REPLAY_SERVER_URL
        self.cassette_path = Path(cassette_dir, f"{name}.json")
        if not self.recording and not self.cassette_path.exists():
            raise FileNotFoundError(
                f"no cassette {self.cassette_path}: record it from a live server with "
                f"{RECORD_MODE_ENV}=all (make record)"
            )
        Path(cassette_dir).mkdir(parents=True, exist_ok=True)
        if self.mode == "all":
            # betamax's own "all" replaces an earlier identical request by a later one, losing
            # e.g. a GET before a change; recording anew into an empty cassette keeps both.
            self.cassette_path.unlink(missing_ok=True)
        self.session = requests.Session()
        origin = re.sub(r"/v1$", "", self.server_url)
        self._betamax = Betamax(self.session, cassette_library_dir=str(cassette_dir))
        self._betamax.use_cassette(
            name,
            record="none" if self.mode == "none" else "once",
            serialize_with="kinto-pretty-json",
            match_requests_on=["method", "uri", "kinto-json-body"],
            placeholders=[{"placeholder": _ORIGIN_PLACEHOLDER, "replace": origin}],
        )
        self._betamax.start()

    @staticmethod
    def will_record(cassette_dir: str | os.PathLike[str], name: str) -> bool:
        """Whether this cassette is recorded (and so needs a live server) in the current mode."""
        mode = record_mode()
        return mode == "all" or (mode == "once" and not Path(cassette_dir, f"{name}.json").exists())

    def client(self, *, auth: AuthLike = None, **options: Any) -> Client:
        """A Client on the recorded session (every Authorization header is written as
        ``<AUTHORIZATION>``, however it was set).
        """
        return Client(self.server_url, auth=auth, session=self.session, **options)

    def stop(self) -> None:
        """Write the cassette (when recording) and unwrap the session."""
        self._betamax.stop()
        self.session.close()


def _cassette_name(node: pytest.Item) -> str:
    module = Path(str(node.path)).stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{module}__{node.name}").strip("_")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: talks to a real Kinto server started by the suite")
    config.addinivalue_line("markers", "cassette: replays HTTP recorded from a real Kinto server")
    config.addinivalue_line(
        "markers", "postgresql: needs PostgreSQL (a private cluster started by the suite)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("kinto_cassette_dir", "where kinto_query cassettes live", default="cassettes")


_LIVE_FIXTURES = {"kinto_server", "kinto_fresh_server", "kinto_any_server"}
_POSTGRESQL_FIXTURES = {"kinto_postgresql", "kinto_pg_server", "kinto_fresh_pg_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_postgresql = bool(names & _POSTGRESQL_FIXTURES) or (
            "kinto_any_server" in names and params.get("kinto_any_server") == "postgresql"
        )
        if names & _LIVE_FIXTURES or on_postgresql:
            item.add_marker(pytest.mark.live)
        if on_postgresql:
            item.add_marker(pytest.mark.postgresql)
        if "kinto_recorder" in names or "kinto_client" in names:
            item.add_marker(pytest.mark.cassette)


@pytest.fixture(scope="session")
def kinto_server() -> Iterator[str]:
    """The URL of a real Kinto server started for this test session."""
    with KintoServer() as server:
        yield server.url


@pytest.fixture
def kinto_fresh_server(kinto_server: str) -> str:
    """The session's Kinto server, emptied before this test."""
    requests.post(kinto_server + "/__flush__", timeout=10).raise_for_status()
    return kinto_server


@pytest.fixture(scope="session")
def kinto_postgresql() -> Iterator[PostgreSQL]:
    """A private PostgreSQL cluster for this test session. Where the server binaries are
    missing: skipped, or failed when the ``CI`` environment variable is set."""
    try:
        cluster = PostgreSQL()
    except PostgreSQLNotFound as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and PostgreSQL is missing: {error}", pytrace=False)
        pytest.skip(str(error))
    with cluster:
        yield cluster


@pytest.fixture(scope="session")
def kinto_pg_server(kinto_postgresql: PostgreSQL) -> Iterator[str]:
    """The URL of a real Kinto on ``kinto_postgresql`` (PostgreSQL backend), for the session."""
    with KintoServer(backend="postgresql", database_url=kinto_postgresql.url) as server:
        yield server.url


@pytest.fixture
def kinto_fresh_pg_server(kinto_pg_server: str) -> str:
    """The session's Kinto on PostgreSQL, emptied before this test."""
    requests.post(kinto_pg_server + "/__flush__", timeout=10).raise_for_status()
    return kinto_pg_server


@pytest.fixture(params=["memory", "postgresql"])
def kinto_any_server(request: pytest.FixtureRequest) -> str:
    """A fresh (flushed) Kinto of each backend in turn: the test runs once on each."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("kinto_fresh_pg_server")
    else:
        url = request.getfixturevalue("kinto_fresh_server")
    return url


@pytest.fixture
def kinto_credentials() -> tuple[str, str]:
    """Credentials for ``kinto_client`` (any user:password works on the test server)."""
    return ("alice", "s3cret")


@pytest.fixture
def kinto_recorder(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """A betamax recorder for this test, replaying by default."""
    cassette_dir = Path(str(request.config.rootpath), request.config.getini("kinto_cassette_dir"))
    name = _cassette_name(request.node)
    live_url = None
    if Recorder.will_record(cassette_dir, name):
        live_url = request.getfixturevalue("kinto_fresh_server")
    try:
        recorder = Recorder(cassette_dir, name, live_url=live_url)
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield recorder
    finally:
        recorder.stop()


@pytest.fixture
def kinto_client(kinto_recorder: Recorder, kinto_credentials: AuthLike) -> Client:
    """A Client talking through this test's cassette."""
    return kinto_recorder.client(auth=kinto_credentials)


def main(argv: list[str] | None = None) -> None:
    """``python -m kinto_query.testing [--port N]``: a local test Kinto in the foreground."""
    import argparse

    parser = argparse.ArgumentParser(description="Run a throwaway Kinto (memory backend).")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args(argv)
    # On SIGTERM too, leave through the with-block so the server child is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with KintoServer(port=args.port) as server:
        print(f"Kinto at {server.url} (any user:password over Basic auth); Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            server.process.wait()  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
