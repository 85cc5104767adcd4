"""The collection features not yet async: the query methods ``Query`` has only on the sync
side (Arrow, pandas, Dask)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from ..._queries._blocking.query import Query
from ..._queries.listing import delegate
from ..._report import BatchItem, BatchReport
from .._blocking.record import Record
from ..bulk import Progress
from ..state import ResourceState

if TYPE_CHECKING:
    from ..._wire._blocking.transport import Transport
    from .._blocking.collection import Collection

__all__ = ["AsyncCollectionFeatures", "CollectionFeatures"]


class AsyncCollectionFeatures(ResourceState):
    """Not yet async: the query methods the async query lacks
    (``iter_batches``, ``to_arrow``, ``to_pandas``, ``to_dask_*``): only the sync
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
