"""A bucket's history (``kinto.plugins.history``): a lazy query of typed entries.

Kinto writes one entry per change of a bucket, group, collection or record, holding who did
it, when, the action and the object as it was after the change (``target``). It does not keep
the object as it was before: that is the ``target`` of the previous entry of the same object,
which ``HistoryQuery.previous(entry)`` fetches.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, NoReturn

from ._blocking.scan import without_tombstones
from ._endpoints import endpoint_path
from ._plugins import HISTORY, requires
from ._query import Deletable, Timed
from ._scan import Page
from ._transport import Transport
from .exceptions import InvalidQuery, InvalidResponse

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["HistoryEntry", "HistoryQuery"]


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One change, as the history plugin recorded it. Field names are Kinto's, so that
    ``filter(user_id=..., action="update")`` filters on what you read here."""

    id: str
    """The entry's own id."""
    last_modified: int
    """The entry's timestamp (milliseconds), what ``since()``/``before()`` compare."""
    date: datetime.datetime
    """When the change was made (aware, UTC)."""
    user_id: str
    """Who made it, e.g. ``account:ann`` or ``basicauth:...``."""
    action: str
    """``create``, ``update`` or ``delete``."""
    resource_name: str
    """``bucket``, ``collection``, ``group`` or ``record``."""
    uri: str
    """The object's path, e.g. ``/buckets/b/collections/todo/records/r1``."""
    bucket_id: str
    collection_id: str | None
    group_id: str | None
    record_id: str | None
    data: dict[str, Any] = dataclasses.field(hash=False)
    """The object after the change (after a delete, its tombstone)."""
    permissions: dict[str, list[str]] = dataclasses.field(hash=False)
    """The object's permissions after the change."""

    @property
    def object_id(self) -> str:
        """The id of the object that changed."""
        ids = {"bucket": self.bucket_id, "collection": self.collection_id,
               "group": self.group_id, "record": self.record_id}
        return ids.get(self.resource_name) or self.uri.rsplit("/", 1)[-1]

    @classmethod
    def from_server(cls, obj: dict[str, Any], bucket_id: str) -> HistoryEntry:
        """An entry from the history endpoint's JSON (``bucket_id`` is the bucket queried:
        Kinto leaves it out of entries about the bucket's children)."""
        try:
            target = obj["target"]
            data, permissions = target["data"], target.get("permissions") or {}
            entry = cls(
                id=obj["id"],
                last_modified=obj["last_modified"],
                date=datetime.datetime.fromisoformat(obj["date"]),
                user_id=obj["user_id"],
                action=obj["action"],
                resource_name=obj["resource_name"],
                uri=obj["uri"],
                bucket_id=obj.get("bucket_id") or bucket_id,
                collection_id=obj.get("collection_id"),
                group_id=obj.get("group_id"),
                record_id=obj.get("record_id"),
                data=data,
                permissions=permissions,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidResponse(
                f"not a Kinto history entry ({type(error).__name__}: {error}): {str(obj)[:200]}"
            ) from None
        if not isinstance(entry.last_modified, int) or not isinstance(entry.data, dict):
            raise InvalidResponse(f"not a Kinto history entry: {str(obj)[:200]}")
        return entry


def _no_item_path(entry_id: str) -> NoReturn:
    raise InvalidQuery("history entries have no URL of their own: use filter(id=...).first()")


class HistoryQuery(Timed[HistoryEntry], Deletable[HistoryEntry]):
    """The lazy query of a bucket's history (newest first), with the builders of record
    queries: ``filter``, ``exclude``, ``sort``, ``limit``, ``page_size``, ``since``,
    ``before``, slices, ``pages()``, ``resume()``. ``delete()`` purges what it matches.
    Entries are typed whole and Kinto serves none by id: it has no ``fields`` nor ``get``
    (``filter(id=...).first()`` finds one).

    >>> history = Client().bucket("b").history()
    >>> history.filter(resource_name="record", action="update").since(1700000000000).url
    'http://localhost:8888/v1/buckets/b/history?resource_name=record&action=update&_since=1700000000000'
    """

    @classmethod
    def of_bucket(cls, transport: Transport, bucket_id: str) -> HistoryQuery:
        """The history of one bucket."""
        return cls(
            transport,
            endpoint_path("history", bucket=bucket_id),
            lambda obj, _fields, _permissions: HistoryEntry.from_server(obj, bucket_id),
            item_path=_no_item_path,
        )

    # -- terminal operations: a 404 there means the plugin is off --------------------------

    def _raw_pages(self) -> Generator[Page[dict[str, Any]], None, None]:
        # With _since or a last_modified filter, Kinto also sends tombstones of purged
        # entries: no entry was there, so none is handed out (nor counted).
        with requires(HISTORY):
            yield from without_tombstones(super()._raw_pages())

    def count(self) -> int:
        """How many entries match. Kinto's history sends no ``Total-Objects``: this pages
        through the entries' ids (one request per page)."""
        ids_only = self._clone(fields=("id", "deleted"))  # "deleted": tombstones tell
        return sum(len(page.items) for page in ids_only._raw_pages())

    def delete(self) -> int:
        """Purge the entries that match (every entry of the bucket, unfiltered); returns how
        many. Needs write permission on the bucket."""
        with requires(HISTORY):
            return super().delete()

    def partition(self, k: int) -> list[Self]:
        """``k`` disjoint queries by ``last_modified`` ranges (see ``Query.partition``)."""
        with requires(HISTORY):
            return super().partition(k)

    def previous(self, entry: HistoryEntry) -> HistoryEntry | None:
        """The entry before ``entry`` for the same object (one small request), or None: its
        ``data`` is the object as it was before ``entry``'s change. None before a create,
        unless the object had been deleted before (then: that deletion, a tombstone), and
        when the history was purged or trimmed since.

        Example::

            for update in bucket.history().filter(action="update", resource_name="record"):
                before = bucket.history().previous(update)
                print(before.data if before else None, "->", update.data)
        """
        if not isinstance(entry, HistoryEntry):
            raise TypeError(f"previous() takes a HistoryEntry of this history, got "
                            f"{type(entry).__name__} {entry!r:.60}")
        fresh = type(self)(self._transport, self._path, self._factory, item_path=_no_item_path)
        earlier = fresh.filter(uri=entry.uri).before(entry.last_modified)
        return earlier.sort("-last_modified").first()
