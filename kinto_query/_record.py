"""Record: one record of a collection, saved safely."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from ._attachment import Attachment, FileSource, Target, download, upload
from ._changes import split_server_fields
from ._data import Data, raw_of
from ._endpoints import endpoint_path, validate_id
from ._messages import Request
from ._plugins import ATTACHMENTS, requires
from ._resource import Resource
from ._values import dumps
from .exceptions import InvalidQuery, NoAttachment

if TYPE_CHECKING:
    from ._collection import Collection

__all__ = ["Record"]


class _PagePath:
    """``record.path`` of a record built from a page, spelt on first use and kept: most
    records of a scan never need it (a handle's path is set when it is made)."""

    def __get__(self, obj: Record | None, owner: Any = None) -> Any:
        if obj is None:
            return self
        path = obj.__dict__["path"] = f"{obj.collection.records_path}/{obj.id}"
        return path


class _OfCollection:
    """An attribute a record built from a page shares with its collection (its transport,
    its bucket's id), read from there rather than stored in each record: a scan makes many
    records, and few of them ever send a request (a handle stores its own)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Record | None, owner: Any = None) -> Any:
        return self if obj is None else getattr(obj.collection, self.name)


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
    deleted = False
    if not TYPE_CHECKING:  # for type checkers, Resource's ``path: str`` and the others
        path = _PagePath()
        transport = _OfCollection()
        _bucket_id = _OfCollection()

    def __init__(
        self,
        collection: Collection,
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
        collection: Collection,
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

    @classmethod
    def from_server(
        cls,
        collection: Collection,
        obj: Mapping[str, Any],
        fields: tuple[str, ...] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
        *,
        owned: bool = False,
    ) -> Record:
        """A record as the server sent it (an item of a list, or ``data`` of one record);
        ``owned``: ``obj`` is the record's from now on (not copied)."""
        data = obj if owned and type(obj) is dict else dict(obj)
        return cls.from_page(collection, data, fields, permissions)

    @classmethod
    def from_page(
        cls,
        collection: Collection,
        data: dict[str, Any],
        fields: tuple[str, ...] | None,
        permissions: Mapping[str, list[str]] | None,
    ) -> Record:
        """A record from an item of a freshly decoded page, which it keeps (not copied)."""
        return cls.page_factory(collection)(data, fields, permissions)

    @classmethod
    def page_factory(cls, collection: Collection) -> Callable[
            [dict[str, Any], tuple[str, ...] | None, Mapping[str, list[str]] | None], Record]:
        """What builds the records of ``collection`` from the items of its pages (a query's
        factory): ``factory(item, fields, permissions)``, the item kept, not copied.

        This is the one per-record cost of a scan, so a record costs only what is read: it
        holds the four values that differ from record to record and whether it came from the
        server (set as plain attributes: Resource has no ``__setattr__``); its transport and
        bucket id are its collection's; its path, its ``Data`` view and that view's
        change-tracking hook are made on first use. Kinto's own id needs no check. (A
        closure: one Python call per record, where a partial of a classmethod costs more.)
        """
        new = object.__new__

        def from_page(data: dict[str, Any], fields: tuple[str, ...] | None,
                      permissions: Mapping[str, list[str]] | None) -> Record:
            record_id = data.pop("id")
            last_modified = data.pop("last_modified", None)
            record: Record = new(cls)
            record.collection = collection
            record.id = record_id
            record.last_modified = last_modified if type(last_modified) is int else None
            record._raw = data
            record._from_server = True
            if fields is not None:
                record._fields = fields
            if "deleted" in data and len(data) == 1 and data["deleted"] is True:
                del data["deleted"]  # a tombstone: id, last_modified and deleted only
                record.deleted = True
            if permissions is not None:
                record._permissions = record._new_permissions(permissions)
            return record

        return from_page

    def __getitem__(self, key: str) -> NoReturn:
        """Refused with the spelling meant: a record is not a dict (its id, timestamp, data
        and permissions are apart), so ``record["title"]`` would be ambiguous."""
        raise TypeError(
            f"a Record is not a dict: read its fields as record.data[{key!r}], its id as "
            "record.id; json.dumps(record.data) or record.data.to_dict() give its data as JSON, "
            "query.dicts() plain dicts as the server sent them"
        )

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else ""
        return f"<Record {self.id!r}{state} last_modified={self.last_modified}>"

    def delete(self, *, force: bool = False, missing_ok: bool = False) -> None:
        """Delete this record (``PreconditionFailed`` if it changed since loaded, unless forced)."""
        super().delete(force=force, missing_ok=missing_ok)
        self.deleted = True

    # -- attachments (the kinto-attachment plugin) -------------------------------------------

    @property
    def attachment(self) -> Attachment | None:
        """The file attached to this record, as loaded (loads the record on first use), or None.

        Example: ``record.attachment.size``.
        """
        where = f"record {self.id!r}"
        if self._fields is not None and "attachment" not in self._fields:
            raise InvalidQuery(f"{where} was loaded with fields{self._fields}, without its "
                               "attachment: add 'attachment' to fields(), or get() it whole")
        value = raw_of(self.data).get("attachment")
        return None if value is None else Attachment.from_server(value, where)

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

    def _attachment_path(self) -> str:
        return endpoint_path("attachment", bucket=self.collection.bucket.id,
                             collection=self.collection.id, record=self.id)

    def _fields_to_attach(self, action: str) -> dict[str, bytes]:
        """What goes with the file: a new record's data and permissions (the upload creates
        it). Unsaved changes of a loaded record are refused: the reload would drop them."""
        if self.last_modified is None and not self._from_server:
            if self._raw is None and self._permissions is None:
                return {}  # a handle: nothing known, nothing sent
            body = self.create_request().body
            return {name: dumps(value) for name, value in body.items()}
        self.refuse_unsaved(action, permissions=True)
        return {}

    def _reload_if_loaded(self) -> None:
        # The server changed the record (its attachment field, last_modified): a loaded copy
        # is stale, and saving it would fail its If-Match.
        if self._raw is not None or self._permissions is not None:
            self.refresh()
