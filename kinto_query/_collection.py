"""Collection: a handle on a collection that is also the query of all its records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload

from ._base import Resource
from ._batch import BatchItem, BatchReport, send_batch
from ._endpoints import endpoint_path
from ._query import Page, Query
from ._record import Record
from .exceptions import BatchError

if TYPE_CHECKING:
    from ._bucket import Bucket

__all__ = ["Collection", "RecordQuery"]

RecordQuery = Query[Record]


def _checked(report: BatchReport, raise_on_error: bool) -> BatchReport:
    if raise_on_error and not report.ok:
        raise BatchError(report)
    return report


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

    def __init__(self, bucket: Bucket, collection_id: str) -> None:
        path = endpoint_path("collection", bucket=bucket.id, collection=collection_id)
        super().__init__(bucket.client, path, bucket.id, collection_id)
        self.bucket = bucket
        self.records_path = endpoint_path("records", bucket=bucket.id, collection=collection_id)

    def records(self) -> RecordQuery:
        """The lazy query of every record; the other query methods start from it."""
        bucket, collection = self.bucket.id, self.id
        return Query(
            self.client,
            self.records_path,
            lambda obj: Record._from_server(obj, self),
            item_path=lambda rid: endpoint_path(
                "record", bucket=bucket, collection=collection, record=rid
            ),
        )

    # -- the collection as its unfiltered query (see Query for each) -------------------------

    def filter(self, **lookups: Any) -> RecordQuery:
        """Records matching every lookup: ``filter(status="done", priority__gte=3)``."""
        return self.records().filter(**lookups)

    def exclude(self, **lookups: Any) -> RecordQuery:
        """Records not matching: ``exclude(status="done")``."""
        return self.records().exclude(**lookups)

    def sort(self, *fields: str) -> RecordQuery:
        """Records sorted: ``sort("-priority", "title")``."""
        return self.records().sort(*fields)

    def fields(self, *names: str) -> RecordQuery:
        """Records with only these fields."""
        return self.records().fields(*names)

    def limit(self, n: int) -> RecordQuery:
        """At most ``n`` records in total."""
        return self.records().limit(n)

    def page_size(self, k: int) -> RecordQuery:
        """Records fetched ``k`` per request."""
        return self.records().page_size(k)

    def since(self, timestamp_or_etag: int | str) -> RecordQuery:
        """Records changed (or deleted) after a timestamp or ETag."""
        return self.records().since(timestamp_or_etag)

    def before(self, timestamp_or_etag: int | str) -> RecordQuery:
        """Records last changed before a timestamp or ETag."""
        return self.records().before(timestamp_or_etag)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> RecordQuery: ...

    def __getitem__(self, index: int | slice) -> Record | RecordQuery:
        return self.records()[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def pages(self) -> Iterator[Page[Record]]:
        """Every record, page by page."""
        return self.records().pages()

    def count(self) -> int:
        """How many records (one HEAD)."""
        return self.records().count()

    def exists(self) -> bool:
        """Whether the collection has any record."""
        return self.records().exists()

    def first(self) -> Record | None:
        """The first record (newest first by default), or None."""
        return self.records().first()

    def get(self, record_id: str) -> Record:
        """One record by id (data only), or ``NotFound``."""
        return self.records().get(record_id)

    # -- the seed's record methods ------------------------------------------------------------

    def _record(self, data: Mapping[str, Any] | Record) -> Record:
        if isinstance(data, Record):
            data._attach(self)
            return data
        return Record(data, collection=self)

    def create_record(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
    ) -> Record:
        """Create one record (a UUID4 id if none given); ``AlreadyExists`` if the id is taken.

        >>> todo.create_record({"id": "r1", "title": "milk"})        # doctest: +SKIP
        """
        return Record(data, id=id, permissions=permissions, collection=self).create()

    def get_records(self) -> list[Record]:
        """Every record, as a list (to change and save); iterate the collection to stream."""
        return list(self.records())

    def get_record(self, id: str) -> Record:  # the seed's spelling
        """One record with its permissions, or ``NotFound``."""
        return Record(id=id, collection=self).refresh()

    def save_record(self, record: Record | Mapping[str, Any], *, force: bool = False) -> Record:
        """Save one record safely (``PreconditionFailed`` if it changed meanwhile)."""
        return self._record(record).save(force=force)

    def delete_record(
        self, record: Record | str | None = None, *, id: str | None = None, force: bool = False
    ) -> None:
        """Delete one record, by id or Record (a Record is deleted only if unchanged)."""
        target = record if record is not None else id
        if target is None:
            raise TypeError("delete_record() needs a record or id=")
        if isinstance(target, str):
            target = Record(id=target, collection=self)
        self._record(target).delete(force=force)

    def _bulk(
        self, items: Iterable[BatchItem], raise_on_error: bool, chunk_size: int | None
    ) -> BatchReport:
        return _checked(send_batch(self.client, items, chunk_size=chunk_size), raise_on_error)

    def create_records(
        self,
        records: Iterable[Mapping[str, Any] | Record],
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
    ) -> BatchReport:
        """Create many records through ``POST /batch``, reading ``records`` lazily.

        Returns a report; by default raises ``BatchError`` (carrying it) if any item failed.
        """

        def items() -> Iterator[BatchItem]:
            for data in records:
                record = self._record(data)
                yield BatchItem(record._create_request(), record.id, None)

        return self._bulk(items(), raise_on_error, chunk_size)

    def save_records(
        self,
        records: Iterable[Record | Mapping[str, Any]],
        *,
        force: bool = False,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
    ) -> BatchReport:
        """Save many records safely through ``POST /batch``; each saved Record is updated.

        A record changed meanwhile is reported in ``conflicts`` (with the server's version) and
        its data left untouched on the server; permission changes are separate grants and
        revocations (one more item each). By default a report with failures raises
        ``BatchError``.
        """

        def items() -> Iterator[BatchItem]:
            for data in records:
                record = self._record(data)
                # Records have only read and write: their permission patch is always relative.
                for request in (record._data_request(force=force), record._permissions_request()):
                    if request is not None:
                        yield BatchItem(request, record.id, record._load)

        return self._bulk(items(), raise_on_error, chunk_size)

    def delete_records(
        self,
        records: Iterable[Record | str],
        *,
        force: bool = False,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
    ) -> BatchReport:
        """Delete many records (Records only if unchanged, ids unconditionally) in batches."""

        def items() -> Iterator[BatchItem]:
            for target in records:
                record = Record(id=target, collection=self) if isinstance(target, str) else (
                    self._record(target)
                )
                headers = {}
                if record.last_modified is not None and not force:
                    headers["If-Match"] = f'"{record.last_modified}"'
                yield BatchItem(("DELETE", record.path, None, headers), record.id, None)

        return self._bulk(items(), raise_on_error, chunk_size)

