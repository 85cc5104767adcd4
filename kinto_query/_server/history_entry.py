"""One entry of a bucket's history (``kinto.plugins.history``), as the server sent it: the
pure part of ``bucket.history()``, shared by both sides (the query is
``kinto_query._server._async.history``, generated into
``kinto_query._server._blocking.history``)."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, NoReturn

from ..exceptions import InvalidQuery, InvalidResponse

__all__ = ["HistoryEntry", "no_item_path"]


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


def no_item_path(entry_id: str) -> NoReturn:
    raise InvalidQuery("history entries have no URL of their own: use filter(id=...).first()")
