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
- ``kinto_recorder``: a :class:`Recorder` whose session is wrapped by betamax, one cassette
  per test. Replay-only by default; set ``KINTO_QUERY_RECORD_MODE=all`` to record from a
  fresh live server. Credentials and the server's address never reach a cassette.
- ``kinto_client``: ``kinto_recorder.client(auth=kinto_credentials)``.
- ``kinto_credentials``: ``("alice", "s3cret")``; override it in your conftest.

The ``kinto_cassette_dir`` ini option (default ``cassettes``) says where cassettes live.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Iterator, Mapping
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
    "Recorder",
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
kinto.storage_backend = kinto.core.storage.memory
kinto.storage_url =
kinto.cache_backend = kinto.core.cache.memory
kinto.cache_url =
kinto.permission_backend = kinto.core.permission.memory
kinto.permission_url =
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
    ) -> None:
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
        """What the server printed so far."""
        if self._dir is None:
            return ""
        return Path(self._dir, "kinto.log").read_text(errors="replace")

    def start(self, *, timeout: float = 60.0) -> KintoServer:
        """Start the server and wait until ``GET /v1/`` answers."""
        if _port_in_use(self.host, self.port):
            raise RuntimeError(f"cannot start Kinto: {self.host}:{self.port} is already in use")
        self._dir = tempfile.mkdtemp(prefix="kinto-query-")
        ini = Path(self._dir, "kinto.ini")
        ini.write_text(_INI.format(host=self.host, port=self.port))
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("kinto_cassette_dir", "where kinto_query cassettes live", default="cassettes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "kinto_server" in names or "kinto_fresh_server" in names:
            item.add_marker(pytest.mark.live)
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
