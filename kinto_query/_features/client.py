"""The client features not yet async: the requests session and auth, the monitor,
fetch_changed, flush."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import requests

from .._batch import chunk_size_of
from .._fetch_changed import FetchReport, Seen, Verify, fetch_changed
from .._monitor import Monitor
from .._plugins import flush as flush_server

if TYPE_CHECKING:
    from .._blocking.client import Client
    from .._transport import Transport

__all__ = ["AsyncClientFeatures", "ClientFeatures"]


class AsyncClientFeatures:
    """Not yet async: ``monitor()``, ``fetch_changed()``, ``flush()``, ``capabilities``,
    ``batch_max_requests``: only the sync ``Client`` has them for now."""


class ClientFeatures:
    """The sync-only methods of ``Client`` (see ``AsyncClientFeatures``)."""

    transport: Transport

    if TYPE_CHECKING:
        def server_info(self) -> dict[str, Any]: ...

    @property
    def session(self) -> requests.Session:
        """The requests session every request goes through."""
        return self.transport.session

    @property
    def batch_max_requests(self) -> int:
        """How many requests one batch may hold (Kinto's default 25 when none is advertised)."""
        return chunk_size_of(self.transport)

    @property
    def capabilities(self) -> dict[str, Any]:
        """The server's plugins and features, by name."""
        capabilities: dict[str, Any] = self.server_info().get("capabilities", {})
        return capabilities

    # -- server-wide endpoints (plugins) -------------------------------------------------------

    def monitor(self) -> Monitor:
        """The Remote Settings monitor (kinto-changes): a lazy query of one entry per
        monitored collection (bucket, collection, last_modified).

        >>> Client().monitor().filter(bucket="main").url
        'http://localhost:8888/v1/buckets/monitor/collections/changes/changeset?_expected=0&bucket=main'
        """
        return Monitor(self.transport)

    def fetch_changed(self, seen: Seen = None, *, bucket: str | None = None,
                      collection: str | None = None, concurrency: int = 10,
                      verify: Verify | None = None) -> FetchReport:
        """Read the monitor, then the changeset of every collection that changed since
        ``seen`` (``{"bucket/collection": timestamp}``, or the previous ``FetchReport``),
        ``concurrency`` at a time, each with ``_expected`` its monitor timestamp and
        ``_since`` the one seen. Each collection gets its result or its error (``verify``,
        e.g. ``SignatureVerifier(...).verify``, runs on each changeset; what it raises is
        that collection's error); ``report.timestamps`` is the next ``seen``.

        >>> report = client.fetch_changed(bucket="main")
        >>> list(report.timestamps)
        ['main/regions']
        >>> later = client.fetch_changed(report)  # only what changed since
        >>> later.fetched, later.unchanged
        ((), ('main/regions',))
        """
        return fetch_changed(cast("Client", self), seen, bucket=bucket, collection=collection,
                             concurrency=concurrency, verify=verify)

    def flush(self) -> None:
        """Delete everything on the server (``POST /__flush__``): for test servers only.

        Raises ``NotEnabled`` where the flush plugin is off (as it should be in production).
        """
        flush_server(self.transport)
