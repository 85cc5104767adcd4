"""Record: one record of a collection, saved safely (its state: ``_state.RecordState``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._changes import split_server_fields
from .._data import Data, raw_of
from .._endpoints import validate_id
from .._features.record import AsyncRecordFeatures
from .._state import RecordState
from .resource import AsyncResource

if TYPE_CHECKING:
    from .collection import AsyncCollection

__all__ = ["AsyncRecord"]


class AsyncRecord(AsyncRecordFeatures, RecordState, AsyncResource):
    """One record of a collection: ``.id``, ``.last_modified``, ``.data``, ``.permissions``.

    ``collection.record(data)`` makes a new one to save (a client-made UUID4 id when the data
    has none, so a retried create can never make a duplicate); ``collection.record(id=...)``
    is a handle on an existing one. A tombstone (from ``since()``) has ``.deleted`` True.

    >>> todo = Client().bucket("b").collection("todo")
    >>> todo.record({"id": "r1", "title": "milk"}).data.title
    'milk'
    """

    collection: AsyncCollection

    def __init__(
        self,
        collection: AsyncCollection,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,  # the seed's spelling
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        if data is None and permissions is None and id is not None:
            # A handle on an existing record.
            self._setup(collection, validate_id(id, "record"))
            return
        raw = dict(raw_of(data) if isinstance(data, Data) else data or {})
        if id is not None and raw.get("id") not in (None, id):
            raise ValueError(f"record id {id!r} differs from data['id'] {raw['id']!r}")
        given = id if id is not None else raw.get("id")
        if given is None:
            given = collection.transport.id_factory()
        self._setup(collection, validate_id(given, "record"), raw, permissions)
        self.last_modified = split_server_fields(raw)[1]

    def _setup(
        self,
        collection: AsyncCollection,
        record_id: str,
        data: dict[str, Any] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        """The one place a Record is set up; ``record_id`` is already checked."""
        # The records path is expanded once per collection: expanding a template per record
        # dominated the cost of a scan.
        super().__init__(
            collection.transport,
            f"{collection.records_path}/{record_id}",
            collection.bucket.id,
            record_id,
            data=data,
            permissions=permissions,
        )
        self.collection = collection

    async def delete(self, *, force: bool = False, missing_ok: bool = False) -> None:
        """Delete this record (``PreconditionFailed`` if it changed since loaded, unless forced)."""
        await super().delete(force=force, missing_ok=missing_ok)
        self.deleted = True
