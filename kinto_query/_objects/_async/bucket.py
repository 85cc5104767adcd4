"""Bucket: the root of collections and groups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..._config import Config, Options
from ..._endpoints import Endpoint, endpoint_path
from ..._messages import Request
from ..._queries._async.query import AsyncQuery
from ..._server._async.history import AsyncHistoryQuery
from ..._wire._async.transport import AsyncTransport
from ...exceptions import Forbidden, NotFound
from ..features.bucket import AsyncBucketFeatures
from ..state import ResourceState, loader
from .collection import AsyncCollection
from .group import AsyncGroup
from .resource import AsyncResource

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AsyncBucket"]

PermissionLists = Mapping[str, list[str]]
R = TypeVar("R", bound=ResourceState)


class _HasTransport(Protocol):
    transport: AsyncTransport


class AsyncBucket(AsyncBucketFeatures, AsyncResource):
    """A bucket, root of collections and groups. Constructing one sends no request, unless
    ``create=True``: then the bucket is created (with ``data=`` and ``permissions=``) if
    missing, or loaded as it is (never overwritten). It talks through ``client=``, or through
    a transport of its own made from ``config=`` and/or the options of a ``Client``
    (``server_url=``, ``auth=``, ``session=``, ``retry=``, ``deadline=``...).

    >>> Bucket("b", server_url="http://localhost:8888/v1", auth=("alice", "s3cret"))
    <Bucket '/buckets/b'>
    """

    kind = "bucket"

    def __init__(
        self,
        id: str,  # the seed's spelling
        *,
        server_url: str | None = None,
        client: _HasTransport | None = None,
        create: bool = False,
        data: Mapping[str, Any] | None = None,
        permissions: PermissionLists | None = None,
        config: Config | None = None,
        **options: Unpack[Options],
    ) -> None:
        path = endpoint_path("bucket", bucket=id)  # checks the id before anything else
        if client is not None and (config is not None or server_url or options):
            raise TypeError("pass either client= or config=/server_url=/auth=/... (the options "
                            "of a Client), not both")
        if not create and (data is not None or permissions is not None):
            raise TypeError("data= and permissions= go with create=True; else change them, save()")
        self._refuse_create_on_init(create)
        transport = (
            client.transport if client is not None
            else AsyncTransport(server_url, config=config, **options)
        )
        if create:
            super().__init__(transport, path, id, id, data=data or {}, permissions=permissions)
            self._create_on_init()
        else:
            super().__init__(transport, path, id, id)

    async def delete(self, *, force: bool = False, missing_ok: bool = False) -> None:
        """Delete the bucket and everything in it.

        Kinto answers 403 both for a bucket that does not exist and for one you may read but
        not delete: with ``missing_ok=True`` a 403 is accepted only when the bucket cannot be
        read either (missing, or invisible to you: Kinto does not tell those apart).
        """
        try:
            await super().delete(force=force, missing_ok=missing_ok)
        except Forbidden:
            if not missing_ok or await self._visible():
                raise

    async def _visible(self) -> bool:
        """Whether the bucket exists for us (one GET): then a 403 is a refusal, not absence."""
        try:
            await self.transport.send(Request("GET", self.path))
        except (Forbidden, NotFound):
            return False
        return True

    # -- collections ------------------------------------------------------------------------

    def collection(self, collection_id: str) -> AsyncCollection:
        """A handle on a collection of this bucket; no request is made."""
        return AsyncCollection(self, collection_id)

    get_collection = collection

    async def create_collection(
        self,
        collection_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: PermissionLists | None = None,
        exist_ok: bool = False,
    ) -> AsyncCollection:
        """Create a collection; ``AlreadyExists`` if it exists, unless ``exist_ok=True``."""
        collection = AsyncCollection(self, collection_id, data=data or {}, permissions=permissions)
        return await collection.create(exist_ok=exist_ok)

    async def delete_collection(self, collection_id: str, *, missing_ok: bool = False) -> None:
        """Delete a collection and its records; ``NotFound`` if missing, unless
        ``missing_ok=True``."""
        await AsyncCollection(self, collection_id).delete(missing_ok=missing_ok)

    def collections(self) -> AsyncQuery[AsyncCollection]:
        """The lazy query of this bucket's collections (same builders as records)."""
        return self._children("collections", self.collection)

    # -- groups -------------------------------------------------------------------------------

    def group(self, group_id: str) -> AsyncGroup:
        """A handle on a group of this bucket; no request is made."""
        return AsyncGroup(self, group_id)

    get_group = group

    async def create_group(
        self,
        group_id: str,
        members: list[str] | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: PermissionLists | None = None,
        exist_ok: bool = False,
    ) -> AsyncGroup:
        """Create a group (members as an argument or in ``data``); ``AlreadyExists`` if it
        exists, unless ``exist_ok=True``."""
        fields = dict(data or {})
        if members is not None:
            fields["members"] = members
        fields["members"] = list(dict.fromkeys(fields.get("members") or []))
        group = AsyncGroup(self, group_id, data=fields, permissions=permissions)
        return await group.create(exist_ok=exist_ok)

    async def delete_group(self, group_id: str, *, missing_ok: bool = False) -> None:
        """Delete a group; ``NotFound`` if missing, unless ``missing_ok=True``."""
        await AsyncGroup(self, group_id).delete(missing_ok=missing_ok)

    def groups(self) -> AsyncQuery[AsyncGroup]:
        """The lazy query of this bucket's groups."""
        return self._children("groups", self.group)

    # -- history ----------------------------------------------------------------------------

    def history(self) -> AsyncHistoryQuery:
        """The lazy query of this bucket's history, newest first (same builders as records);
        ``history().delete()`` purges it.

        >>> Client().bucket("b").history().filter(action="delete").url
        'http://localhost:8888/v1/buckets/b/history?action=delete'
        """
        return AsyncHistoryQuery.of_bucket(self.transport, self.id)

    def _children(self, plural: Endpoint, handle: Callable[[str], R]) -> AsyncQuery[R]:
        return AsyncQuery(
            self.transport,
            endpoint_path(plural, bucket=self.id),
            loader(handle),
            item_path=lambda child_id: handle(child_id).path,
        )
