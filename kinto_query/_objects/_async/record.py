"""Record: one record of a collection, saved safely (its state: ``_objects.state.RecordState``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..._changes import split_server_fields
from ..._data import Data, raw_of
from ..._endpoints import validate_id
from ..._messages import Request
from ..._wire.plugins import ATTACHMENTS, requires
from ...exceptions import NoAttachment
from ..attachment import Attachment, FileSource, Target
from ..features.record import AsyncRecordFeatures
from ..state import RecordState
from .attachment import download, upload
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

    # -- attachments (the kinto-attachment plugin; see _objects/_async/attachment.py) -------------

    async def attach(self, file: FileSource, *, filename: str | None = None,
                     mimetype: str | None = None) -> Attachment:
        """Attach a file (a path or a binary file object, read from where it stands), replacing
        any: one streamed multipart ``POST``; the server's metadata of it.

        ``filename`` defaults to the file's name, ``mimetype`` to a guess from it. A new record
        is created with its data and permissions; a loaded one is reloaded afterwards (one
        ``GET``). Never retried: the file may not be readable twice; an answer lost is settled by
        reading the record back (``OutcomeUnknown`` if it cannot be). The client's ``deadline``
        bounds the whole exchange, upload included: raise it for large files on slow links.

        Example: ``todo.record(id="r1").attach("report.pdf")``.
        """
        with requires(ATTACHMENTS):
            attachment = await upload(self.transport, self._attachment_path(), file,
                                      filename=filename, mimetype=mimetype,
                                      fields=self._fields_to_attach("attach"),
                                      where=f"record {self.id!r}")
        await self._reload_if_loaded()
        return attachment

    async def detach(self) -> None:
        """Remove the attached file (``DELETE .../attachment``); the record stays, its
        ``attachment`` None. (kinto-attachment creates the record if it does not exist.)"""
        self._fields_to_attach("detach")
        with requires(ATTACHMENTS):
            await self.transport.send(Request("DELETE", self._attachment_path()))
        await self._reload_if_loaded()

    async def download_attachment(self, target: Target) -> Attachment:
        """Download the attached file to ``target`` (a path, a folder for the file's own name
        in it, or a binary file object), streamed, its size and SHA-256 checked
        (``HashMismatch``: nothing is left at the path). A path already holding that exact file
        is kept, with no download. Files below the attachments ``base_url`` the server
        advertises (a CDN, as Remote Settings has) are fetched without credentials.

        ``NoAttachment`` if the record has none. Example:
        ``todo.get("r1").download_attachment("report.pdf")``.
        """
        attachment = self.attachment
        if attachment is None:
            raise NoAttachment(f"record {self.id!r} has no attachment ({self.path})")
        await download(self.transport, attachment, target, where=f"record {self.id!r}")
        return attachment

    async def _reload_if_loaded(self) -> None:
        # The server changed the record (its attachment field, last_modified): a loaded copy
        # is stale, and saving it would fail its If-Match.
        if self._raw is not None or self._permissions is not None:
            await self.refresh()
