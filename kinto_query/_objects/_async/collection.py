"""Collection: a handle on a collection that is also the query of all its records."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from ..._endpoints import endpoint_path
from ..._messages import Request
from ..._queries._async.query import AsyncQuery
from ..._queries.listing import delegate
from ..._report import BatchItem, BatchReport
from ..._server._async.changes_feed import AsyncChanges, AsyncWatch, collection_timestamp
from ..._server._async.monitor import collection_changeset
from ..._server._async.review import review_status, review_step
from ..._server.changeset import Changeset, Since
from ..._server.diff import DEFAULT_IGNORE, RecordsDiff, RecordsDiffer
from ..._server.feed import Flag
from ..._server.review import ReviewStatus
from ..._server.sync import SyncReport, file_sync_report, has_writes, sync_items
from ..._wire.http import AsyncOutcome
from ...exceptions import BatchError
from ..bulk import Progress
from ..features.collection import AsyncCollectionFeatures
from .batch import send_batch
from .record import AsyncRecord
from .resource import AsyncResource

if TYPE_CHECKING:
    from .bucket import AsyncBucket

__all__ = ["AsyncCollection", "AsyncRecordQuery"]

AsyncRecordQuery = AsyncQuery[AsyncRecord]


class AsyncCollection(AsyncCollectionFeatures, AsyncResource):
    """A collection. It stands for the query of all its records: ``for r in collection``,
    ``collection.filter(...)``, ``collection.count()``. Constructing one sends no request.

    ``delete()`` deletes the collection itself; ``collection.records().delete()`` deletes its
    records.

    >>> todo = Client().bucket("b").collection("todo")
    >>> todo.filter(status="done").url
    'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done'
    """

    kind = "collection"

    def __init__(
        self,
        bucket: AsyncBucket,
        collection_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        path = endpoint_path("collection", bucket=bucket.id, collection=collection_id)
        super().__init__(
            bucket.transport, path, bucket.id, collection_id, data=data, permissions=permissions
        )
        self.bucket = bucket
        self.records_path = endpoint_path("records", bucket=bucket.id, collection=collection_id)

    def records(self) -> AsyncRecordQuery:
        """The lazy query of every record; the other query methods start from it."""
        return AsyncQuery(
            self.transport,
            self.records_path,
            # A page's items are the records' own (not copied).
            AsyncRecord.page_factory(self),
            item_path=lambda record_id: self.record(id=record_id).path,
        )

    # -- the collection as its unfiltered query: Query's own methods, on ``records()`` ---------

    filter = delegate(records, AsyncQuery.filter)
    exclude = delegate(records, AsyncQuery.exclude)
    sort = delegate(records, AsyncQuery.sort)
    fields = delegate(records, AsyncQuery.fields)
    limit = delegate(records, AsyncQuery.limit)
    page_size = delegate(records, AsyncQuery.page_size)
    partition = delegate(records, AsyncQuery.partition)
    dicts = delegate(records, AsyncQuery.dicts)
    prefetch = delegate(records, AsyncQuery.prefetch)
    since = delegate(records, AsyncQuery.since)
    before = delegate(records, AsyncQuery.before)
    __aiter__ = delegate(records, AsyncQuery.__aiter__)
    pages = delegate(records, AsyncQuery.pages)
    resume = delegate(records, AsyncQuery.resume)
    count = delegate(records, AsyncQuery.count)
    exists = delegate(records, AsyncQuery.exists)
    first = delegate(records, AsyncQuery.first)
    get = delegate(records, AsyncQuery.get)
    iter_batches = delegate(records, AsyncQuery.iter_batches)
    to_arrow = delegate(records, AsyncQuery.to_arrow)
    to_pandas = delegate(records, AsyncQuery.to_pandas)
    to_dask_bag = delegate(records, AsyncQuery.to_dask_bag)
    to_dask_dataframe = delegate(records, AsyncQuery.to_dask_dataframe)

    # Overloads and properties, which a delegated function cannot carry.
    @overload
    def __getitem__(self, index: int) -> AsyncOutcome[AsyncRecord]: ...

    @overload
    def __getitem__(self, index: slice) -> AsyncRecordQuery: ...

    def __getitem__(self, index: int | slice) -> AsyncOutcome[AsyncRecord] | AsyncRecordQuery:
        return self.records()[index]

    @property
    def params(self) -> dict[str, str]:
        """The querystring of the records query (empty: no filter)."""
        return self.records().params

    @property
    def url(self) -> str:
        """The URL of the records query."""
        return self.records().url

    @property
    def resume_token(self) -> str:
        """Where the scan of every record starts, as a token for ``resume()``."""
        return self.records().resume_token

    # -- records ------------------------------------------------------------------------------

    def record(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
    ) -> AsyncRecord:
        """A Record of this collection, no request made: ``record(id="r1")`` is a handle on an
        existing one; ``record({"title": "milk"})`` a new one to save (a UUID4 id if none)."""
        return AsyncRecord(self, data, id=id, permissions=permissions)

    def _own(self, record: AsyncRecord | Mapping[str, Any]) -> AsyncRecord:
        if not isinstance(record, AsyncRecord):
            return self.record(record)
        if record.collection.path != self.path:
            raise ValueError(f"{record!r} belongs to {record.collection!r}, not {self!r}")
        return record

    async def create_record(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
        exist_ok: bool = False,
    ) -> AsyncRecord:
        """Create one record (a UUID4 id if none given); ``AlreadyExists`` if the id is taken,
        unless ``exist_ok=True``: then the existing record is returned, unchanged.

        Example: ``todo.create_record({"id": "r1", "title": "milk"}, exist_ok=True)``.
        """
        return await self.record(data, id=id, permissions=permissions).create(exist_ok=exist_ok)

    async def get_records(self) -> list[AsyncRecord]:
        """Every record, as a list (to change and save); iterate the collection to stream."""
        return [record async for record in self.records()]

    async def get_record(self, id: str) -> AsyncRecord:  # the seed's spelling
        """One record with its permissions, or ``NotFound``."""
        return await self.get(id)

    async def save_record(self, record: AsyncRecord | Mapping[str, Any], *,
                          force: bool = False) -> AsyncRecord:
        """Save one record safely (``PreconditionFailed`` if it changed meanwhile);
        ``force=True`` overwrites, or creates it if missing."""
        return await self._own(record).save(force=force)

    async def update_record(self, id: str, changes: Mapping[str, Any]) -> AsyncRecord:
        """Set some top-level fields of a record without reading it first (one ``PATCH``);
        the other fields stay as they are. ``NotFound`` if there is no such record.

        Example: ``todo.update_record("r1", {"status": "done"})``.
        """
        return await self.record(id=id).patch(changes)

    async def delete_record(
        self,
        record: AsyncRecord | str | None = None,
        *,
        id: str | None = None,
        force: bool = False,
        missing_ok: bool = False,
    ) -> None:
        """Delete one record, by id or Record (a Record is deleted only if unchanged, unless
        ``force``); ``NotFound`` if it does not exist, unless ``missing_ok=True``."""
        target = record if record is not None else id
        if target is None:
            raise TypeError("delete_record() needs a record or id=")
        handle = self.record(id=target) if isinstance(target, str) else self._own(target)
        await handle.delete(force=force, missing_ok=missing_ok)

    # -- bulk writes (POST /batch: kinto_query._objects._async.batch) -----------------------------

    async def _bulk(
        self,
        items: Iterable[BatchItem | None],
        raise_on_error: bool,
        chunk_size: int | None,
        progress: Progress | None,
        concurrency: int,
    ) -> BatchReport:
        report = await send_batch(
            self.transport, items, chunk_size=chunk_size, progress=progress,
            concurrency=concurrency)
        if raise_on_error and not report.ok:
            raise BatchError(report)
        return report

    async def create_records(
        self,
        records: Iterable[Mapping[str, Any] | AsyncRecord],
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 1,
    ) -> BatchReport:
        """Create many records through ``POST /batch``, reading ``records`` lazily; each Record
        given is updated with what the server stored.

        Returns a report; by default raises ``BatchError`` (carrying it) if any item failed.
        ``progress(report)`` is called after each chunk. An unclear answer is resolved by
        reading the chunk back, never guessed (see ``BatchReport``). ``concurrency=4`` keeps
        four chunks in flight: it hides a slow link's latency (the server's own pace it cannot
        beat); the report stays in input order.
        """

        def items() -> Iterator[BatchItem]:
            for data in records:
                record = self._own(data)
                yield BatchItem(record.create_request(), record.id, record.take_answer)

        return await self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    async def save_records(
        self,
        records: Iterable[AsyncRecord | Mapping[str, Any]],
        *,
        force: bool = False,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 1,
    ) -> BatchReport:
        """Save many records safely through ``POST /batch``; each saved Record is updated.

        Each record is one request carrying its data and permission changes together: a record
        changed meanwhile is reported in ``conflicts`` (with the server's version) and none of
        its changes is applied. Records loaded with ``fields()`` save only what changed. By
        default a report with failures raises ``BatchError``.
        """

        def items() -> Iterator[BatchItem | None]:
            for data in records:
                record = self._own(data)
                request = record.save_request(force=force)
                # Nothing to save: None keeps the report's index the position in ``records``.
                yield None if request is None else BatchItem(request, record.id, record.take_answer)

        return await self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    async def replace_records(
        self,
        records: Iterable[AsyncRecord | Mapping[str, Any]],
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 1,
    ) -> BatchReport:
        """Replace existing records only, through ``POST /batch``; never creates one.

        Each is a ``PUT`` of the whole record (see ``Record.replace_request``): with the
        ``last_modified`` it carries, only if unchanged since; without, only if it exists. A
        record changed meanwhile, or missing, is reported in ``conflicts`` (``existing`` None
        for a missing one) and left as it is. A ``Record``'s permissions are replaced too; a
        mapping's are left as they are on the server.

        Example: ``todo.replace_records([{"id": "r1", "last_modified": 17, "title": "x"}])``.
        """

        def items() -> Iterator[BatchItem]:
            for data in records:
                record = self._own(data)
                request = record.replace_request(permissions=isinstance(data, AsyncRecord))
                yield BatchItem(request, record.id, record.take_answer)

        return await self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    async def permissions_of(self, record_ids: Iterable[str]) -> list[dict[str, list[str]]]:
        """The permissions of many records, in order, read in ``POST /batch`` chunks of
        ``GET``s (a list of records does not carry them), as the server sends them: Kinto
        shows them to a record's writers, ``{}`` to the others; ``{}`` too for a record that is
        missing or that you may not read. ``BatchError`` (carrying the report) if some could
        not be read (no answer, a server error), after the client's retries.

        >>> todo.permissions_of(["r1", "r2"])
        [{'read': ['system.Everyone'], 'write': ['basicauth:...']}, {}]
        """
        found: list[dict[str, list[str]]] = []

        def keep(index: int, body: dict[str, Any]) -> None:
            permissions = body.get("permissions")
            found[index] = permissions if isinstance(permissions, dict) else {}

        def items() -> Iterator[BatchItem]:
            for index, record_id in enumerate(record_ids):
                found.append({})
                request = Request("GET", self.record(id=record_id).path)
                yield BatchItem(request, record_id, functools.partial(keep, index))

        report = await send_batch(self.transport, items())
        if report.unknown or report.conflicts or any(
                failure.status not in (403, 404) for failure in report.failed):
            raise BatchError(report)
        return found

    async def delete_records(
        self,
        records: Iterable[AsyncRecord | str],
        *,
        force: bool = False,
        missing_ok: bool = False,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 1,
    ) -> BatchReport:
        """Delete many records (Records only if unchanged, ids unconditionally) in batches;
        with ``missing_ok=True`` a record already gone counts as deleted."""

        def items() -> Iterator[BatchItem]:
            for target in records:
                record = self.record(id=target) if isinstance(target, str) else self._own(target)
                yield BatchItem(record.delete_request(force=force), record.id,
                                missing_ok=missing_ok)

        return await self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    # -- diff and sync (their writes: the bulk writes' own, _bulk) ----------------------------

    async def diff(
        self,
        records: Iterable[Mapping[str, Any] | AsyncRecord] | AsyncQuery[Any],
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
        differ = RecordsDiffer(key=key, ignore=ignore)
        if isinstance(records, AsyncQuery):  # another collection's query, read as it streams
            async for wanted in records:
                differ.want(wanted)
        else:
            differ.want_all(records)
        async for item in self.dicts():
            differ.see(item)
        return differ.result()

    async def sync(
        self,
        records: Iterable[Mapping[str, Any] | AsyncRecord] | AsyncQuery[Any] | RecordsDiff,
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
                else await self.diff(records, key=key, ignore=ignore))
        if not has_writes(diff, delete):
            return SyncReport(diff, BatchReport(), delete)
        try:
            done = await self._bulk(sync_items(self, diff, delete), False, chunk_size, progress,
                                    concurrency)
        except BaseException as error:
            file_sync_report(error, diff, delete)
            raise
        report = SyncReport.of(diff, done, delete)
        if raise_on_error and not report.ok:
            raise BatchError(report)
        return report

    # -- Remote Settings: the changeset (kinto-changes) --------------------------------------

    async def changeset(self, since: Since = None, *, expected: int | str | None = None,
                  limit: int | None = None) -> Changeset[AsyncRecord]:
        """The collection's changeset (kinto-changes, Remote Settings): metadata, timestamp
        and records in one consistent read; ``since`` (a timestamp, an ETag, an aware
        datetime, an earlier changeset) for what changed after it, tombstones included.
        ``expected`` (the cache-busting ``_expected``) defaults to the collection's timestamp
        as the monitor lists it, so no cached copy older than that can answer.

        >>> regions = client.bucket("main").collection("regions")
        >>> later = regions.changeset(since=regions.changeset())
        """
        return await collection_changeset(self, since, expected=expected, limit=limit)

    # -- the review workflow (Remote Settings, kinto-signer; see _server/review.py) ---------------

    async def review_status(self) -> ReviewStatus:
        """Where this workspace collection stands in the review workflow (one ``GET``; the
        server's capabilities once per client): status, who edited, asked for a review and
        signed it, when, and its preview and destination. Unsaved changes are dropped.

        >>> regions = client.bucket("main-workspace").collection("regions")
        >>> regions.review_status().status
        'signed'
        """
        return await review_status(self)

    async def request_review(self, message: str = "") -> ReviewStatus:
        """Ask for a review of the changes (status ``to-review``, ``message`` for the
        reviewer), against the version read last (``ReviewConflict`` if it changed since).

        Example: ``regions.request_review("Add Belgium")``.
        """
        return await review_step(self, "request_review", message)

    async def approve(self) -> ReviewStatus:
        """Approve the review (status ``to-sign``): the signer signs the records into the
        destination. Another user than the one who asked must (``LastEditorCannotReview``).

        Example: ``regions.approve().status`` is ``'signed'``.
        """
        return await review_step(self, "approve")

    async def decline(self, message: str = "") -> ReviewStatus:
        """Decline the review (back to ``work-in-progress``), ``message`` saying why.

        Example: ``regions.decline("Belgium's code is BE")``.
        """
        return await review_step(self, "decline", message)

    async def rollback(self) -> ReviewStatus:
        """Drop the changes not signed yet: the workspace (and preview) get the destination's
        records back (status ``to-rollback``, then ``signed``).

        Example: ``regions.rollback()``.
        """
        return await review_step(self, "rollback")

    # -- changes (see changes_feed.py) --------------------------------------------------------

    async def timestamp(self) -> int:
        """The collection timestamp in milliseconds (its ``ETag``), from one small ``GET``."""
        return await collection_timestamp(self)

    def changes(self, since: int | str | datetime.datetime | None = None, *,
                page_size: int | None = None) -> AsyncChanges:
        """Records changed or deleted (tombstones) since a timestamp or ETag, oldest first;
        then ``changes.timestamp`` is the next ``since``: ``for r in todo.changes(since=ts)``
        (``async for`` in async code). No request until iterated."""
        return AsyncChanges(self, since, page_size=page_size)

    def watch(self, since: int | str | datetime.datetime | None = None, *,
              interval: float = 5.0, page_size: int | None = None,
              stop_event: Flag | None = None) -> AsyncWatch:
        """Poll for changes every ``interval`` s (an idle poll: one GET answered 304), each
        handed out once, until ``stop()`` or ``stop_event`` (a ``threading.Event``, an
        ``asyncio.Event``) is set: ``for r in todo.watch(since=ts): ...`` (in async code
        ``async for``, which also ends when its task is cancelled)."""
        return AsyncWatch(self, since, interval=interval, page_size=page_size,
                          stop_event=stop_event)
