"""The I/O of every Kinto object (bucket, collection, group, record): load, create, save,
patch, delete. Their state and request builders are ``kinto_query._objects.state.ResourceState``'s.

Data is saved with ``If-Match`` and the known ``last_modified``: if the object changed
meanwhile the server refuses and ``PreconditionFailed.existing`` holds its version. When
only permissions changed, our changes are re-applied on the server's current permissions,
so two people granting different principals both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..._changes import split_server_fields
from ..._messages import Request
from ..._wording import names_itself
from ...exceptions import AlreadyExists, InvalidResponse, NotFound, Overwritten, PreconditionFailed
from ..features.resource import AsyncResourceFeatures
from ..state import ResourceState

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..._wire._async.transport import AsyncTransport

__all__ = ["AsyncResource"]

# A permission change that met a newer version is re-applied on it this many times.
_PERMISSION_RETRIES = 3


class AsyncResource(AsyncResourceFeatures, ResourceState):
    """A Kinto object: ``.data`` and ``.permissions``, ``load()`` them; ``save()`` is safe.

    Data is saved with ``If-Match`` and the known ``last_modified``: if the object changed
    meanwhile the server refuses and ``PreconditionFailed.existing`` holds its version. When
    only permissions changed, our changes are re-applied on the server's current permissions,
    so two people granting different principals both win.
    """

    transport: AsyncTransport

    def __init__(
        self,
        transport: AsyncTransport,
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
        super().__init__(path, bucket_id, object_id, data=data, permissions=permissions)

    async def _get(self) -> dict[str, Any]:
        return await self._send(Request("GET", self.path))

    async def load(self) -> Self:
        """Fetch the data and permissions not loaded yet (one ``GET``, none when both are
        known), keeping unsaved changes: unsaved data stays as it is, unsaved permission
        changes are re-applied on those the server sent (``refresh()`` drops both)."""
        if self._unloaded():
            self._take_loaded(await self._get())
        return self

    async def refresh(self) -> Self:
        """Reload data and permissions from the server, dropping unsaved changes."""
        body = await self._get()
        self._permissions = None
        self._load(body)
        return self

    async def _send(self, request: Request) -> dict[str, Any]:
        response = await self.transport.send(request)
        try:
            return response.json_object()
        except InvalidResponse:
            if request.method == "GET":
                raise
            # A write answered, but unreadably (cut short): learn from the server what it holds.
            current = await self.transport.read_back(request)
            if current is None:
                raise
            return current.json_object()

    async def create(self, *, exist_ok: bool = False) -> Self:
        """Create the object; if it exists: ``AlreadyExists`` (``.existing``), or with
        ``exist_ok=True`` load it as it is (never overwrite it).
        """
        try:
            self._load(await self._send(self.create_request()))
        except AlreadyExists:
            if not exist_ok:
                raise
            await self.refresh()
        return self

    async def save(self, *, force: bool = False, verify: bool = False) -> Self:
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
                self._load(await self._send(request))
                if verify:
                    await self._verify()
                return self
            except PreconditionFailed as error:
                if (isinstance(error, AlreadyExists) or self._changed_data()
                        or attempt == _PERMISSION_RETRIES):
                    raise
                # Someone changed the object since we loaded it; we changed only permissions:
                # re-apply our grants and revocations on the current ones.
                self._load(await self._get())
        return self  # pragma: no cover - the loop returns or raises

    async def _verify(self) -> None:
        current = await self._get()
        _, last_modified = split_server_fields(current["data"])
        if last_modified != self.last_modified:
            raise Overwritten(self.path, current)

    async def patch(self, changes: Mapping[str, Any] | None = None, /, **fields: Any) -> Self:
        """Set some top-level fields, leaving the others as they are on the server.

        One ``PATCH``, no read first; with ``If-Match`` when this object knows its version.

        Refused while the object holds unsaved changes of its data (``save()`` them, or
        ``refresh()``), since the server's answer would replace them.

        Example: ``record.patch(status="done")``.
        """
        self.refuse_unsaved("patch")
        self._load(await self._send(self.patch_request({**(changes or {}), **fields})))
        return self

    async def delete(self, *, force: bool = False, missing_ok: bool = False) -> None:
        """Delete the object (``PreconditionFailed`` if it changed since loaded, unless
        ``force``); ``NotFound`` if it does not exist, unless ``missing_ok=True``.
        """
        try:
            await self.transport.send(self.delete_request(force=force))
        except NotFound as error:
            if not (missing_ok and names_itself(error.details, self.kind)):
                raise
