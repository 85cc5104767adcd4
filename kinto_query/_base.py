"""What buckets, collections, groups and records share: lazy loading and safe saves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._data import Data
from ._permissions import Permissions
from .exceptions import AlreadyExists, BadRequest, PreconditionFailed

if TYPE_CHECKING:
    import requests
    from typing_extensions import Self

    from ._client import Client

__all__ = ["Resource", "WriteRequest", "fingerprint", "split_server_fields"]

# (method, path, body, headers): one write, sent alone or inside a batch.
WriteRequest = tuple[str, str, Any, dict[str, str]]
_SERVER_FIELDS = ("id", "last_modified")
# A permission change that met a stale view is re-applied on a fresh one this many times.
_PERMISSION_RETRIES = 3


def fingerprint(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def split_server_fields(obj: Mapping[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A server object -> (its own data, last_modified); id and last_modified live apart."""
    data = {k: v for k, v in obj.items() if k not in _SERVER_FIELDS}
    last_modified = obj.get("last_modified")
    return data, last_modified if isinstance(last_modified, int) else None


class Resource:
    """A Kinto object: ``.data`` and ``.permissions`` load on first use; ``save()`` is safe.

    Data is saved with ``If-Match`` and the known ``last_modified``: if the object changed
    meanwhile the server refuses and ``PreconditionFailed.existing`` holds its version.
    Permissions are saved as grants and revocations of single principals (JSON-Patch), so
    concurrent grants of different principals all win.
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
        """Take an answer of the server ({data, permissions}) as the known state.

        Permission changes not yet saved stay pending, on top of the server's permissions.
        """
        data, self.last_modified = split_server_fields(body.get("data") or {})
        self._data = Data(data)
        self._fingerprint = fingerprint(data)
        if "permissions" in body:
            if self._permissions is not None:
                self._permissions = self._permissions.rebased(body["permissions"])
            else:
                self._permissions = self._new_permissions(body["permissions"])

    def _loaded_from_list(self, obj: Mapping[str, Any]) -> Self:
        """Fill from an item of a list answer (data only: permissions stay lazy)."""
        self._load({"data": obj})
        return self

    def refresh(self) -> Self:
        """Reload data and permissions from the server, dropping unsaved changes."""
        self._ready()
        body = self.client._request("GET", self.path).json()
        self._permissions = None
        self._load(body)
        return self

    # -- writes ----------------------------------------------------------------------------

    def _create_request(self) -> WriteRequest:
        body: dict[str, Any] = {"data": self._data.to_dict() if self._data is not None else {}}
        if self._permissions is not None:
            body["permissions"] = self._permissions.to_dict()
        return ("PUT", self.path, body, {"If-None-Match": "*"})

    def _data_request(self, *, force: bool = False) -> WriteRequest | None:
        """The request saving this object's data (creating it if new), or None if unchanged."""
        if self.last_modified is None:
            if self._data is None and self._permissions is None:
                return None
            return self._create_request()
        if self._data is None:
            return None
        if not force and fingerprint(self._data.to_dict()) == self._fingerprint:
            return None
        headers = {} if force else {"If-Match": f'"{self.last_modified}"'}
        # PUT without permissions keeps the server's: they are changed by _permissions_request.
        return ("PUT", self.path, {"data": self._data.to_dict()}, headers)

    def _permissions_request(self) -> WriteRequest | None:
        """The JSON-Patch request granting and revoking what changed, or None."""
        if self._permissions is None:
            return None
        ops, needs_match = self._permissions.patch()
        if not ops:
            return None
        headers = {"Content-Type": "application/json-patch+json"}
        if needs_match:
            headers["If-Match"] = f'"{self.last_modified}"'
        return ("PATCH", self.path, ops, headers)

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
        """Send what changed: data safely (``force=True`` overwrites), then permissions."""
        self._ready()
        request = self._data_request(force=force)
        if request is not None:
            self._load(self._send(request).json())
        retries = 0
        while (request := self._permissions_request()) is not None:
            try:
                self._load(self._send(request).json())
            except (PreconditionFailed, BadRequest) as error:
                # Our view of the permissions is stale (a member created or a principal
                # removed meanwhile): re-apply our changes on the server's current ones.
                stale = isinstance(error, PreconditionFailed) or "JSON Patch" in error.message
                if not stale or retries == _PERMISSION_RETRIES:
                    raise
                retries += 1
                self._load(self.client._request("GET", self.path).json())
        return self

    def delete(self, *, force: bool = False) -> None:
        """Delete the object; if it changed since loaded, ``PreconditionFailed`` unless forced."""
        self._ready()
        headers = {}
        if self.last_modified is not None and not force:
            headers["If-Match"] = f'"{self.last_modified}"'
        self.client._request("DELETE", self.path, headers=headers)
