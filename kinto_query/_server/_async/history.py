"""A bucket's history (``kinto.plugins.history``): a lazy query of typed entries.

Kinto writes one entry per change of a bucket, group, collection or record, holding who did
it, when, the action and the object as it was after the change (``target``). It does not keep
the object as it was before: that is the ``target`` of the previous entry of the same object,
which ``HistoryQuery.previous(entry)`` fetches. The entries themselves are
``kinto_query._server.history_entry.HistoryEntry`` (pure, shared by both sides).
"""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from ..._endpoints import endpoint_path
from ..._queries._async.query import AsyncDeletable, AsyncTimed
from ..._queries._async.scan import AsyncPages, requiring, without_tombstones
from ..._queries.scan import Page
from ..._wire.plugins import HISTORY, requires
from ..history_entry import HistoryEntry, no_item_path

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..._wire._async.transport import AsyncTransport

__all__ = ["AsyncHistoryQuery"]


class AsyncHistoryQuery(AsyncTimed[HistoryEntry], AsyncDeletable[HistoryEntry]):
    """The lazy query of a bucket's history (newest first), with the builders of record
    queries: ``filter``, ``exclude``, ``sort``, ``limit``, ``page_size``, ``since``,
    ``before``, slices, ``pages()``, ``resume()``. ``delete()`` purges what it matches.
    Entries are typed whole and Kinto serves none by id: it has no ``fields`` nor ``get``
    (``filter(id=...).first()`` finds one).

    >>> history = Client().bucket("b").history()
    >>> history.filter(resource_name="record", action="update").since(1700000000000).url
    'http://localhost:8888/v1/buckets/b/history?resource_name=record&action=update&_since=1700000000000'
    """

    @classmethod
    def of_bucket(cls, transport: AsyncTransport, bucket_id: str) -> AsyncHistoryQuery:
        """The history of one bucket."""
        return cls(
            transport,
            endpoint_path("history", bucket=bucket_id),
            lambda obj, _fields, _permissions: HistoryEntry.from_server(obj, bucket_id),
            item_path=no_item_path,
        )

    # -- terminal operations: a 404 there means the plugin is off --------------------------

    def _raw_pages(self) -> AsyncPages[Page[dict[str, Any]]]:
        # With _since or a last_modified filter, Kinto also sends tombstones of purged
        # entries: no entry was there, so none is handed out (nor counted).
        return requiring(HISTORY, without_tombstones(super()._raw_pages()))

    async def count(self) -> int:
        """How many entries match. Kinto's history sends no ``Total-Objects``: this pages
        through the entries' ids (one request per page)."""
        ids_only = self._clone(fields=("id", "deleted"))  # "deleted": tombstones tell
        total = 0
        async with aclosing(ids_only._raw_pages()) as pages:
            async for page in pages:
                total += len(page.items)
        return total

    async def delete(self) -> int:
        """Purge the entries that match (every entry of the bucket, unfiltered); returns how
        many. Needs write permission on the bucket."""
        with requires(HISTORY):
            return await super().delete()

    async def partition(self, k: int) -> list[Self]:
        """``k`` disjoint queries by ``last_modified`` ranges (see ``Query.partition``)."""
        with requires(HISTORY):
            return await super().partition(k)

    async def previous(self, entry: HistoryEntry) -> HistoryEntry | None:
        """The entry before ``entry`` for the same object (one small request), or None: its
        ``data`` is the object as it was before ``entry``'s change. None before a create,
        unless the object had been deleted before (then: that deletion, a tombstone), and
        when the history was purged or trimmed since.

        Example::

            for update in bucket.history().filter(action="update", resource_name="record"):
                before = bucket.history().previous(update)
                print(before.data if before else None, "->", update.data)
        """
        if not isinstance(entry, HistoryEntry):
            raise TypeError(f"previous() takes a HistoryEntry of this history, got "
                            f"{type(entry).__name__} {entry!r:.60}")
        fresh = type(self)(self._transport, self._path, self._factory, item_path=no_item_path)
        earlier = fresh.filter(uri=entry.uri).before(entry.last_modified)
        return await earlier.sort("-last_modified").first()
