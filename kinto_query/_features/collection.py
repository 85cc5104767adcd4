"""The collection features not yet async: diff and sync, changesets, the review workflow,
and the query methods ``Query`` has only
on the sync side (Arrow, pandas, Dask)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .._batch import Progress
from .._changeset import Changeset, Since
from .._diff import DEFAULT_IGNORE, RecordsDiff, diff_records
from .._monitor import collection_changeset
from .._query import Query, delegate
from .._record import Record
from .._report import BatchItem, BatchReport
from .._review import ReviewStatus, review_status, review_step
from .._state import ResourceState
from .._sync import SyncReport, run_sync, sync_items
from ..exceptions import BatchError

if TYPE_CHECKING:
    from .._blocking.collection import Collection
    from .._transport import Transport

__all__ = ["AsyncCollectionFeatures", "CollectionFeatures"]


class AsyncCollectionFeatures(ResourceState):
    """Not yet async: ``diff``/``sync``, ``changeset``, the review steps, and the query
    methods the async query lacks
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

    # -- diff and sync (their writes: the bulk writes' own, _bulk) ----------------------------

    def diff(
        self,
        records: Iterable[Mapping[str, Any] | Record],
        *,
        key: str = "id",
        ignore: Iterable[str] = DEFAULT_IGNORE,
    ) -> RecordsDiff:
        """What ``sync(records)`` would write: one scan of the collection compared with
        ``records`` (see ``diff_records``); nothing is written.

        >>> print(todo.diff([{"id": "r1", "title": "milk"}]))
        0 to create, 1 to update, 2 to delete, 0 unchanged
        ~ r1: status, title
        - r2
        - r3
        """
        return diff_records(self._whole.dicts(), records, key=key, ignore=ignore)

    def sync(
        self,
        records: Iterable[Mapping[str, Any] | Record] | RecordsDiff,
        *,
        delete: bool = False,
        key: str = "id",
        ignore: Iterable[str] = DEFAULT_IGNORE,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 1,
    ) -> SyncReport:
        """Make the collection hold ``records`` (any iterable: a file's lines, an API's
        answer, another collection's query): one scan, the diff, then its writes through
        ``POST /batch``, and one report; with ``delete=True`` the records the list does not
        hold are deleted too. A ``RecordsDiff`` from ``diff()`` is applied as it is.

        Each write holds only if the record is as scanned (``If-Match``; a create only if
        the id is free): a record changed meanwhile is reported in ``conflicts`` and left
        as it is. Only data is synced (record permissions stay); fields in ``ignore`` are
        neither compared nor changed. With nothing to change, only the scan is sent.
        By default a report with failures raises ``BatchError`` carrying it.

        >>> report = todo.sync([{"id": "r1", "title": "milk"}], delete=True)
        >>> report.summary()
        'created 0, updated 1, deleted 2, unchanged 0'
        """
        diff = (records if isinstance(records, RecordsDiff)
                else self.diff(records, key=key, ignore=ignore))
        report = run_sync(diff, sync_items(self._whole, diff, delete), delete, functools.partial(
            self._bulk, raise_on_error=False, chunk_size=chunk_size, progress=progress,
            concurrency=concurrency))
        if raise_on_error and not report.ok:
            raise BatchError(report)
        return report

    # -- changesets (kinto-changes; see _monitor.py) ---------------------------------------

    def changeset(self, since: Since = None, *, expected: int | str | None = None,
                  limit: int | None = None) -> Changeset:
        """The collection's changeset (kinto-changes, Remote Settings): metadata, timestamp
        and records in one consistent read; ``since`` (a timestamp, an ETag, an aware
        datetime, an earlier changeset) for what changed after it, tombstones included.
        ``expected`` (the cache-busting ``_expected``) defaults to the collection's timestamp
        as the monitor lists it, so no cached copy older than that can answer.

        >>> regions = client.bucket("main").collection("regions")
        >>> later = regions.changeset(since=regions.changeset())
        """
        return collection_changeset(self._whole, since, expected=expected, limit=limit)

    # -- the review workflow (Remote Settings, kinto-signer; see _review.py) -------------------

    def review_status(self) -> ReviewStatus:
        """Where this workspace collection stands in the review workflow (one ``GET``; the
        server's capabilities once per client): status, who edited, asked for a review and
        signed it, when, and its preview and destination. Unsaved changes are dropped.

        >>> regions = client.bucket("main-workspace").collection("regions")
        >>> regions.review_status().status
        'signed'
        """
        return review_status(self._whole)

    def request_review(self, message: str = "") -> ReviewStatus:
        """Ask for a review of the changes (status ``to-review``, ``message`` for the
        reviewer), against the version read last (``ReviewConflict`` if it changed since).

        Example: ``regions.request_review("Add Belgium")``.
        """
        return review_step(self._whole, "request_review", message)

    def approve(self) -> ReviewStatus:
        """Approve the review (status ``to-sign``): the signer signs the records into the
        destination. Another user than the one who asked must (``LastEditorCannotReview``).

        Example: ``regions.approve().status`` is ``'signed'``.
        """
        return review_step(self._whole, "approve")

    def decline(self, message: str = "") -> ReviewStatus:
        """Decline the review (back to ``work-in-progress``), ``message`` saying why.

        Example: ``regions.decline("Belgium's code is BE")``.
        """
        return review_step(self._whole, "decline", message)

    def rollback(self) -> ReviewStatus:
        """Drop the changes not signed yet: the workspace (and preview) get the destination's
        records back (status ``to-rollback``, then ``signed``).

        Example: ``regions.rollback()``.
        """
        return review_step(self._whole, "rollback")
