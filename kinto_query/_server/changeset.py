"""A collection's changeset (``kinto-changes``): its metadata, timestamp and changes, in one
consistent read.

``GET .../changeset?_expected=N[&_since="T"][&_limit=L]`` answers the collection's metadata
(with the signature, on Remote Settings), its timestamp and its records, newest first; since
``T``, only what changed after it, deletions as tombstones. ``_expected`` is required and
only busts caches: the CDN in front of Remote Settings keys its copies by URL, so a client
asks for the timestamp it expects (the monitor's), and a stale copy cannot answer.

The monitor (``GET /buckets/monitor/collections/changes/changeset``) is one entry per
monitored collection with its timestamp: the first thing a reader asks to know what to fetch.

This module is pure (the changeset and the monitor's entries, their query strings, the
reading of their answers); the reads are written once, async, in
``kinto_query._server._async.changeset`` and ``.monitor`` (generated into ``_blocking``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

from .._endpoints import endpoint_path, validate_id
from .._objects.state import RecordState
from .._queries.listing import _timestamp
from ..exceptions import InvalidQuery, InvalidResponse, NotEnabled, NotFound

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._wire.policy import TransportBase

__all__ = ["CHANGES_PLUGIN", "MONITOR_PATH", "Changeset", "MonitorEntry", "MonitorQuery",
           "MonitorSnapshot", "Since", "changes_not_enabled", "changeset_params",
           "changeset_path", "parse_changeset", "parse_monitor", "since_value"]

R = TypeVar("R", bound=RecordState)

CHANGES_PLUGIN = ("kinto-changes plugin", "kinto_changes in kinto.includes")


@dataclasses.dataclass(frozen=True)
class Changeset(Generic[R]):
    """One read of a collection's changeset: what Remote Settings readers (and Firefox) read.

    ``changes`` are ``Record`` objects (``AsyncRecord`` ones from ``kinto_query.aio``), newest
    first (``.deleted`` True for a tombstone, which comes only when reading ``since`` a
    timestamp); ``metadata`` is the collection's, with its ``signature`` on Remote Settings;
    ``timestamp`` is the collection's, the next ``since``.

    >>> changeset = client.bucket("main").collection("regions").changeset()
    >>> changeset.timestamp, [r.id for r in changeset.records]
    (..., ['de', 'fr'])
    """

    bucket: str
    collection: str
    timestamp: int
    """The collection's timestamp (milliseconds): pass it, or this changeset, as ``since``."""
    metadata: dict[str, Any] = dataclasses.field(hash=False, compare=False)
    """The collection's own fields (``id``, ``last_modified``, ``signature``...)."""
    changes: tuple[R, ...] = dataclasses.field(hash=False, compare=False)
    """The records changed (all of them without ``since``), newest first; tombstones too."""
    since: int | None = None
    """The timestamp asked from (``_since``), None for the whole collection."""
    expected: int = 0
    """The ``_expected`` sent (the cache-busting value)."""

    @property
    def records(self) -> list[R]:
        """The changes that are records, tombstones left out."""
        return [record for record in self.changes if not record.deleted]

    @property
    def deleted(self) -> list[str]:
        """The ids of the records deleted since ``since``."""
        return [record.id for record in self.changes if record.deleted]

    @property
    def signature(self) -> dict[str, Any] | None:
        """``metadata["signature"]`` (``signature``, ``x5u``, ``mode``), if the server signs."""
        signature = self.metadata.get("signature")
        return signature if isinstance(signature, dict) else None

    def __repr__(self) -> str:
        since = "" if self.since is None else f" since={self.since}"
        return (f"<Changeset /buckets/{self.bucket}/collections/{self.collection} "
                f"timestamp={self.timestamp}{since} changes={len(self.changes)}>")


# What a ``since`` of a changeset or the monitor may be.
Since = int | str | datetime.datetime | Changeset[Any] | None


def since_value(since: object, what: str = "since") -> int | None:
    """The milliseconds a ``since`` stands for: a timestamp, an ETag, an aware datetime, an
    earlier ``Changeset`` (its timestamp) or a monitor entry (its ``last_modified``).

    >>> since_value('"1700000000000"')
    1700000000000
    """
    if since is None:
        return None
    if isinstance(since, Changeset):
        return since.timestamp
    if isinstance(since, MonitorEntry):
        return since.last_modified
    return int(_timestamp(since, what))


def changeset_params(expected: int, since: int | None, limit: int | None,
                     **filters: str | None) -> dict[str, str]:
    """The query string: ``_since`` is sent quoted, as kinto-changes requires."""
    params = {"_expected": str(expected)}
    if since is not None:
        params["_since"] = f'"{since}"'
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidQuery(f"limit must be a whole number >= 1, got {limit!r}")
        params["_limit"] = str(limit)
    params.update({name: value for name, value in filters.items() if value is not None})
    return params


def changeset_path(bucket: str, collection: str, expected: int, since: int | None,
                   limit: int | None) -> str:
    """The path and query string of a collection's changeset."""
    path = endpoint_path("changeset", bucket=bucket, collection=collection)
    return f"{path}?{urlencode(changeset_params(expected, since, limit))}"


def changes_not_enabled(error: NotFound, info: Mapping[str, Any]) -> NotEnabled | None:
    """What a 404 of a changeset or the monitor means: a server without kinto-changes
    (``NotEnabled``), or, with it (``info``, its ``GET /v1/``, says so), a missing
    collection (None: the 404 as it is); kinto-changes answers both with the same bare 404."""
    if isinstance(error, NotEnabled) or "changes" in info.get("capabilities", {}):
        return None
    body = error.response.json_or_none()
    feature, setting = CHANGES_PLUGIN
    return NotEnabled(error.response, body if isinstance(body, dict) else None,
                      feature=feature, setting=setting)


def parse_changeset(body: Any, url: str) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """A changeset's metadata, timestamp and changes, checked (``InvalidResponse``)."""
    if not isinstance(body, dict):
        raise InvalidResponse(f"GET {url}: not a JSON object: {str(body)[:200]}")
    metadata, timestamp, changes = (body.get(k) for k in ("metadata", "timestamp", "changes"))
    if not isinstance(metadata, dict) or type(timestamp) is not int \
            or not isinstance(changes, list):
        raise InvalidResponse(f"GET {url}: not a changeset (metadata, timestamp, "
                              f"changes): {str(body)[:200]}")
    for obj in changes:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise InvalidResponse(f"GET {url}: a change without an id: {str(obj)[:200]}")
    return metadata, timestamp, changes


# -- the monitor ---------------------------------------------------------------------------------

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


class MonitorQuery:
    """The state and builders of the monitor's query (``Monitor``, ``AsyncMonitor``)."""

    def __init__(self, transport: TransportBase, *, bucket: str | None = None,
                 collection: str | None = None, since: int | None = None,
                 expected: int = 0) -> None:
        self._transport = transport
        self.bucket = None if bucket is None else validate_id(bucket, "bucket")
        self.collection = None if collection is None else validate_id(collection, "collection")
        self.since_timestamp = since
        self.expected = expected

    def _clone(self, **changes: Any) -> Self:
        options = {"bucket": self.bucket, "collection": self.collection,
                   "since": self.since_timestamp, "expected": self.expected, **changes}
        return type(self)(self._transport, **options)

    def filter(self, *, bucket: str | None = None, collection: str | None = None) -> Self:
        """Only the entries of this bucket and/or collection."""
        return self._clone(bucket=bucket or self.bucket, collection=collection or self.collection)

    def since(self, since: Since) -> Self:
        """Only collections changed after this timestamp (int, ETag, aware datetime, an
        earlier ``MonitorSnapshot`` or ``Changeset``); deleted ones come as tombstones."""
        if isinstance(since, MonitorSnapshot):
            return self._clone(since=since.timestamp)
        return self._clone(since=since_value(since))

    def expect(self, timestamp: int) -> Self:
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


def parse_monitor(body: Any, url: str) -> MonitorSnapshot:
    """The monitor's answer, checked (``InvalidResponse``)."""
    timestamp, changes = (body.get("timestamp"), body.get("changes")) \
        if isinstance(body, dict) else (None, None)
    if type(timestamp) is not int or not isinstance(changes, list):
        raise InvalidResponse(f"GET {url}: not the monitor's changeset "
                              f"(timestamp, changes): {str(body)[:200]}")
    return MonitorSnapshot(timestamp, tuple(MonitorEntry.from_server(o) for o in changes))
