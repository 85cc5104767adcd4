"""The Remote Settings monitor (kinto-changes), read: one ``GET`` of
``/buckets/monitor/collections/changes/changeset``, and the ``_expected`` of a collection's
changeset taken from it. Its entries, query string and answer are the pure
``kinto_query._server.changeset``'s.

A ``_since`` older than the server keeps (``kinto.changes.since_max_age_days``) is answered
307 to the same URL without it, on the server's ``http_host`` (a CDN in production): the
transport follows it, without credentials if the origin differs, and the whole list comes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ..._messages import Request
from ..._objects._async.record import AsyncRecord
from ..changeset import (
    Changeset,
    MonitorEntry,
    MonitorQuery,
    MonitorSnapshot,
    Since,
    parse_monitor,
    since_value,
)
from .changes_feed import collection_timestamp
from .changeset import read_changeset, send_changes

if TYPE_CHECKING:
    from ..._objects._async.collection import AsyncCollection
    from ..._wire._async.transport import AsyncTransport

__all__ = ["AsyncMonitor", "collection_changeset", "expected_timestamp"]


class AsyncMonitor(MonitorQuery):
    """The lazy, immutable query of the monitor: ``filter(bucket=, collection=)``,
    ``since(...)``; iterating sends one ``GET`` and yields ``MonitorEntry`` values
    (in the server's order); ``read()`` also gives the timestamp to go on from.

    >>> Client().monitor().filter(bucket="main").since(1700000000000).url
    'http://localhost:8888/v1/buckets/monitor/collections/changes/changeset?_expected=0&_since=%221700000000000%22&bucket=main'
    """

    _transport: AsyncTransport

    async def read(self) -> MonitorSnapshot:
        """One ``GET`` of the monitor."""
        response = await send_changes(self._transport, Request("GET", self.url))
        return parse_monitor(response.json(), response.url)

    async def __aiter__(self) -> AsyncIterator[MonitorEntry]:
        for entry in (await self.read()).entries:
            yield entry


async def expected_timestamp(collection: AsyncCollection) -> int:
    """What to send as ``_expected`` when the caller does not know: the collection's
    timestamp as the monitor lists it (a constant would let a cache answer with an old
    copy), else, for a collection the monitor does not list, its records' ``ETag``."""
    monitor = AsyncMonitor(collection.transport, bucket=collection.bucket.id,
                           collection=collection.id)
    async for entry in monitor:
        if not entry.deleted:
            return entry.last_modified
    return await collection_timestamp(collection)


async def collection_changeset(collection: AsyncCollection, since: Since = None, *,
                               expected: int | str | None = None,
                               limit: int | None = None) -> Changeset[AsyncRecord]:
    """``collection.changeset(...)`` (see ``Collection.changeset``)."""
    since_ms = since_value(since)
    expected_ms = await expected_timestamp(collection) if expected is None \
        else since_value(expected, "expected")
    assert expected_ms is not None
    return await read_changeset(collection, since=since_ms, expected=expected_ms, limit=limit)
