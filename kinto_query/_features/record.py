"""The record features not yet async: attachments (the kinto-attachment plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._attachment import Attachment, FileSource, Target, download, upload
from .._messages import Request
from .._plugins import ATTACHMENTS, requires
from .._state import RecordState
from ..exceptions import NoAttachment

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncRecordFeatures", "RecordFeatures"]


class AsyncRecordFeatures(RecordState):
    """Not yet async: attachments (``attach()``, ``detach()``, ``download_attachment()``),
    which only the sync ``Record`` has for now. (``attachment``, as loaded, is on both.)"""


class RecordFeatures(RecordState):
    """The sync-only methods of ``Record``: attachments."""

    if TYPE_CHECKING:
        def refresh(self) -> Self: ...

    def attach(self, file: FileSource, *, filename: str | None = None,
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
            attachment = upload(self.transport, self._attachment_path(), file,
                                filename=filename, mimetype=mimetype,
                                fields=self._fields_to_attach("attach"),
                                where=f"record {self.id!r}")
        self._reload_if_loaded()
        return attachment

    def detach(self) -> None:
        """Remove the attached file (``DELETE .../attachment``); the record stays, its
        ``attachment`` None. (kinto-attachment creates the record if it does not exist.)"""
        self._fields_to_attach("detach")
        with requires(ATTACHMENTS):
            self.transport.send(Request("DELETE", self._attachment_path()))
        self._reload_if_loaded()

    def download_attachment(self, target: Target) -> Attachment:
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
        download(self.transport, attachment, target, where=f"record {self.id!r}")
        return attachment

    def _reload_if_loaded(self) -> None:
        # The server changed the record (its attachment field, last_modified): a loaded copy
        # is stale, and saving it would fail its If-Match.
        if self._raw is not None or self._permissions is not None:
            self.refresh()
