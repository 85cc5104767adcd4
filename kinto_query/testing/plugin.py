"""The pytest plugin: throwaway Kinto servers, and one cassette per test.

Enabled by ``pytest_plugins = ["kinto_query.testing"]`` in a ``conftest.py`` (the package
loads this module as its plugin); see :mod:`kinto_query.testing` for the fixtures.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pytest

from .._auth import AuthLike
from .._objects._blocking.client import Client
from .postgresql import PostgreSQL, PostgreSQLNotFound
from .recorder import (
    RECORD_MODES,
    CassetteMismatch,
    MissingCassette,
    NothingRecorded,
    Recorder,
    record_mode,
)
from .remote_settings import RemoteSettingsServer
from .scrub import Scrub
from .server import KintoNotInstalled, KintoServer, PortInUse, flush

if TYPE_CHECKING:
    from .._objects._async.client import AsyncClient
    from .._wire._async.transport import AsyncTransport

__all__ = ["cassette_name", "cassette_of"]

RECORD_URL_ENV = "KINTO_QUERY_RECORD_URL"
RECORD_AUTH_ENV = "KINTO_QUERY_RECORD_AUTH"
# Failures that say all there is to say in their message: shown without a traceback.
_PLAIN = (CassetteMismatch, MissingCassette, NothingRecorded, KintoNotInstalled, PortInUse)
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_RECORDER = pytest.StashKey[Recorder]()
_UNSAFE = re.compile(r"[^A-Za-z0-9_.,=+@-]")


def _safe(part: str) -> str:
    """A file name for one part of a test id; where characters had to go (or it is long), a
    short hash of the original keeps it unique."""
    cleaned = _UNSAFE.sub("_", part)
    if cleaned == part and cleaned not in ("", ".", "..") and len(cleaned) <= 100:
        return cleaned
    digest = hashlib.sha1(part.encode()).hexdigest()[:8]
    return f"{cleaned[:80]}-{digest}"


def cassette_name(nodeid: str) -> str:
    """The cassette of a test, below the cassette folder: the test file's path (without
    ``.py``), then ``Class.test[parameters]``.

    >>> cassette_name("tests/api/test_x.py::TestA::test_it[a-1]")
    'tests/api/test_x/TestA.test_it[a-1]'
    """
    path, _, rest = nodeid.partition("::")
    folders = [_safe(p) for p in PurePosixPath(path).with_suffix("").parts]
    *classes, test = rest.split("::") if rest else ["test"]
    function, bracket, params = test.partition("[")
    leaf = ".".join(_safe(name) for name in (*classes, function))
    if bracket:
        leaf += f"[{_safe(params[:-1] if params.endswith(']') else params)}]"
    return "/".join((*folders, leaf))


def _without_backend(item: pytest.Item) -> str:
    """The test's id without the parameter anyio's pytest plugin adds to an async test
    (``test_it[asyncio]``, ``test_it[trio-a-1]``): the requests a test sends do not depend on
    its event loop, so every backend shares one cassette, which a sync test of the same name
    shares too."""
    nodeid = item.nodeid
    callspec = getattr(item, "callspec", None)
    params = getattr(callspec, "params", {})
    if "anyio_backend" not in params or not nodeid.endswith("]"):
        return nodeid
    backend = params["anyio_backend"]
    # pytest's id for the parameter: a string is its own id, anything else its index.
    backend_id = backend if isinstance(backend, str) else (
        f"anyio_backend{getattr(callspec, 'indices', {}).get('anyio_backend', 0)}")
    head, _, ids = nodeid[:-1].partition("[")
    if ids == backend_id:
        return head
    if ids.startswith(f"{backend_id}-"):
        ids = ids.removeprefix(f"{backend_id}-")
    elif ids.endswith(f"-{backend_id}"):
        ids = ids.removesuffix(f"-{backend_id}")
    else:
        ids = ids.replace(f"-{backend_id}-", "-", 1)
    return f"{head}[{ids}]"


def cassette_of(item: pytest.Item) -> str:
    """The cassette of a collected test (see :func:`cassette_name`): an async test run once
    per anyio backend has one for all of them, named as a sync test of the same name."""
    return cassette_name(_without_backend(item))


# -- options -------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("kinto_cassette_dir", "where kinto_query cassettes live (below the rootdir)",
                  default="cassettes")
    group = parser.getgroup("kinto", "kinto_query test kit")
    group.addoption(
        "--kinto-record-mode", choices=RECORD_MODES, default=None,
        help="none: replay only (default); once: record missing cassettes; new: also add "
             "requests an existing cassette lacks; all: record every cassette anew "
             "(default: $KINTO_QUERY_RECORD_MODE, else none)")
    group.addoption(
        "--kinto-record-url", default=None,
        help=f"record from this Kinto (e.g. https://kinto.example.com/v1) instead of a "
             f"throwaway local one; it is never flushed (default: ${RECORD_URL_ENV})")
    group.addoption(
        "--kinto-record-auth", default=None,
        help=f"user:password (or 'Bearer <token>') for --kinto-record-url; prefer "
             f"${RECORD_AUTH_ENV}, which no process list shows")


def _mode(config: pytest.Config) -> str:
    return record_mode(config.getoption("kinto_record_mode"))


def _record_url(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("kinto_record_url") or os.environ.get(RECORD_URL_ENV)
    return url


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: talks to a real Kinto server started by the suite")
    config.addinivalue_line("markers", "cassette: replays HTTP recorded from a real Kinto server")
    config.addinivalue_line(
        "markers", "postgresql: needs PostgreSQL (a private cluster started by the suite)"
    )
    config.addinivalue_line(
        "markers", f"{REMOTE_SETTINGS_MARK}: kinto_recorder records this test's cassette from "
                   "the Remote Settings server (kinto_fresh_rs_server)"
    )
    try:
        _mode(config)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


_LIVE_FIXTURES = {
    "kinto_server", "kinto_fresh_server", "kinto_any_server",
    "kinto_rs_server", "kinto_fresh_rs_server", "kinto_any_rs_server",
}
_POSTGRESQL_FIXTURES = {
    "kinto_postgresql", "kinto_pg_server", "kinto_fresh_pg_server",
    "kinto_rs_pg_server", "kinto_fresh_rs_pg_server",
}
# Run once per backend: the postgresql run is marked postgresql.
_ANY_BACKEND_FIXTURES = ("kinto_any_server", "kinto_any_rs_server")
REMOTE_SETTINGS_MARK = "kinto_remote_settings"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    cassettes: dict[str, str] = {}
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_postgresql = bool(names & _POSTGRESQL_FIXTURES) or any(
            name in names and params.get(name) == "postgresql" for name in _ANY_BACKEND_FIXTURES
        )
        if names & _LIVE_FIXTURES or on_postgresql:
            item.add_marker(pytest.mark.live)
        if on_postgresql:
            item.add_marker(pytest.mark.postgresql)
        if "kinto_recorder" in names:
            item.add_marker(pytest.mark.cassette)
            # Compared without case: some file systems do not tell TestA from testa. The runs
            # of one test on each anyio backend share theirs.
            name = cassette_of(item).lower()
            test = _without_backend(item)
            if cassettes.get(name, test) != test:
                raise pytest.UsageError(f"{cassettes[name]} and {item.nodeid} would share the "
                                        f"cassette {name}.json: rename one of them")
            cassettes[name] = test


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    if not report.failed or call.excinfo is None:
        return
    if call.excinfo.errisinstance(_PLAIN):
        report.longrepr = str(call.excinfo.value)
    elif item.stash.get(_RECORDER, None) is not None and item.stash[_RECORDER].mismatches:
        # The code under test turned the mismatch into an error of its own: say it anyway.
        report.sections.append(("kinto cassette", str(item.stash[_RECORDER].mismatches[0])))


# -- servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kinto_server() -> Iterator[str]:
    """The URL of a real Kinto server started for this test session."""
    with KintoServer() as server:
        yield server.url


@pytest.fixture
def kinto_fresh_server(kinto_server: str) -> str:
    """The session's Kinto server, emptied before this test."""
    flush(kinto_server)
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
    flush(kinto_pg_server)
    return kinto_pg_server


@pytest.fixture(params=["memory", "postgresql"])
def kinto_any_server(request: pytest.FixtureRequest) -> str:
    """A fresh (flushed) Kinto of each backend in turn: the test runs once on each."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("kinto_fresh_pg_server")
    else:
        url = request.getfixturevalue("kinto_fresh_server")
    return url


# -- Remote Settings servers ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def kinto_rs_server() -> Iterator[RemoteSettingsServer]:
    """A real Remote Settings server (kinto-changes, kinto-signer) for this test session:
    ``.url``, ``.public_key_pem`` (its signer's trust root), ``.publish(...)``."""
    with RemoteSettingsServer() as server:
        yield server


@pytest.fixture
def kinto_fresh_rs_server(kinto_rs_server: RemoteSettingsServer) -> RemoteSettingsServer:
    """The session's Remote Settings server, emptied before this test."""
    kinto_rs_server.flush()
    return kinto_rs_server


@pytest.fixture(scope="session")
def kinto_rs_pg_server(kinto_postgresql: PostgreSQL) -> Iterator[RemoteSettingsServer]:
    """A Remote Settings server on PostgreSQL for the session: a database of its own in
    ``kinto_postgresql``, so that flushing one server never empties the other."""
    database_url = kinto_postgresql.create_database("remote_settings")
    with RemoteSettingsServer(backend="postgresql", database_url=database_url) as server:
        yield server


@pytest.fixture
def kinto_fresh_rs_pg_server(kinto_rs_pg_server: RemoteSettingsServer) -> RemoteSettingsServer:
    """The session's Remote Settings server on PostgreSQL, emptied before this test."""
    kinto_rs_pg_server.flush()
    return kinto_rs_pg_server


@pytest.fixture(params=["memory", "postgresql"])
def kinto_any_rs_server(request: pytest.FixtureRequest) -> RemoteSettingsServer:
    """A fresh (flushed) Remote Settings server of each backend in turn."""
    name = "kinto_fresh_rs_pg_server" if request.param == "postgresql" else "kinto_fresh_rs_server"
    server: RemoteSettingsServer = request.getfixturevalue(name)
    return server


# -- cassettes -----------------------------------------------------------------------------------


@pytest.fixture
def kinto_credentials(request: pytest.FixtureRequest) -> AuthLike:
    """Credentials for ``kinto_client``: those given for ``--kinto-record-url``, else
    ``("alice", "s3cret")`` (any user:password works on the throwaway server). Override it
    in your conftest to choose another user."""
    given = request.config.getoption("kinto_record_auth") or os.environ.get(RECORD_AUTH_ENV)
    return given or ("alice", "s3cret")


@pytest.fixture
def kinto_scrub() -> Scrub:
    """What is scrubbed from cassettes besides the defaults: override it in your conftest to
    return a :class:`~kinto_query.testing.scrub.Scrub` of your own headers, JSON paths, patterns."""
    return Scrub()


def _passed(item: pytest.Item) -> bool:
    reports = item.stash.get(_REPORTS, {})
    return all(r.passed for r in reports.values()) and "call" in reports


def _fresh_server_url(request: pytest.FixtureRequest) -> str:
    """The server a cassette is recorded from: the Remote Settings one for a test marked
    ``kinto_remote_settings``, else the plain one; emptied first."""
    if request.node.get_closest_marker(REMOTE_SETTINGS_MARK) is not None:
        server: RemoteSettingsServer = request.getfixturevalue("kinto_fresh_rs_server")
        return server.url
    url: str = request.getfixturevalue("kinto_fresh_server")
    return url


@pytest.fixture
def kinto_recorder(request: pytest.FixtureRequest, kinto_scrub: Scrub) -> Iterator[Recorder]:
    """This test's cassette, replayed (or recorded, as the record mode says). While the test
    runs, every Client built without ``session=``, and every async one (``AsyncTransport``)
    built without ``wire=``, talks through it, and ``KINTO_SERVER_URL`` is its server's URL.
    Marked ``@pytest.mark.kinto_remote_settings``, a test records from the Remote Settings
    server. An async test (``@pytest.mark.anyio``) uses it as a sync one does; run once per
    anyio backend, it has one cassette for all (see :func:`cassette_of`)."""
    config = request.config
    mode = _mode(config)
    cassette_dir = Path(str(config.rootpath), config.getini("kinto_cassette_dir"))
    name = cassette_of(request.node)
    live_url = None
    if Recorder.will_record(cassette_dir, name, mode):
        live_url = _record_url(config) or _fresh_server_url(request)
    recorder = Recorder(cassette_dir, name, live_url=live_url, mode=mode, scrub=kinto_scrub,
                        command=shlex.quote(request.node.nodeid))
    request.node.stash[_RECORDER] = recorder
    passed = False
    try:
        with recorder.route_clients():
            yield recorder
        passed = _passed(request.node) and not recorder.mismatches
    finally:
        recorder.stop(keep=passed)
    if recorder.mismatches and _passed(request.node):
        # The code under test caught it, and the test passed all the same.
        raise recorder.mismatches[0]
    if passed and recorder.recording and recorder.sent == 0:
        raise recorder.nothing_recorded()


@pytest.fixture
def kinto_client(kinto_recorder: Recorder, kinto_credentials: AuthLike) -> Client:
    """A Client talking through this test's cassette."""
    return kinto_recorder.client(auth=kinto_credentials)


@pytest.fixture
def kinto_async_transport(
    kinto_recorder: Recorder, kinto_credentials: AuthLike
) -> AsyncTransport:
    """An ``AsyncTransport`` (``kinto_query.aio``) talking through this test's cassette, the
    one ``kinto_client`` uses: for an async test (``@pytest.mark.anyio``). It holds no
    connection (each recorded request has its own), so closing it is optional."""
    return kinto_recorder.async_transport(auth=kinto_credentials)


@pytest.fixture
def kinto_async_client(kinto_recorder: Recorder, kinto_credentials: AuthLike) -> AsyncClient:
    """An ``AsyncClient`` (``kinto_query.aio``) talking through this test's cassette, as
    ``kinto_client`` is a Client on it: for an async test (``@pytest.mark.anyio``). Its httpx
    client is the recorder's; ``async with kinto_async_client as client:`` closes it."""
    return kinto_recorder.async_client(auth=kinto_credentials)
