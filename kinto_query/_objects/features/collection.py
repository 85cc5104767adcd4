"""The collection features not yet async: none left (Arrow, pandas and Dask, once here, are
the query's own on both sides, delegated in ``kinto_query._objects._async.collection``); the mixins
stay as the place of the next sync-only feature."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from ..._queries._blocking.query import Query
from ..._report import BatchItem, BatchReport
from .._blocking.record import Record
from ..bulk import Progress
from ..state import ResourceState

if TYPE_CHECKING:
    from ..._wire._blocking.transport import Transport
    from .._blocking.collection import Collection

__all__ = ["AsyncCollectionFeatures", "CollectionFeatures"]


class AsyncCollectionFeatures(ResourceState):
    """Not yet async: nothing now."""


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
