"""The test kit: a throwaway real Kinto, and betamax cassettes recorded from it.

Opt in from your ``conftest.py``; pytest then loads :mod:`kinto_query.testing.plugin`::

    pytest_plugins = ["kinto_query.testing"]

    def test_titles(kinto_client):   # cassettes/test_titles/test_titles.json
        todo = kinto_client.bucket("b").collection("todo")
        assert [r.data.title for r in todo] == []

Replaying needs the ``testing`` extra (pytest, betamax); starting servers (to record, or for
live tests) the ``server`` extra (Kinto). The files name their jobs, and importing this package
imports neither pytest nor betamax (the recorder's names load on first use):

- ``server``: :class:`~kinto_query.testing.server.KintoServer`, a Kinto in a child process.
- ``remote_settings``: :class:`~kinto_query.testing.remote_settings.RemoteSettingsServer`,
  Kinto with kinto-changes and kinto-signer (its own key pair), and :func:`publish`.
- ``postgresql``: :class:`~kinto_query.testing.postgresql.PostgreSQL`, a throwaway cluster.
- ``scrub``: :class:`~kinto_query.testing.scrub.Scrub`, what never reaches a cassette.
- ``cassettes``: betamax's serializer and matcher for Kinto.
- ``recorder``: :class:`~kinto_query.testing.recorder.Recorder`, one cassette; record modes.
- ``httpx_cassette``: the async side of a Recorder (an httpx transport on the same cassette:
  same format, matching, scrubbing and failures; needs the ``aio`` extra).
- ``plugin``: the pytest fixtures and options.
- ``python -m kinto_query.testing [--port N] [--remote-settings]``: a local Kinto (or Remote
  Settings) in the foreground.

Fixtures: ``kinto_server`` (the URL of a Kinto started once per session), ``kinto_fresh_server``
(the same, emptied before the test), ``kinto_postgresql``, ``kinto_pg_server``,
``kinto_fresh_pg_server``, ``kinto_any_server`` (each test once per backend),
``kinto_rs_server``, ``kinto_fresh_rs_server``, ``kinto_rs_pg_server``,
``kinto_fresh_rs_pg_server``, ``kinto_any_rs_server`` (Remote Settings servers, as
``RemoteSettingsServer`` objects),
``kinto_recorder`` (this test's cassette; every Client built during the test talks through
it, and every async one built without ``wire=``; marked ``kinto_remote_settings``, recorded
from the Remote Settings server), ``kinto_client`` (a Client on it),
``kinto_async_client`` and ``kinto_async_transport`` (an ``AsyncClient`` and an
``AsyncTransport`` on it, for an async test), and
``kinto_credentials`` and ``kinto_scrub`` (override them in your conftest).

Async tests (anyio's pytest plugin, ``@pytest.mark.anyio``; the ``aio`` extra) use the same
fixtures and the same cassettes: one recorded by a sync test replays in an async one and the
other way round::

    @pytest.mark.anyio
    async def test_titles(kinto_async_transport):   # cassettes/test_titles/test_titles.json
        async with kinto_async_transport as kinto:
            info = await kinto.server_info()

Options: ``--kinto-record-mode=none|once|new|all`` (or ``KINTO_QUERY_RECORD_MODE``),
``--kinto-record-url`` and ``--kinto-record-auth`` (or ``KINTO_QUERY_RECORD_URL`` and
``KINTO_QUERY_RECORD_AUTH``) to record from a Kinto of yours; the ``kinto_cassette_dir`` ini
option (default ``cassettes``).

PYTEST_DONT_REWRITE: a conftest may import this package (for ``Scrub``) before pytest loads
it as a plugin, and it holds no assertion to rewrite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .postgresql import POSTGRESQL_INSTALL_HINT, PostgreSQL, PostgreSQLNotFound, find_postgresql
from .remote_settings import RS_INSTALL_HINT, RemoteSettingsServer, publish
from .scrub import SCRUBBED, Scrub
from .server import KINTO_INSTALL_HINT, KintoNotInstalled, KintoServer, PortInUse

if TYPE_CHECKING:
    from .recorder import (
        RECORD_MODE_ENV,
        RECORD_MODES,
        REPLAY_SERVER_URL,
        CassetteMismatch,
        MissingCassette,
        NothingRecorded,
        Recorder,
        record_mode,
    )

# pytest registers this package as a plugin, then the plugin module named here.
pytest_plugins = ["kinto_query.testing.plugin"]

__all__ = [
    "KINTO_INSTALL_HINT",
    "POSTGRESQL_INSTALL_HINT",
    "RECORD_MODES",
    "RECORD_MODE_ENV",
    "REPLAY_SERVER_URL",
    "RS_INSTALL_HINT",
    "SCRUBBED",
    "CassetteMismatch",
    "KintoNotInstalled",
    "KintoServer",
    "MissingCassette",
    "NothingRecorded",
    "PortInUse",
    "PostgreSQL",
    "PostgreSQLNotFound",
    "Recorder",
    "RemoteSettingsServer",
    "Scrub",
    "find_postgresql",
    "publish",
    "record_mode",
]

_FROM_RECORDER = {
    "RECORD_MODES", "RECORD_MODE_ENV", "REPLAY_SERVER_URL", "CassetteMismatch",
    "MissingCassette", "NothingRecorded", "Recorder", "record_mode",
}


def __getattr__(name: str) -> Any:
    # The recorder needs betamax (the testing extra); a demo that starts a KintoServer does not.
    if name in _FROM_RECORDER:
        from . import recorder

        return getattr(recorder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
