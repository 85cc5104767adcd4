"""A collection's changeset (``kinto-changes``): its metadata, timestamp and changes, in one
consistent read.

``GET .../changeset?_expected=N[&_since="T"][&_limit=L]`` answers the collection's metadata
(with the signature, on Remote Settings), its timestamp and its records, newest first; since
``T``, only what changed after it, deletions as tombstones. ``_expected`` is required and
only busts caches: the CDN in front of Remote Settings keys its copies by URL, so a client
asks for the timestamp it expects (the monitor's), and a stale copy cannot answer.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._endpoints import endpoint_path
from ._messages import Request
from ._query import _timestamp
from ._record import Record
from .exceptions import InvalidQuery, InvalidResponse, NotEnabled, NotFound

if TYPE_CHECKING:
    from ._collection import Collection
    from ._transport import Transport

__all__ = ["CHANGES_PLUGIN", "Changeset", "changeset_params", "read_changeset",
           "requires_changes", "since_value"]

CHANGES_PLUGIN = ("kinto-changes plugin", "kinto_changes in kinto.includes")


@dataclasses.dataclass(frozen=True)
class Changeset:
    """One read of a collection's changeset: what Remote Settings readers (and Firefox) read.

    ``changes`` are ``Record`` objects, newest first (``.deleted`` True for a tombstone, which
    comes only when reading ``since`` a timestamp); ``metadata`` is the collection's, with its
    ``signature`` on Remote Settings; ``timestamp`` is the collection's, the next ``since``.

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
    changes: tuple[Record, ...] = dataclasses.field(hash=False, compare=False)
    """The records changed (all of them without ``since``), newest first; tombstones too."""
    since: int | None = None
    """The timestamp asked from (``_since``), None for the whole collection."""
    expected: int = 0
    """The ``_expected`` sent (the cache-busting value)."""

    @property
    def records(self) -> list[Record]:
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
Since = int | str | datetime.datetime | Changeset | None


def since_value(since: object, what: str = "since") -> int | None:
    """The milliseconds a ``since`` stands for: a timestamp, an ETag, an aware datetime, an
    earlier ``Changeset`` (its timestamp) or a monitor entry (its ``last_modified``).

    >>> since_value('"1700000000000"')
    1700000000000
    """
    if since is None:
        return None
    from ._monitor import MonitorEntry  # which builds on this module

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


@contextmanager
def requires_changes(transport: Transport) -> Iterator[None]:
    """A 404 from a server without kinto-changes becomes ``NotEnabled``; kinto-changes
    answers a missing collection with the same bare 404, so the capabilities tell."""
    try:
        yield
    except NotEnabled:
        raise
    except NotFound as error:
        if "changes" in transport.server_info().get("capabilities", {}):
            raise
        body = error.response.json_or_none()
        feature, setting = CHANGES_PLUGIN
        raise NotEnabled(error.response, body if isinstance(body, dict) else None,
                         feature=feature, setting=setting) from None


def read_changeset(collection: Collection, *, since: int | None, expected: int,
                   limit: int | None = None, transport: Transport | None = None) -> Changeset:
    """One ``GET .../changeset`` (through ``transport``, e.g. a thread's own; the records are
    bound to ``collection`` all the same)."""
    transport = transport or collection.transport
    path = endpoint_path("changeset", bucket=collection.bucket.id, collection=collection.id)
    request = Request("GET", f"{path}?{urlencode(changeset_params(expected, since, limit))}")
    with requires_changes(transport):
        response = transport.send(request)
    body = response.json()
    if not isinstance(body, dict):
        raise InvalidResponse(f"GET {response.url}: not a JSON object: {str(body)[:200]}")
    metadata, timestamp, changes = (body.get(k) for k in ("metadata", "timestamp", "changes"))
    if not isinstance(metadata, dict) or type(timestamp) is not int \
            or not isinstance(changes, list):
        raise InvalidResponse(f"GET {response.url}: not a changeset (metadata, timestamp, "
                              f"changes): {str(body)[:200]}")
    records = []
    for obj in changes:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise InvalidResponse(f"GET {response.url}: a change without an id: "
                                  f"{str(obj)[:200]}")
        records.append(Record.from_server(collection, obj, owned=True))
    return Changeset(bucket=collection.bucket.id, collection=collection.id, timestamp=timestamp,
                     metadata=metadata, changes=tuple(records), since=since, expected=expected)
