"""Collection: a handle on a collection that is also the query of all its records."""

from __future__ import annotations

import datetime
import functools
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from ._batch import Progress, send_batch
from ._changes_feed import Changes, Watch, collection_timestamp
from ._changeset import Changeset, Since
from ._diff import DEFAULT_IGNORE, RecordsDiff, diff_records
from ._endpoints import endpoint_path
from ._messages import Request
from ._monitor import collection_changeset
from ._query import Query, delegate
from ._record import Record
from ._report import BatchItem, BatchReport
from ._resource import Resource
from ._review import ReviewStatus, review_status, review_step
from ._sync import SyncReport, run_sync, sync_items
from .exceptions import BatchError

if TYPE_CHECKING:
    from ._bucket import Bucket

__all__ = ["Collection", "RecordQuery"]

RecordQuery = Query[Record]


class Collection(Resource):
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
        bucket: Bucket,
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

    def records(self) -> RecordQuery:
        """The lazy query of every record; the other query methods start from it."""
        return Query(
            self.transport,
            self.records_path,
            # A page's items are the records' own (not copied).
            Record.page_factory(self),
            item_path=lambda record_id: self.record(id=record_id).path,
        )

    # -- the collection as its unfiltered query: Query's own methods, on ``records()`` ---------

    filter = delegate(records, Query.filter)
    exclude = delegate(records, Query.exclude)
    sort = delegate(records, Query.sort)
    fields = delegate(records, Query.fields)
    limit = delegate(records, Query.limit)
    page_size = delegate(records, Query.page_size)
    partition = delegate(records, Query.partition)
    dicts = delegate(records, Query.dicts)
    prefetch = delegate(records, Query.prefetch)
    since = delegate(records, Query.since)
    before = delegate(records, Query.before)
    __iter__ = delegate(records, Query.__iter__)
    pages = delegate(records, Query.pages)
    resume = delegate(records, Query.resume)
    count = delegate(records, Query.count)
    exists = delegate(records, Query.exists)
    first = delegate(records, Query.first)
    get = delegate(records, Query.get)
    iter_batches = delegate(records, Query.iter_batches)
    to_arrow = delegate(records, Query.to_arrow)
    to_pandas = delegate(records, Query.to_pandas)
    to_dask_bag = delegate(records, Query.to_dask_bag)
    to_dask_dataframe = delegate(records, Query.to_dask_dataframe)

    # Overloads and properties, which a delegated function cannot carry.
    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> RecordQuery: ...

    def __getitem__(self, index: int | slice) -> Record | RecordQuery:
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
    ) -> Record:
        """A Record of this collection, no request made: ``record(id="r1")`` is a handle on an
        existing one; ``record({"title": "milk"})`` a new one to save (a UUID4 id if none)."""
        return Record(self, data, id=id, permissions=permissions)

    def _own(self, record: Record | Mapping[str, Any]) -> Record:
        if not isinstance(record, Record):
            return self.record(record)
        if record.collection.path != self.path:
            raise ValueError(f"{record!r} belongs to {record.collection!r}, not {self!r}")
        return record

    def create_record(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
        exist_ok: bool = False,
    ) -> Record:
        """Create one record (a UUID4 id if none given); ``AlreadyExists`` if the id is taken,
        unless ``exist_ok=True``: then the existing record is returned, unchanged.

        Example: ``todo.create_record({"id": "r1", "title": "milk"}, exist_ok=True)``.
        """
        return self.record(data, id=id, permissions=permissions).create(exist_ok=exist_ok)

    def get_records(self) -> list[Record]:
        """Every record, as a list (to change and save); iterate the collection to stream."""
        return list(self.records())

    def get_record(self, id: str) -> Record:  # the seed's spelling
        """One record with its permissions, or ``NotFound``."""
        return self.get(id)

    def save_record(self, record: Record | Mapping[str, Any], *, force: bool = False) -> Record:
        """Save one record safely (``PreconditionFailed`` if it changed meanwhile);
        ``force=True`` overwrites, or creates it if missing."""
        return self._own(record).save(force=force)

    def update_record(self, id: str, changes: Mapping[str, Any]) -> Record:
        """Set some top-level fields of a record without reading it first (one ``PATCH``);
        the other fields stay as they are. ``NotFound`` if there is no such record.

        Example: ``todo.update_record("r1", {"status": "done"})``.
        """
        return self.record(id=id).patch(changes)

    def delete_record(
        self,
        record: Record | str | None = None,
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
        handle.delete(force=force, missing_ok=missing_ok)

    # -- bulk writes ----------------------------------------------------------------------------

    def _bulk(
        self,
        items: Iterable[BatchItem | None],
        raise_on_error: bool,
        chunk_size: int | None,
        progress: Progress | None,
        concurrency: int,
    ) -> BatchReport:
        report = send_batch(self.transport, items, chunk_size=chunk_size, progress=progress,
                            concurrency=concurrency)
        if raise_on_error and not report.ok:
            raise BatchError(report)
        return report

    def create_records(
        self,
        records: Iterable[Mapping[str, Any] | Record],
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

        return self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    def save_records(
        self,
        records: Iterable[Record | Mapping[str, Any]],
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

        return self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    def replace_records(
        self,
        records: Iterable[Record | Mapping[str, Any]],
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
                request = record.replace_request(permissions=isinstance(data, Record))
                yield BatchItem(request, record.id, record.take_answer)

        return self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    def diff(
        self,
        records: Iterable[Mapping[str, Any] | Record],
        *,
        key: str = "id",
        ignore: Iterable[str] = DEFAULT_IGNORE,
    ) -> RecordsDiff:
        """What ``sync(records)`` would write: one scan of the collection compared with
        ``records`` (see ``diff_records``); nothing is written.

        >>> print(todo.diff([{"id": "r1", "title": "milk"}]))           # doctest: +SKIP
        0 to create, 1 to update, 2 to delete, 0 unchanged
        ~ r1: status, title
        - r2
        - r3
        """
        return diff_records(self.dicts(), records, key=key, ignore=ignore)

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

        >>> report = todo.sync([{"id": "r1", "title": "milk"}], delete=True)  # doctest: +SKIP
        >>> report.summary()                                                # doctest: +SKIP
        'created 0, updated 1, deleted 2, unchanged 0'
        """
        diff = (records if isinstance(records, RecordsDiff)
                else self.diff(records, key=key, ignore=ignore))
        report = run_sync(diff, sync_items(self, diff, delete), delete, functools.partial(
            self._bulk, raise_on_error=False, chunk_size=chunk_size, progress=progress,
            concurrency=concurrency))
        if raise_on_error and not report.ok:
            raise BatchError(report)
        return report

    def permissions_of(self, record_ids: Iterable[str]) -> list[dict[str, list[str]]]:
        """The permissions of many records, in order, read in ``POST /batch`` chunks of
        ``GET``s (a list of records does not carry them), as the server sends them: Kinto
        shows them to a record's writers, ``{}`` to the others; ``{}`` too for a record that is
        missing or that you may not read. ``BatchError`` (carrying the report) if some could
        not be read (no answer, a server error), after the client's retries.

        >>> todo.permissions_of(["r1", "r2"])                           # doctest: +SKIP
        [{'read': ['system.Everyone'], 'write': ['account:ann']}, {}]
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

        report = send_batch(self.transport, items())
        if report.unknown or report.conflicts or any(
                failure.status not in (403, 404) for failure in report.failed):
            raise BatchError(report)
        return found

    def delete_records(
        self,
        records: Iterable[Record | str],
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

        return self._bulk(items(), raise_on_error, chunk_size, progress, concurrency)

    # -- changes (see _changes_feed.py) -------------------------------------------------------

    def timestamp(self) -> int:
        """The collection timestamp in milliseconds (its ``ETag``), from one small ``GET``."""
        return collection_timestamp(self)

    def changes(self, since: int | str | datetime.datetime | None = None, *,
                page_size: int | None = None) -> Changes:
        """Records changed or deleted (tombstones) since a timestamp or ETag, oldest first;
        then ``changes.timestamp`` is the next ``since``: ``for r in todo.changes(since=ts)``."""
        return Changes(self, since, page_size=page_size)

    def changeset(self, since: Since = None, *, expected: int | str | None = None,
                  limit: int | None = None) -> Changeset:
        """The collection's changeset (kinto-changes, Remote Settings): metadata, timestamp
        and records in one consistent read; ``since`` (a timestamp, an ETag, an aware
        datetime, an earlier changeset) for what changed after it, tombstones included.
        ``expected`` (the cache-busting ``_expected``) defaults to the collection's timestamp
        as the monitor lists it, so no cached copy older than that can answer.

        >>> regions = client.bucket("main").collection("regions")         # doctest: +SKIP
        >>> later = regions.changeset(since=regions.changeset())          # doctest: +SKIP
        """
        return collection_changeset(self, since, expected=expected, limit=limit)

    def watch(self, since: int | str | datetime.datetime | None = None, *,
              interval: float = 5.0, page_size: int | None = None,
              stop_event: threading.Event | None = None) -> Watch:
        """Poll for changes every ``interval`` s (an idle poll: one GET answered 304), each
        handed out once, until ``stop()``: ``for r in todo.watch(since=ts): ...``."""
        return Watch(self, since, interval=interval, page_size=page_size, stop_event=stop_event)

    # -- the review workflow (Remote Settings, kinto-signer; see _review.py) -------------------

    def review_status(self) -> ReviewStatus:
        """Where this workspace collection stands in the review workflow (one ``GET``; the
        server's capabilities once per client): status, who edited, asked for a review and
        signed it, when, and its preview and destination. Unsaved changes are dropped.

        >>> regions = client.bucket("main-workspace").collection("regions")  # doctest: +SKIP
        >>> regions.review_status().status                                  # doctest: +SKIP
        'work-in-progress'
        """
        return review_status(self)

    def request_review(self, message: str = "") -> ReviewStatus:
        """Ask for a review of the changes (status ``to-review``, ``message`` for the
        reviewer), against the version read last (``ReviewConflict`` if it changed since).

        Example: ``regions.request_review("Add Belgium")``.
        """
        return review_step(self, "request_review", message)

    def approve(self) -> ReviewStatus:
        """Approve the review (status ``to-sign``): the signer signs the records into the
        destination. Another user than the one who asked must (``LastEditorCannotReview``).

        Example: ``regions.approve().status`` is ``'signed'``.
        """
        return review_step(self, "approve")

    def decline(self, message: str = "") -> ReviewStatus:
        """Decline the review (back to ``work-in-progress``), ``message`` saying why.

        Example: ``regions.decline("Belgium's code is BE")``.
        """
        return review_step(self, "decline", message)

    def rollback(self) -> ReviewStatus:
        """Drop the changes not signed yet: the workspace (and preview) get the destination's
        records back (status ``to-rollback``, then ``signed``).

        Example: ``regions.rollback()``.
        """
        return review_step(self, "rollback")
