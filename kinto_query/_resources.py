"""Bucket, Collection and Record: cheap handles on Kinto objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._client import AuthLike, Client
from ._data import Data
from ._endpoints import endpoint_path, validate_id
from ._query import Page, Query

if TYPE_CHECKING:
    import requests

__all__ = ["Bucket", "Collection", "Record", "RecordQuery"]

RecordQuery = Query["Record"]


class Record:
    """One record: ``.id``, ``.last_modified``, ``.data`` (``data.title`` or ``data["title"]``).

    A tombstone (from ``since()``) has ``.deleted`` True and empty data.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        last_modified: int | None = None,
        deleted: bool = False,
        collection: Collection | None = None,
    ) -> None:
        raw = dict(data or {})
        record_id = id if id is not None else raw.pop("id", None)
        raw.pop("id", None)
        self.id: str | None = None if record_id is None else validate_id(record_id, "record")
        self.last_modified = last_modified if last_modified is not None else raw.pop(
            "last_modified", None
        )
        raw.pop("last_modified", None)
        self.deleted = deleted
        self.data = Data(raw)
        self.collection = collection

    @classmethod
    def _from_server(cls, obj: dict[str, Any], collection: Collection | None) -> Record:
        obj = dict(obj)
        deleted = obj.get("deleted") is True and set(obj) <= {"id", "last_modified", "deleted"}
        if deleted:
            del obj["deleted"]
        return cls(obj, deleted=deleted, collection=collection)

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        return f"<Record {self.id!r}{state} last_modified={self.last_modified}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.id, self.last_modified, self.deleted, self.data) == (
            other.id,
            other.last_modified,
            other.deleted,
            other.data,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable


class Collection:
    """A collection: a handle that also behaves as the query of all its records.

    >>> todo = Client().bucket("b").collection("todo")
    >>> todo.filter(status="done").url
    'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done'
    """

    def __init__(self, bucket: Bucket, collection_id: str) -> None:
        self.bucket = bucket
        self.id = validate_id(collection_id, "collection")
        self.client = bucket.client
        self.path = endpoint_path("collection", bucket=bucket.id, collection=self.id)

    def __repr__(self) -> str:
        return f"<Collection {self.path!r}>"

    def records(self) -> RecordQuery:
        """The query of every record; ``collection.filter(...)`` starts from it too."""
        bucket, collection = self.bucket.id, self.id
        return Query(
            self.client,
            endpoint_path("records", bucket=bucket, collection=collection),
            lambda obj: Record._from_server(obj, self),
            item_path=lambda rid: endpoint_path(
                "record", bucket=bucket, collection=collection, record=rid
            ),
        )

    # The collection stands for its unfiltered query: these forward to records().
    def filter(self, **lookups: Any) -> RecordQuery:
        """See :meth:`Query.filter`."""
        return self.records().filter(**lookups)

    def exclude(self, **lookups: Any) -> RecordQuery:
        """See :meth:`Query.exclude`."""
        return self.records().exclude(**lookups)

    def sort(self, *fields: str) -> RecordQuery:
        """See :meth:`Query.sort`."""
        return self.records().sort(*fields)

    def fields(self, *names: str) -> RecordQuery:
        """See :meth:`Query.fields`."""
        return self.records().fields(*names)

    def limit(self, n: int) -> RecordQuery:
        """See :meth:`Query.limit`."""
        return self.records().limit(n)

    def page_size(self, k: int) -> RecordQuery:
        """See :meth:`Query.page_size`."""
        return self.records().page_size(k)

    def since(self, timestamp_or_etag: int | str) -> RecordQuery:
        """See :meth:`Query.since`."""
        return self.records().since(timestamp_or_etag)

    def before(self, timestamp_or_etag: int | str) -> RecordQuery:
        """See :meth:`Query.before`."""
        return self.records().before(timestamp_or_etag)

    def __getitem__(self, index: slice) -> RecordQuery:
        return self.records()[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def pages(self) -> Iterator[Page[Record]]:
        """See :meth:`Query.pages`."""
        return self.records().pages()

    def count(self) -> int:
        """See :meth:`Query.count`."""
        return self.records().count()

    def exists(self) -> bool:
        """See :meth:`Query.exists`."""
        return self.records().exists()

    def first(self) -> Record | None:
        """See :meth:`Query.first`."""
        return self.records().first()

    def get(self, record_id: str) -> Record:
        """See :meth:`Query.get`."""
        return self.records().get(record_id)


class Bucket:
    """A bucket: the root of collections and groups. Constructing one sends no request.

    >>> Bucket("b", server_url="http://localhost:8888/v1")
    <Bucket '/buckets/b'>
    """

    def __init__(
        self,
        bucket_id: str,
        *,
        server_url: str | None = None,
        auth: AuthLike = None,
        session: requests.Session | None = None,
        client: Client | None = None,
    ) -> None:
        self.id = validate_id(bucket_id, "bucket")
        if client is None:
            client = Client(server_url, auth=auth, session=session)
        elif server_url is not None or auth is not None or session is not None:
            raise TypeError("pass either client= or server_url/auth/session, not both")
        self.client = client
        self.path = endpoint_path("bucket", bucket=self.id)

    def __repr__(self) -> str:
        return f"<Bucket {self.path!r}>"

    def collection(self, collection_id: str) -> Collection:
        """A handle on a collection of this bucket; no request is made."""
        return Collection(self, collection_id)
