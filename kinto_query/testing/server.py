"""A real Kinto server in a child process, for tests, demos and benchmarks.

Needs the ``server`` extra (``pip install 'kinto_query[server]'``: Kinto and kinto-attachment),
and imports neither pytest nor betamax. Every server runs the accounts, history, flush and
attachment plugins; attachment files are served by Kinto itself below ``/v1/attachments/``.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "KINTO_INSTALL_HINT",
    "KintoNotInstalled",
    "KintoServer",
    "PortInUse",
    "free_port",
    "missing_server_packages",
    "port_in_use",
]

KINTO_INSTALL_HINT = "pip install 'kinto_query[server]'"
# Drawn once per process: every server this process starts shares it (two web heads of one
# database must), and none is published. Kinto's user ids (basicauth:<hmac>) are keyed with
# it, so a recorded user id cannot be used to guess the password it was made from.
_USERID_SECRET = secrets.token_hex(32)

_INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.{backend}
kinto.storage_url = {database_url}
kinto.cache_backend = kinto.core.cache.{backend}
kinto.cache_url = {database_url}
kinto.permission_backend = kinto.core.permission.{backend}
kinto.permission_url = {database_url}
# User ids (basicauth:<hmac>) are keyed with a secret that is never published (see
# KintoServer); personal bucket ids are derived from those user ids.
kinto.userid_hmac_secret = {userid_hmac_secret}
kinto.default_bucket_hmac_secret = kinto-query-tests
multiauth.policies = account basicauth
multiauth.policy.account.use = kinto.plugins.accounts.AccountsPolicy
kinto.bucket_create_principals = system.Authenticated
kinto.account_create_principals = system.Everyone
# No account administrator; present (empty) so that KINTO_ACCOUNT_WRITE_PRINCIPALS can set one.
kinto.account_write_principals =
kinto.includes = {includes}
kinto.experimental_permissions_endpoint = true
# Attachments: files in the server's own temporary folder, served by Kinto below /v1/attachments/.
kinto.attachment.base_path = {attachments}
kinto.attachment.base_url = {url}/attachments/
{extra}
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
_PLUGINS = (
    "kinto.plugins.default_bucket", "kinto.plugins.accounts", "kinto.plugins.flush",
    "kinto.plugins.history", "kinto_attachment", "kinto_query.testing.attachment_files",
)

# kinto has a console script but no runnable __main__; this works in any venv that has kinto.
_LAUNCH = "import sys; from kinto.__main__ import main; sys.exit(main(sys.argv[1:]))"


def free_port(host: str) -> int:
    """A TCP port free on ``host`` at the time of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class KintoNotInstalled(RuntimeError):
    """Kinto is not installed where this Python runs: ``pip install 'kinto_query[server]'``."""


class PortInUse(RuntimeError):
    """The port asked for is already taken (another server, another ``make serve``...)."""


class _PortTaken(Exception):
    """Kinto could not bind its port: taken since it was found free."""


_SERVER_PACKAGES = ("kinto", "kinto_attachment")


def missing_server_packages(packages: tuple[str, ...] = _SERVER_PACKAGES) -> list[str]:
    """What of Kinto and kinto-attachment (every test server runs the plugin), or of
    ``packages``, this Python cannot import (the server runs as ``sys.executable``)."""
    missing = []
    for name in packages:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


class KintoServer:
    """A real Kinto server in a child process, for tests and demos.

    ``settings`` become ``KINTO_<NAME>`` environment variables, e.g.
    ``{"paginate_by": 5, "batch_max_requests": 10}``.

    ``backend="postgresql"`` stores everything in the database at ``database_url`` (for
    instance :attr:`~kinto_query.testing.PostgreSQL.url`); ``start()`` then runs
    ``kinto migrate`` first, unless ``migrate=False`` (another server already migrated that
    database: several servers on one database are several web heads of one Kinto).

    ``userid_hmac_secret`` keys the user ids Kinto derives from Basic auth credentials
    (``basicauth:<hmac>``); by default a random secret drawn once per process, so that
    recorded user ids cannot be traced back to passwords.

    ``start()`` raises :class:`KintoNotInstalled` where Kinto is not installed, and
    :class:`PortInUse` where the port is taken (both ``RuntimeError``).

    >>> with KintoServer() as server:
    ...     print(server.url)
    http://127.0.0.1:.../v1
    """

    # What start() checks this Python can import, and the install line it names otherwise.
    _packages: tuple[str, ...] = _SERVER_PACKAGES
    _install_hint = KINTO_INSTALL_HINT

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        settings: Mapping[str, object] | None = None,
        backend: str = "memory",
        database_url: str | None = None,
        migrate: bool = True,
        userid_hmac_secret: str | None = None,
    ) -> None:
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}, not {backend!r}")
        if (backend == "postgresql") != (database_url is not None):
            raise ValueError("database_url goes with backend='postgresql', and only with it")
        self.backend = backend
        self.database_url = database_url
        self.migrate = migrate
        self.host = host
        self._fixed_port = port is not None
        self.port = port or free_port(host)
        self.settings = dict(settings or {})
        self.userid_hmac_secret = userid_hmac_secret or _USERID_SECRET
        self.url = f"http://{host}:{self.port}/v1"
        self.process: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None

    def __repr__(self) -> str:
        state = "running" if self.process and self.process.poll() is None else "stopped"
        return f"<{type(self).__name__} {self.url} {state}>"

    def __enter__(self) -> Self:
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

    def start(self, *, timeout: float = 60.0) -> Self:
        """Start the server and wait until ``GET /v1/`` answers."""
        missing = missing_server_packages(self._packages)
        if missing:
            raise KintoNotInstalled(
                f"cannot start Kinto: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not installed in {sys.prefix} "
                f"({self._install_hint})")
        attempts = 3
        while True:
            if port_in_use(self.host, self.port):
                raise PortInUse(f"cannot start Kinto: {self.host}:{self.port} is already in use")
            try:
                return self._start(timeout)
            except _PortTaken:
                # Another process (a parallel test worker's server...) bound the free port
                # between our asking and Kinto's binding: try another one.
                attempts -= 1
                if self._fixed_port or not attempts:
                    raise PortInUse(f"cannot start Kinto: {self.host}:{self.port} was taken "
                                    f"while Kinto started") from None
                self.port = free_port(self.host)
                self.url = f"http://{self.host}:{self.port}/v1"

    def _start(self, timeout: float) -> Self:
        self._dir = tempfile.mkdtemp(prefix="kinto-query-")
        ini = Path(self._dir, "kinto.ini")
        # The ini is read with interpolation: a literal % is written %%.
        database_url = (self.database_url or "").replace("%", "%%")
        attachments = Path(self._dir, "attachments")
        attachments.mkdir()
        ini.write_text(_INI.format(
            host=self.host, port=self.port, backend=self.backend, database_url=database_url,
            attachments=str(attachments).replace("%", "%%"), url=self.url.replace("%", "%%"),
            userid_hmac_secret=self.userid_hmac_secret,
            includes="\n                 ".join(self._plugins()),
            extra=self._extra_ini(Path(self._dir)),
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
                if "Address already in use" in log_text:
                    raise _PortTaken()
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

    def _plugins(self) -> tuple[str, ...]:
        """What ``kinto.includes`` lists (a flavour of this server adds its own)."""
        return _PLUGINS

    def _extra_ini(self, directory: Path) -> str:
        """More ``[app:main]`` lines, for a flavour of this server: its files go in
        ``directory`` (removed on ``stop()``); a literal % is written %%."""
        return ""

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
        flush(self.url)


def flush(url: str) -> None:
    """``POST /__flush__`` on the Kinto at ``url``: everything deleted. Kinto on PostgreSQL
    answers 503 (with ``Retry-After``) for a moment after its database was made or moved:
    that is waited out, a few seconds at most."""
    for _ in range(20):
        answer = requests.post(url + "/__flush__", timeout=10)
        if answer.status_code != 503:
            break
        time.sleep(0.5)
    answer.raise_for_status()


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0

