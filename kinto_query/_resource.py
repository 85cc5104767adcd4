"""What buckets, collections, groups and records share: how an object was loaded, what changed
since, and the one request of each kind (create, save, patch, delete) that writes it.

An object remembers how it was loaded. Loaded whole, it saves with ``PUT`` (or a ``PATCH`` of
its permissions) and ``If-Match``; loaded with ``fields()``, it saves only the fields that
changed, as a merge, never a replacement of what it did not load. Data and permission changes
go in one request, so they land together or not at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ._changes import fingerprint, partial_save, split_server_fields
from ._data import TOUCH, Data, new_view, raw_of, set_raw, set_touch
from ._messages import Request, if_match
from ._permissions import Permissions
from ._transport import Transport
from ._wording import names_itself
from .exceptions import (
    AlreadyExists,
    InvalidResponse,
    NotFound,
    Overwritten,
    PreconditionFailed,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Resource", "Toucher", "loader"]

# A permission change that met a newer version is re-applied on it this many times.
_PERMISSION_RETRIES = 3


class Toucher(weakref.ref):  # type: ignore[type-arg]
    """What an object's data views call before a change (a weak link: no reference cycle, so
    a record dropped in a scan is freed at once; a weakref subclass: made in C, no __init__)."""

    __slots__ = ()

    def __call__(self) -> None:
        owner = super().__call__()
        if owner is not None:
            owner._before_first_change()


class Resource:
    """A Kinto object: ``.data`` and ``.permissions`` load on first use; ``save()`` is safe.

    Data is saved with ``If-Match`` and the known ``last_modified``: if the object changed
    meanwhile the server refuses and ``PreconditionFailed.existing`` holds its version. When
    only permissions changed, our changes are re-applied on the server's current permissions,
    so two people granting different principals both win.
    """

    kind: ClassVar[str]
    # Defaults on the class: a record built from a page sets only what it has (see Record).
    _raw: dict[str, Any] | None = None  # the data, as a plain dict (None: not loaded)
    _from_server = False  # its data came from the server (else: new, all a change)
    _snapshot: str | None = None  # the data as loaded, kept at its first change
    _fields: tuple[str, ...] | None = None  # the projection it was loaded with
    _permissions: Permissions | None = None
    _view: Data | None = None  # the view ``data`` hands out, made on its first read

    def __init__(
        self,
        transport: Transport,
        path: str,
        bucket_id: str,
        object_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        """A handle (nothing loaded, nothing sent), or with ``data``/``permissions`` a new
        object to create."""
        self.transport = transport
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
        """The object's fields (fetched on first use): ``obj.data.title``,
        ``obj.data["title"]``; assigning replaces them.

        One view, made on the first read with the hook through which it tells this object of
        a change (a weak link back, see ``Toucher``): a record of a scan never read costs
        neither. A property, not a ``__setattr__``, so that the attributes of a record are
        set at the interpreter's own speed when a page is read.
        """
        view = self._view
        if view is None:
            raw = self._raw
            if raw is None:
                self.refresh()
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
        """The object's permissions (fetched on first use), changed in place, sent on save()."""
        if self._permissions is None:
            if self._raw is not None and self.last_modified is None and not self._from_server:
                self._permissions = self._new_permissions(None)  # a new object: none yet
            else:
                body = self._get()
                if self._raw is None:
                    self._load(body)
                else:  # keep the caller's unsaved data
                    self._permissions = self._new_permissions(body.get("permissions"))
        assert self._permissions is not None
        return self._permissions

    @permissions.setter
    def permissions(self, value: Mapping[str, list[str]]) -> None:
        permissions = self.permissions
        for name, principals in value.items():
            permissions[name][:] = principals

    def _new_permissions(self, current: Mapping[str, list[str]] | None) -> Permissions:
        return Permissions(self.kind, self._bucket_id, current)

    def _get(self) -> dict[str, Any]:
        return self._send(Request("GET", self.path))

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

    def refresh(self) -> Self:
        """Reload data and permissions from the server, dropping unsaved changes."""
        body = self._get()
        self._permissions = None
        self._load(body)
        return self

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
        if self.last_modified is None and not self._from_server:
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

    # -- terminal operations ---------------------------------------------------------------

    def _send(self, request: Request) -> dict[str, Any]:
        response = self.transport.send(request)
        try:
            return response.json_object()
        except InvalidResponse:
            if request.method == "GET":
                raise
            # A write answered, but unreadably (cut short): learn from the server what it holds.
            current = self.transport.read_back(request)
            if current is None:
                raise
            return current.json_object()

    def create(self, *, exist_ok: bool = False) -> Self:
        """Create the object; if it exists: ``AlreadyExists`` (``.existing``), or with
        ``exist_ok=True`` load it as it is (never overwrite it).
        """
        try:
            self._load(self._send(self.create_request()))
        except AlreadyExists:
            if not exist_ok:
                raise
            self.refresh()
        return self

    def save(self, *, force: bool = False, verify: bool = False) -> Self:
        """Send what changed, data and permissions in one request (``force=True`` overwrites).

        Sends nothing when nothing changed. ``PreconditionFailed`` if the object changed
        meanwhile (its ``.existing`` is the server's version), unless only permissions changed:
        those are re-applied on the server's current permissions.

        Kinto checks ``If-Match`` against writes that came before, not against one arriving
        at the same instant: two such saves can both be accepted, the later overwriting the
        earlier. ``verify=True`` reads the object back right after saving and raises
        ``Overwritten`` if another write already replaced ours (one more request; it narrows
        that window, it cannot close it).
        """
        for attempt in range(_PERMISSION_RETRIES + 1):
            request = self.save_request(force=force)
            if request is None:
                return self
            try:
                self._load(self._send(request))
                if verify:
                    self._verify()
                return self
            except PreconditionFailed as error:
                if (isinstance(error, AlreadyExists) or self._changed_data()
                        or attempt == _PERMISSION_RETRIES):
                    raise
                # Someone changed the object since we loaded it; we changed only permissions:
                # re-apply our grants and revocations on the current ones.
                self._load(self._get())
        return self  # pragma: no cover - the loop returns or raises

    def _verify(self) -> None:
        current = self._get()
        _, last_modified = split_server_fields(current["data"])
        if last_modified != self.last_modified:
            raise Overwritten(self.path, current)

    def patch(self, changes: Mapping[str, Any] | None = None, /, **fields: Any) -> Self:
        """Set some top-level fields, leaving the others as they are on the server.

        One ``PATCH``, no read first; with ``If-Match`` when this object knows its version.

        Refused while the object holds unsaved changes of its data (``save()`` them, or
        ``refresh()``), since the server's answer would replace them.

        Example: ``record.patch(status="done")``.
        """
        self.refuse_unsaved("patch")
        self._load(self._send(self.patch_request({**(changes or {}), **fields})))
        return self

    def delete(self, *, force: bool = False, missing_ok: bool = False) -> None:
        """Delete the object (``PreconditionFailed`` if it changed since loaded, unless
        ``force``); ``NotFound`` if it does not exist, unless ``missing_ok=True``.
        """
        try:
            self.transport.send(self.delete_request(force=force))
        except NotFound as error:
            if not (missing_ok and names_itself(error.details, self.kind)):
                raise


R = TypeVar("R", bound=Resource)


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
