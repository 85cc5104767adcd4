"""The collection features not yet async: the changes feed, and the query methods ``Query``
has only on the sync side (Arrow, pandas, Dask)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .._batch import Progress
from .._changes_feed import Changes, Watch, collection_timestamp
from .._query import Query, delegate
from .._record import Record
from .._report import BatchItem, BatchReport
from .._state import ResourceState

if TYPE_CHECKING:
    from .._blocking.collection import Collection
    from .._transport import Transport

__all__ = ["AsyncCollectionFeatures", "CollectionFeatures"]


class AsyncCollectionFeatures(ResourceState):
    """Not yet async: ``timestamp``/``changes``/``watch``, and the query methods the async
    query lacks (``iter_batches``, ``to_arrow``, ``to_pandas``, ``to_dask_*``): only the sync
    ``Collection`` has them for now."""


def _records(collection: Collection) -> Query[Record]:
    return collection.records()


class CollectionFeatures(ResourceState):
    """The sync-only methods of ``Collection`` (see ``AsyncCollectionFeatures``)."""

    if TYPE_CHECKING:
        transport: Transport

        def records(self) -> Query[Record]: ...

        def record(self, data: Mapping[str, Any] | None = None, *, id: str | None = None,
                   permissions: Mapping[str, list[str]] | None = None) -> Record: ...

        def _own(self, record: Record | Mapping[str, Any]) -> Record: ...

        def _bulk(self, items: Iterable[BatchItem | None], raise_on_error: bool,
                  chunk_size: int | None, progress: Progress | None,
                  concurrency: int) -> BatchReport: ...

    @property
    def _whole(self) -> Collection:
        """This object as the Collection it is a base of (what the feature modules take)."""
        return cast("Collection", self)

    # The query methods only the sync Query has.
    iter_batches = delegate(_records, Query.iter_batches)
    to_arrow = delegate(_records, Query.to_arrow)
    to_pandas = delegate(_records, Query.to_pandas)
    to_dask_bag = delegate(_records, Query.to_dask_bag)
    to_dask_dataframe = delegate(_records, Query.to_dask_dataframe)

    # -- changes (see _changes_feed.py) -------------------------------------------------------

    def timestamp(self) -> int:
        """The collection timestamp in milliseconds (its ``ETag``), from one small ``GET``."""
        return collection_timestamp(self._whole)

    def changes(self, since: int | str | datetime.datetime | None = None, *,
                page_size: int | None = None) -> Changes:
        """Records changed or deleted (tombstones) since a timestamp or ETag, oldest first;
        then ``changes.timestamp`` is the next ``since``: ``for r in todo.changes(since=ts)``."""
        return Changes(self._whole, since, page_size=page_size)

    def watch(self, since: int | str | datetime.datetime | None = None, *,
              interval: float = 5.0, page_size: int | None = None,
              stop_event: threading.Event | None = None) -> Watch:
        """Poll for changes every ``interval`` s (an idle poll: one GET answered 304), each
        handed out once, until ``stop()``: ``for r in todo.watch(since=ts): ...``."""
        return Watch(self._whole, since, interval=interval, page_size=page_size,
                     stop_event=stop_event)
