"""What buckets, collections, groups and records are, whichever side does their I/O: how an
object was loaded, what changed since, and the one request of each kind (create, save, patch,
delete) that writes it. Pure: shared unchanged by the sync classes and the async ones, whose
I/O methods are written once, async, in ``kinto_query/_objects/_async/`` (the sync ones generated).

An object remembers how it was loaded. Loaded whole, it saves with ``PUT`` (or a ``PATCH`` of
its permissions) and ``If-Match``; loaded with ``fields()``, it saves only the fields that
changed, as a merge, never a replacement of what it did not load. Data and permission changes
go in one request, so they land together or not at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

from .._changes import fingerprint, partial_save, split_server_fields
from .._data import TOUCH, Data, new_view, raw_of, set_raw, set_touch
from .._endpoints import endpoint_path
from .._messages import Request, if_match
from .._permissions import Permissions
from .._values import dumps
from ..exceptions import InvalidQuery, InvalidResponse, NotLoaded
from .attachment import Attachment

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["GroupState", "RecordState", "ResourceState", "Toucher", "loader"]


class Toucher(weakref.ref):  # type: ignore[type-arg]
    """What an object's data views call before a change (a weak link: no reference cycle, so
    a record dropped in a scan is freed at once; a weakref subclass: made in C, no __init__)."""

    __slots__ = ()

    def __call__(self) -> None:
        owner = super().__call__()
        if owner is not None:
            owner._before_first_change()


class ResourceState:
    """The state of a Kinto object, shared by the sync and async classes (no I/O here): its
    data and permissions as known, what changed since loaded, and the one request of each
    kind that writes it. The I/O methods (``load``, ``save``...) are
    ``kinto_query._objects._async.resource.AsyncResource``'s, generated into the sync ``Resource``.
    """

    kind: ClassVar[str]
    # Defaults on the class: a record built from a page sets only what it has (see Record).
    _raw: dict[str, Any] | None = None  # the data, as a plain dict (None: not loaded)
    _from_server = False  # its data came from the server (else: new, all a change)
    _snapshot: str | None = None  # the data as loaded, kept at its first change
    _fields: tuple[str, ...] | None = None  # the projection it was loaded with
    _permissions: Permissions | None = None
    _view: Data | None = None  # the view ``data`` hands out, made on its first read

    # The transport of the side (AsyncTransport or Transport), set by the I/O class.
    transport: Any

    def __init__(
        self,
        path: str,
        bucket_id: str,
        object_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        """A handle (nothing loaded, nothing sent), or with ``data``/``permissions`` a new
        object to create."""
        self.path = path
        self.id = object_id
        self._bucket_id = bucket_id
        self.last_modified: int | None = None
        if data is not None or permissions is not None:
            self.data = data or {}
            self._permissions = self._new_permissions(None)
            self.permissions = permissions or {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    # -- state ---------------------------------------------------------------------------

    @property
    def data(self) -> Data:
        """The object's fields: ``obj.data.title``, ``obj.data["title"]``; assigning replaces
        them. Not loaded yet: the sync classes fetch them on first use, the async ones raise
        ``NotLoaded`` (an attribute cannot await: ``await obj.load()`` first).

        One view, made on the first read with the hook through which it tells this object of
        a change (a weak link back, see ``Toucher``): a record of a scan never read costs
        neither. A property, not a ``__setattr__``, so that the attributes of a record are
        set at the interpreter's own speed when a page is read.
        """
        view = self._view
        if view is None:
            raw = self._raw
            if raw is None:
                self._fetch("data")
                raw = self._raw
                assert raw is not None
            # What _data.view does, without its call (this runs once per record read).
            view = self._view = new_view(Data)
            set_raw(view, raw)
            set_touch(view, TOUCH, Toucher(self))
        return view

    @data.setter
    def data(self, value: Mapping[str, Any]) -> None:
        self._replace_data(value)

    def _replace_data(self, value: Mapping[str, Any]) -> None:
        raw = raw_of(value) if isinstance(value, Data) else dict(value)
        self._before_first_change()
        self._set_raw(split_server_fields(raw)[0])

    def _set_raw(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        self._view = None  # its view is made again on first use

    def _before_first_change(self) -> None:
        """Keep the data as loaded, before anything changes it (the views call this)."""
        if self._from_server and self._snapshot is None and self._raw is not None:
            self._snapshot = fingerprint(self._raw)

    @property
    def loaded_fields(self) -> tuple[str, ...] | None:
        """The fields it was loaded with (``fields()``), or None when loaded whole."""
        return self._fields

    @property
    def permissions(self) -> Permissions:
        """The object's permissions, changed in place, sent on save() (not loaded yet: fetched
        on first use by the sync classes, ``NotLoaded`` from the async ones)."""
        if self._permissions is None:
            if self._is_new() and self._raw is not None:
                self._permissions = self._new_permissions(None)  # a new object: none yet
            else:
                self._fetch("permissions")
        assert self._permissions is not None
        return self._permissions

    @permissions.setter
    def permissions(self, value: Mapping[str, list[str]]) -> None:
        permissions = self.permissions
        for name, principals in value.items():
            permissions[name][:] = principals

    def _new_permissions(self, current: Mapping[str, list[str]] | None) -> Permissions:
        return Permissions(self.kind, self._bucket_id, current)

    def _is_new(self) -> bool:
        """Made here to be created: nothing of it came from the server."""
        return self.last_modified is None and not self._from_server

    def _unloaded(self) -> bool:
        """Whether ``load()`` has something to fetch: the data, or the permissions of an
        object that exists (a record of a page comes without them)."""
        return self._raw is None or (self._permissions is None and not self._is_new())

    def _take_loaded(self, body: Mapping[str, Any]) -> None:
        """Take what ``load()`` fetched: all of it, or only the permissions when data is
        already known (the caller's unsaved data is kept)."""
        if self._raw is None:
            self._load(body)
        else:
            self._permissions = self._new_permissions(body.get("permissions"))

    def _fetch(self, what: str) -> None:
        """Called when ``what`` (data, permissions) is read before it was loaded. An attribute
        cannot await, so this refuses; the sync classes load instead (``_objects.features``)."""
        raise NotLoaded(f"{self!r}: its {what} is not loaded: `await {self.kind}.load()` "
                        f"first (an attribute cannot fetch it on first use, as the sync "
                        f"{type(self).__name__.removeprefix('Async')} does)")

    def _load(
        self, body: Mapping[str, Any], fields: tuple[str, ...] | None = None, *, owned: bool = False
    ) -> None:
        """Take an answer of the server ({data, permissions}) as the known state; ``owned``:
        its data dict is ours to keep (a freshly decoded page), so it is not copied.

        Permission changes not yet saved stay pending, on top of the server's permissions.
        """
        obj = body.get("data")
        if not isinstance(obj, Mapping):
            raise InvalidResponse(f"{self.path}: the server's answer has no 'data' object")
        data, self.last_modified = split_server_fields(obj, owned=owned)
        self._set_raw(data)
        self._from_server = True
        self._snapshot = None
        self._fields = fields
        current = body.get("permissions")
        if current is not None and isinstance(current, Mapping):
            if self._permissions is not None:
                self._permissions = self._permissions.rebased(current)
            else:
                self._permissions = self._new_permissions(current)

    def refuse_unsaved(self, action: str, *, permissions: bool = False) -> None:
        """``ValueError`` if this object holds unsaved changes of its data (with
        ``permissions``, of its permissions too) that ``action()`` would drop."""
        unsaved = self.save_request() is not None if permissions else self._changed_data()
        if unsaved:
            raise ValueError(f"{self!r} has unsaved changes that {action}() would drop: save() "
                             "them first, or refresh() to discard them")

    def _changed_data(self) -> bool:
        if self._raw is None:
            return False
        if not self._from_server:
            return True  # new: all of it is to send
        # Nothing touched it since loaded: unchanged, at no cost.
        return self._snapshot is not None and fingerprint(self._raw) != self._snapshot

    # -- the write requests: one builder per kind ------------------------------------------

    def create_request(self, *, force: bool = False) -> Request:
        """``PUT`` of the whole object, failing if it exists (unless ``force``: an upsert)."""
        body: dict[str, Any] = {"data": self._raw if self._raw is not None else {}}
        permissions = self._permissions.to_dict() if self._permissions is not None else {}
        if permissions:  # none given: an upsert (force) keeps those the object has
            body["permissions"] = permissions
        return Request("PUT", self.path, body, {} if force else {"If-None-Match": "*"})

    def replace_request(self, *, permissions: bool = True) -> Request:
        """``PUT`` of the whole object, only if it exists: ``If-Match`` its ``last_modified``
        (replaced only if unchanged since) or, when unknown, ``*`` (only if it exists at all);
        with its permissions (replacing the server's), unless ``permissions=False``.

        >>> todo = Client().bucket("b").collection("todo")
        >>> todo.record({"id": "r1", "last_modified": 7}).replace_request().headers
        {'If-Match': '"7"'}
        """
        body: dict[str, Any] = {"data": self._raw if self._raw is not None else {}}
        if permissions:
            body["permissions"] = (
                self._permissions.to_dict() if self._permissions is not None else {})
        version = self.last_modified
        return Request("PUT", self.path, body,
                       if_match(version) if version is not None else {"If-Match": "*"})

    def save_request(self, *, force: bool = False) -> Request | None:
        """The one request saving what changed (data and permissions together), or None.

        It is a JSON-Patch (which ``POST /batch`` cannot carry) only for a partially loaded
        object whose change a merge cannot express: a removed field, or a change inside a
        nested object loaded in part.
        """
        if self._is_new():
            if self._raw is None and self._permissions is None:
                return None
            return self.create_request(force=force)
        permissions = self._permissions.changed() if self._permissions is not None else {}
        changed_data = self._changed_data()
        overwrite = force and self._fields is None and self._raw is not None
        if not (permissions or changed_data or overwrite):
            return None
        assert self._raw is not None  # changes need loaded data or permissions
        headers = {} if force or self.last_modified is None else if_match(self.last_modified)
        now = self._raw
        if self._fields is None:
            if not (changed_data or overwrite):
                return Request("PATCH", self.path, {"permissions": permissions}, headers)
            body: dict[str, Any] = {"data": now}
            if permissions:
                body["permissions"] = self._permissions.to_dict()  # type: ignore[union-attr]
            return Request("PUT", self.path, body, headers)
        loaded = self._snapshot if self._snapshot is not None else fingerprint(now)
        return partial_save(self.path, loaded, now, self._fields, permissions, headers)

    def patch_request(self, changes: Mapping[str, Any]) -> Request:
        """``PATCH`` setting each named top-level field (``If-Match`` when the version is known)."""
        data, _ = split_server_fields(changes)
        headers = if_match(self.last_modified) if self.last_modified is not None else {}
        return Request("PATCH", self.path, {"data": data}, headers)

    def delete_request(self, *, force: bool = False) -> Request:
        """``DELETE``, with ``If-Match`` when the version is known (unless ``force``)."""
        headers = (
            if_match(self.last_modified) if self.last_modified is not None and not force else {}
        )
        return Request("DELETE", self.path, None, headers)

    def take_answer(
        self, body: Mapping[str, Any], fields: tuple[str, ...] | None = None, *,
        fresh: bool = False,
    ) -> None:
        """Take a server answer (``{"data": ..., "permissions": ...}``) as the known state:
        how queries and bulk writes fill the objects they hand out. ``fresh``: unsaved
        permission changes are dropped too (as ``refresh()`` does), not kept on top."""
        if fresh:
            self._permissions = None
        self._load(body, fields)


R = TypeVar("R", bound=ResourceState)
_RecordT = TypeVar("_RecordT", bound="RecordState")


def loader(
    handle: Callable[[str], R],
) -> Callable[[dict[str, Any], tuple[str, ...] | None, dict[str, Any] | None], R]:
    """A query's factory: the handle of a listed object, filled with what the server sent."""

    def load(
        obj: dict[str, Any], fields: tuple[str, ...] | None, permissions: dict[str, Any] | None
    ) -> R:
        child = handle(obj["id"])
        body = {"data": obj} if permissions is None else {"data": obj, "permissions": permissions}
        child.take_answer(body, fields)
        return child

    return load


# -- records ----------------------------------------------------------------------------------


class _PagePath:
    """``record.path`` of a record built from a page, spelt on first use and kept: most
    records of a scan never need it (a handle's path is set when it is made)."""

    def __get__(self, obj: RecordState | None, owner: Any = None) -> Any:
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

    def __get__(self, obj: RecordState | None, owner: Any = None) -> Any:
        return self if obj is None else getattr(obj.collection, self.name)


class RecordState(ResourceState):
    """What a record is, sync or async: built from the pages of a query at the least cost,
    its attachment as loaded (see ``Record`` for the whole of it)."""

    kind = "record"
    deleted = False
    collection: Any  # its Collection (AsyncCollection), set by the I/O class
    if not TYPE_CHECKING:  # for type checkers, ResourceState's ``path: str`` and the others
        path = _PagePath()
        transport = _OfCollection()
        _bucket_id = _OfCollection()

    @classmethod
    def from_server(
        cls,
        collection: Any,
        obj: Mapping[str, Any],
        fields: tuple[str, ...] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
        *,
        owned: bool = False,
    ) -> Self:
        """A record as the server sent it (an item of a list, or ``data`` of one record);
        ``owned``: ``obj`` is the record's from now on (not copied)."""
        data = obj if owned and type(obj) is dict else dict(obj)
        return cls.from_page(collection, data, fields, permissions)

    @classmethod
    def from_page(
        cls,
        collection: Any,
        data: dict[str, Any],
        fields: tuple[str, ...] | None,
        permissions: Mapping[str, list[str]] | None,
    ) -> Self:
        """A record from an item of a freshly decoded page, which it keeps (not copied)."""
        return cls.page_factory(collection)(data, fields, permissions)

    @classmethod
    def page_factory(cls: type[_RecordT], collection: Any) -> Callable[
            [dict[str, Any], tuple[str, ...] | None, Mapping[str, list[str]] | None], _RecordT]:
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
                      permissions: Mapping[str, list[str]] | None) -> _RecordT:
            record_id = data.pop("id")
            last_modified = data.pop("last_modified", None)
            record: _RecordT = new(cls)
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
        return f"<{type(self).__name__} {self.id!r}{state} last_modified={self.last_modified}>"

    @property
    def attachment(self) -> Attachment | None:
        """The file attached to this record, as loaded (the sync Record loads it on first
        use), or None.

        Example: ``record.attachment.size``.
        """
        where = f"record {self.id!r}"
        if self._fields is not None and "attachment" not in self._fields:
            raise InvalidQuery(f"{where} was loaded with fields{self._fields}, without its "
                               "attachment: add 'attachment' to fields(), or get() it whole")
        value = raw_of(self.data).get("attachment")
        return None if value is None else Attachment.from_server(value, where)

    def _attachment_path(self) -> str:
        return endpoint_path("attachment", bucket=self.collection.bucket.id,
                             collection=self.collection.id, record=self.id)

    def _fields_to_attach(self, action: str) -> dict[str, bytes]:
        """What goes with the file: a new record's data and permissions (the upload creates
        it). Unsaved changes of a loaded record are refused: the reload would drop them."""
        if self._is_new():
            if self._raw is None and self._permissions is None:
                return {}  # a handle: nothing known, nothing sent
            body = self.create_request().body
            return {name: dumps(value) for name, value in body.items()}
        self.refuse_unsaved(action, permissions=True)
        return {}


# -- groups -----------------------------------------------------------------------------------


class GroupState(ResourceState):
    """A group of principals; ``members`` is a list to change in place, then ``save()``.

    Members behave as a set: adding one twice stores it once.
    """

    kind = "group"

    @property
    def members(self) -> list[str]:
        """The group's principals (part of its data)."""
        data = self.data
        if "members" not in data:
            if self.loaded_fields is not None:
                # Reading must not invent an empty list that a save would then store.
                raise AttributeError(
                    f"{self!r} was loaded without its members (fields{self.loaded_fields}): "
                    "refresh() it, or load it with fields('members', ...)"
                )
            data["members"] = []
        members = data["members"]  # a list that notices changes (append, +=, remove...)
        if not isinstance(members, list):
            raise TypeError(f"{self!r} has members that are not a list: {members!r}")
        return members

    @members.setter
    def members(self, principals: list[str]) -> None:
        # A principal is in a group or not: keep the first of each, in order.
        self.data["members"] = list(dict.fromkeys(principals))

    def save_request(self, *, force: bool = False) -> Request | None:
        """As for any object, members first made a set (``members.append`` may repeat one)."""
        if self._raw is not None and isinstance(self._raw.get("members"), list):
            self.members = self._raw["members"]
        return super().save_request(force=force)
