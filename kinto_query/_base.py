"""What buckets, collections, groups and records share: lazy loading and safe saves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._data import Data
from ._permissions import Permissions
from .exceptions import AlreadyExists, PreconditionFailed

if TYPE_CHECKING:
    import requests
    from typing_extensions import Self

    from ._client import Client

__all__ = ["Resource", "WriteRequest"]

# (method, path, body, headers): one write, sent alone or inside a batch.
WriteRequest = tuple[str, str, "dict[str, Any] | None", dict[str, str]]
_SERVER_FIELDS = ("id", "last_modified")
# A permissions-only save that lost a race is re-applied on the new version this many times.
_PERMISSION_RETRIES = 3


def _fingerprint(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def split_server_fields(obj: Mapping[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A server object -> (its own data, last_modified); id and last_modified live apart."""
    data = {k: v for k, v in obj.items() if k not in _SERVER_FIELDS}
    last_modified = obj.get("last_modified")
    return data, last_modified if isinstance(last_modified, int) else None


class Resource:
    """A Kinto object: ``.data`` and ``.permissions`` load on first use; ``save()`` is safe.

    Saves send ``If-Match`` with the known ``last_modified``: if the object changed meanwhile
    the server refuses and ``PreconditionFailed.existing`` holds its version. A save that only
    changes permissions is re-applied on the newer version instead, so concurrent grants of
    different principals all win.
    """

    kind: ClassVar[str]

    def __init__(self, client: Client, path: str, bucket_id: str, object_id: str) -> None:
        self.client = client
        self.path = path
        self.id = object_id
        self._bucket_id = bucket_id
        self.last_modified: int | None = None
        self._data: Data | None = None
        self._fingerprint: str | None = None
        self._permissions: Permissions | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    def _ready(self) -> None:
        """Raise if the object cannot talk to the server yet (a Record outside a collection)."""

    # -- state ---------------------------------------------------------------------------

    @property
    def data(self) -> Data:
        """The object's fields (fetched on first use): ``obj.data.title``, ``obj.data["title"]``."""
        if self._data is None:
            self.refresh()
        assert self._data is not None
        return self._data

    @data.setter
    def data(self, value: Mapping[str, Any]) -> None:
        raw = value.to_dict() if isinstance(value, Data) else dict(value)
        self._data = Data(split_server_fields(raw)[0])

    @property
    def permissions(self) -> Permissions:
        """The object's permissions (fetched on first use), changed in place, sent on save()."""
        if self._permissions is None:
            self._ready()
            body = self.client._request("GET", self.path).json()
            if self._data is None:
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

    def _new_permissions(self, current: dict[str, list[str]] | None) -> Permissions:
        return Permissions(self.kind, self._bucket_id, current)

    def _load(self, body: Mapping[str, Any]) -> None:
        """Take an answer of the server ({data, permissions}) as the known state."""
        data, self.last_modified = split_server_fields(body.get("data") or {})
        self._data = Data(data)
        self._fingerprint = _fingerprint(data)
        if "permissions" in body:
            self._permissions = self._new_permissions(body["permissions"])

    def _loaded_from_list(self, obj: Mapping[str, Any]) -> Self:
        """Fill from an item of a list answer (data only: permissions stay lazy)."""
        self._load({"data": obj})
        return self

    def refresh(self) -> Self:
        """Reload data and permissions from the server, dropping unsaved changes."""
        self._ready()
        self._load(self.client._request("GET", self.path).json())
        return self

    # -- writes ----------------------------------------------------------------------------

    def _body(self, *, with_permissions: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"data": self._data.to_dict() if self._data is not None else {}}
        if with_permissions and self._permissions is not None:
            body["permissions"] = self._permissions.to_dict()
        return body

    def _create_request(self) -> WriteRequest:
        return ("PUT", self.path, self._body(with_permissions=True), {"If-None-Match": "*"})

    def _save_request(self, *, force: bool = False) -> WriteRequest | None:
        """The one request that saves this object, or None when nothing changed."""
        if self.last_modified is None:
            if self._data is None and self._permissions is None:
                return None
            return self._create_request()
        headers = {} if force else {"If-Match": f'"{self.last_modified}"'}
        changes = self._permissions.changes() if self._permissions is not None else {}
        data_changed = self._data is not None and (
            force or _fingerprint(self._data.to_dict()) != self._fingerprint
        )
        if data_changed:
            # PUT replaces data, and all permissions when given: send them only if changed.
            return ("PUT", self.path, self._body(with_permissions=bool(changes)), headers)
        if changes:
            assert self._permissions is not None
            to_dict = self._permissions.to_dict()
            body = {"permissions": {name: to_dict.get(name, []) for name in changes}}
            return ("PATCH", self.path, body, headers)
        return None

    def _send(self, request: WriteRequest) -> requests.Response:
        method, path, body, headers = request
        return self.client._request(method, path, body=body, headers=headers)

    def create(self, *, exist_ok: bool = False) -> Self:
        """Create the object; if it exists: ``AlreadyExists`` (``.existing``), or with
        ``exist_ok=True`` load it as it is (never overwrite it).
        """
        self._ready()
        try:
            self._load(self._send(self._create_request()).json())
        except AlreadyExists:
            if not exist_ok:
                raise
            self.refresh()
        return self

    def save(self, *, force: bool = False) -> Self:
        """Send what changed. ``force=True`` overwrites whatever the server holds."""
        self._ready()
        request = self._save_request(force=force)
        if request is None:
            return self
        retries = 0
        while True:
            try:
                self._load(self._send(request).json())
                return self
            except PreconditionFailed:
                if request[0] != "PATCH" or retries == _PERMISSION_RETRIES:
                    raise
                retries += 1
            # Only permissions changed and someone saved meanwhile: re-apply ours on theirs.
            current = self.client._request("GET", self.path).json()
            assert self._permissions is not None
            body = {"permissions": self._permissions.rebased(current.get("permissions", {}))}
            headers = {"If-Match": f'"{current["data"]["last_modified"]}"'}
            request = ("PATCH", self.path, body, headers)

    def delete(self, *, force: bool = False) -> None:
        """Delete the object; if it changed since loaded, ``PreconditionFailed`` unless forced."""
        self._ready()
        headers = {}
        if self.last_modified is not None and not force:
            headers["If-Match"] = f'"{self.last_modified}"'
        self.client._request("DELETE", self.path, headers=headers)
