"""Record: one record of a collection, saved safely."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._base import Resource, fingerprint, split_server_fields
from ._data import Data
from ._endpoints import validate_id

if TYPE_CHECKING:
    from ._collection import Collection

__all__ = ["Record"]


class Record(Resource):
    """One record: ``.id``, ``.last_modified``, ``.data``, ``.permissions``, ``save()``.

    ``Record({"title": "milk"})`` gets a client-made UUID4 id, so a retried create can never
    make a duplicate. A tombstone (from ``since()``) has ``.deleted`` True and empty data.

    >>> Record({"id": "r1", "title": "milk"}).data.title
    'milk'
    """

    kind = "record"

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
        collection: Collection | None = None,
    ) -> None:
        raw = dict(data.to_dict() if isinstance(data, Data) else data or {})
        record_id = id if id is not None else raw.get("id")
        if id is not None and raw.get("id") not in (None, id):
            raise ValueError(f"record id {id!r} differs from data['id'] {raw['id']!r}")
        own, last_modified = split_server_fields(raw)
        self.id = validate_id(str(uuid.uuid4()) if record_id is None else record_id, "record")
        self.last_modified = last_modified
        self.deleted = False
        self._data = Data(own)
        self._fingerprint = None  # never saved from here: any data counts as a change
        self._permissions = None
        self._pending_permissions = dict(permissions or {})
        self.collection: Collection | None = None
        if collection is not None:
            self._attach(collection)

    def _attach(self, collection: Collection) -> None:
        if self.collection is not None and self.collection.path != collection.path:
            raise ValueError(f"{self!r} belongs to {self.collection!r}, not {collection!r}")
        self.collection = collection
        self.client = collection.client
        self._bucket_id = collection.bucket.id
        # The records template is expanded once per collection: expanding it per record
        # dominated the cost of a scan (the id itself is already checked).
        self.path = f"{collection.records_path}/{self.id}"
        if self._pending_permissions:
            self._permissions = self._new_permissions(None)
            self.permissions = self._pending_permissions
            self._pending_permissions = {}

    @classmethod
    def _from_server(cls, obj: Mapping[str, Any], collection: Collection) -> Record:
        if obj.get("deleted") is True and set(obj) <= {"id", "last_modified", "deleted"}:
            record = cls({"id": obj["id"], "last_modified": obj["last_modified"]},
                         collection=collection)
            record.deleted = True
        else:
            record = cls(obj, collection=collection)
        record._fingerprint = fingerprint(record.data.to_dict())
        return record

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        return f"<Record {self.id!r}{state} last_modified={self.last_modified}>"

    def _ready(self) -> None:
        if self.collection is None:
            raise ValueError(
                f"{self!r} belongs to no collection: use collection.save_record(record)"
            )

    def delete(self, *, force: bool = False) -> None:
        """Delete this record (``PreconditionFailed`` if it changed since loaded, unless forced)."""
        super().delete(force=force)
        self.deleted = True
