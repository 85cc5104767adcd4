"""Record: one record of a collection, saved safely."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._changes import split_server_fields
from ._data import Data
from ._endpoints import validate_id
from ._resource import Resource

if TYPE_CHECKING:
    from ._collection import Collection

__all__ = ["Record"]


class Record(Resource):
    """One record of a collection: ``.id``, ``.last_modified``, ``.data``, ``.permissions``.

    ``collection.record(data)`` makes a new one to save (a client-made UUID4 id when the data
    has none, so a retried create can never make a duplicate); ``collection.record(id=...)``
    is a handle on an existing one. A tombstone (from ``since()``) has ``.deleted`` True.

    >>> todo = Client().bucket("b").collection("todo")
    >>> todo.record({"id": "r1", "title": "milk"}).data.title
    'milk'
    """

    kind = "record"

    def __init__(
        self,
        collection: Collection,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        raw = dict(data.to_dict() if isinstance(data, Data) else data or {})
        if id is not None and raw.get("id") not in (None, id):
            raise ValueError(f"record id {id!r} differs from data['id'] {raw['id']!r}")
        record_id = id if id is not None else raw.get("id")
        is_new = data is not None or permissions is not None or record_id is None
        record_id = validate_id(str(uuid.uuid4()) if record_id is None else record_id, "record")
        # The records path is expanded once per collection: expanding a template per record
        # dominated the cost of a scan.
        super().__init__(
            collection.transport,
            f"{collection.records_path}/{record_id}",
            collection.bucket.id,
            record_id,
            data=raw if is_new else None,
            permissions=permissions,
        )
        self.collection = collection
        self.deleted = False
        if is_new:
            self.last_modified = split_server_fields(raw)[1]

    @classmethod
    def from_server(
        cls,
        collection: Collection,
        obj: Mapping[str, Any],
        fields: tuple[str, ...] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
    ) -> Record:
        """A record as the server sent it (an item of a list, or ``data`` of one record)."""
        record = cls(collection, id=obj["id"])
        record.deleted = obj.get("deleted") is True and set(obj) <= {
            "id", "last_modified", "deleted"}
        data = {k: v for k, v in obj.items() if k != "deleted"} if record.deleted else obj
        body: dict[str, Any] = {"data": data}
        if permissions is not None:
            body["permissions"] = permissions
        record.take_answer(body, fields)
        return record

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        return f"<Record {self.id!r}{state} last_modified={self.last_modified}>"

    def delete(self, *, force: bool = False, missing_ok: bool = False) -> None:
        """Delete this record (``PreconditionFailed`` if it changed since loaded, unless forced)."""
        super().delete(force=force, missing_ok=missing_ok)
        self.deleted = True
