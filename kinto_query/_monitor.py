"""The Remote Settings monitor (``kinto-changes``): one entry per monitored collection with its
timestamp, the first thing a reader asks to know what to fetch.

``GET /buckets/monitor/collections/changes/changeset?_expected=N`` is public; it filters by
``bucket=``, ``collection=`` and ``_since="T"`` (only collections changed after ``T``). A
``_since`` older than the server keeps (``kinto.changes.since_max_age_days``) is answered
307 to the same URL without it, on the server's ``http_host`` (a CDN in production): the
transport follows it, without credentials if the origin differs, and the whole list comes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._changeset import (
    Changeset,
    Since,
    changeset_params,
    read_changeset,
    requires_changes,
    since_value,
)
from ._endpoints import endpoint_path, validate_id
from ._messages import Request
from .exceptions import InvalidResponse

if TYPE_CHECKING:
    from ._collection import Collection
    from ._transport import Transport

__all__ = ["Monitor", "MonitorEntry", "MonitorSnapshot", "collection_changeset",
           "expected_timestamp"]

MONITOR_PATH = endpoint_path("changeset", bucket="monitor", collection="changes")


@dataclasses.dataclass(frozen=True)
class MonitorEntry:
    """One monitored collection and its timestamp, as the monitor lists it."""

    bucket: str
    collection: str
    last_modified: int
    """The collection's timestamp: the ``expected`` of its changeset."""
    host: str = ""
    """The server's ``http_host`` (Remote Settings' own name for itself)."""
    id: str = ""
    """The entry's id (a hash of host and collection)."""
    deleted: bool = False
    """A tombstone (``since``): the collection was deleted."""

    @property
    def key(self) -> str:
        """``bucket/collection``, as the CLI and ``fetch_changed`` name a collection."""
        return f"{self.bucket}/{self.collection}"

    @classmethod
    def from_server(cls, obj: Any) -> MonitorEntry:
        """An entry from the monitor's JSON."""
        try:
            entry = cls(bucket=obj["bucket"], collection=obj["collection"],
                        last_modified=obj["last_modified"], host=obj.get("host") or "",
                        id=obj.get("id") or "", deleted=obj.get("deleted") is True)
        except (KeyError, TypeError, AttributeError):
            entry = None
        if entry is None or type(entry.last_modified) is not int \
                or not isinstance(entry.bucket, str) or not isinstance(entry.collection, str):
            raise InvalidResponse(f"not a monitor entry (bucket, collection, last_modified): "
                                  f"{str(obj)[:200]}")
        return entry


@dataclasses.dataclass(frozen=True)
class MonitorSnapshot:
    """One read of the monitor: its entries and its timestamp."""

    timestamp: int
    """The newest change of any monitored collection: the next ``since``."""
    entries: tuple[MonitorEntry, ...]

    def __iter__(self) -> Iterator[MonitorEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


class Monitor:
    """The lazy, immutable query of the monitor: ``filter(bucket=, collection=)``,
    ``since(...)``; iterating sends one ``GET`` and yields ``MonitorEntry`` values
    (in the server's order); ``read()`` also gives the timestamp to go on from.

    >>> Client().monitor().filter(bucket="main").since(1700000000000).url
    'http://localhost:8888/v1/buckets/monitor/collections/changes/changeset?_expected=0&_since=%221700000000000%22&bucket=main'
    """

    def __init__(self, transport: Transport, *, bucket: str | None = None,
                 collection: str | None = None, since: int | None = None,
                 expected: int = 0) -> None:
        self._transport = transport
        self.bucket = None if bucket is None else validate_id(bucket, "bucket")
        self.collection = None if collection is None else validate_id(collection, "collection")
        self.since_timestamp = since
        self.expected = expected

    def _clone(self, **changes: Any) -> Monitor:
        options = {"bucket": self.bucket, "collection": self.collection,
                   "since": self.since_timestamp, "expected": self.expected, **changes}
        return Monitor(self._transport, **options)

    def filter(self, *, bucket: str | None = None, collection: str | None = None) -> Monitor:
        """Only the entries of this bucket and/or collection."""
        return self._clone(bucket=bucket or self.bucket, collection=collection or self.collection)

    def since(self, since: Since) -> Monitor:
        """Only collections changed after this timestamp (int, ETag, aware datetime, an
        earlier ``MonitorSnapshot`` or ``Changeset``); deleted ones come as tombstones."""
        if isinstance(since, MonitorSnapshot):
            return self._clone(since=since.timestamp)
        return self._clone(since=since_value(since))

    def expect(self, timestamp: int) -> Monitor:
        """Send ``_expected=timestamp`` (the default 0 is Firefox's; the server keeps the
        monitor's cached copies short)."""
        return self._clone(expected=since_value(timestamp, "expect"))

    @property
    def params(self) -> dict[str, str]:
        """The query string (pure)."""
        return changeset_params(self.expected, self.since_timestamp, None,
                                bucket=self.bucket, collection=self.collection)

    @property
    def url(self) -> str:
        """The exact URL (pure)."""
        return self._transport.url(f"{MONITOR_PATH}?{urlencode(self.params)}")

    def __repr__(self) -> str:
        return f"<Monitor {self.url}>"

    def read(self) -> MonitorSnapshot:
        """One ``GET`` of the monitor."""
        with requires_changes(self._transport):
            response = self._transport.send(Request("GET", self.url))
        body = response.json()
        timestamp, changes = (body.get("timestamp"), body.get("changes")) \
            if isinstance(body, dict) else (None, None)
        if type(timestamp) is not int or not isinstance(changes, list):
            raise InvalidResponse(f"GET {response.url}: not the monitor's changeset "
                                  f"(timestamp, changes): {str(body)[:200]}")
        return MonitorSnapshot(timestamp, tuple(MonitorEntry.from_server(o) for o in changes))

    def __iter__(self) -> Iterator[MonitorEntry]:
        return iter(self.read().entries)


def expected_timestamp(collection: Collection) -> int:
    """What to send as ``_expected`` when the caller does not know: the collection's
    timestamp as the monitor lists it (a constant would let a cache answer with an old
    copy), else, for a collection the monitor does not list, its records' ``ETag``."""
    from ._changes_feed import collection_timestamp

    monitor = Monitor(collection.transport, bucket=collection.bucket.id,
                      collection=collection.id)
    for entry in monitor:
        if not entry.deleted:
            return entry.last_modified
    return collection_timestamp(collection)


def collection_changeset(collection: Collection, since: Since = None, *,
                         expected: int | str | None = None,
                         limit: int | None = None) -> Changeset:
    """``collection.changeset(...)`` (see ``Collection.changeset``)."""
    since_ms = since_value(since)
    expected_ms = expected_timestamp(collection) if expected is None \
        else since_value(expected, "expected")
    assert expected_ms is not None
    return read_changeset(collection, since=since_ms, expected=expected_ms, limit=limit)
