"""Bucket and Group."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._base import Resource
from ._client import AuthLike, Client
from ._collection import Collection
from ._endpoints import Endpoint, endpoint_path
from ._query import Query

if TYPE_CHECKING:
    import requests

__all__ = ["Bucket", "Group"]

PermissionLists = Mapping[str, list[str]]
R = TypeVar("R", bound=Resource)


def _prepared(
    obj: Resource, data: Mapping[str, Any] | None, permissions: PermissionLists | None
) -> None:
    obj.data = data or {}
    if permissions:
        obj._permissions = obj._new_permissions(None)
        obj.permissions = permissions


class Group(Resource):
    """A group of principals; ``members`` is a list to change in place, then ``save()``."""

    kind = "group"

    def __init__(self, bucket: Bucket, group_id: str) -> None:
        path = endpoint_path("group", bucket=bucket.id, group=group_id)
        super().__init__(bucket.client, path, bucket.id, group_id)
        self.bucket = bucket

    @property
    def members(self) -> list[str]:
        """The group's principals (part of its data)."""
        members = self.data.to_dict().setdefault("members", [])
        if not isinstance(members, list):
            raise TypeError(f"{self!r} has members that are not a list: {members!r}")
        return members

    @members.setter
    def members(self, principals: list[str]) -> None:
        self.data["members"] = list(principals)


class Bucket(Resource):
    """A bucket, root of collections and groups. Constructing one sends no request, unless
    ``create=True``: then the bucket is created (with ``data=`` and ``permissions=``) if
    missing, or loaded as it is (never overwritten).

    >>> Bucket("b", server_url="http://localhost:8888/v1", auth=("alice", "s3cret"))
    <Bucket '/buckets/b'>
    """

    kind = "bucket"

    def __init__(
        self,
        id: str,  # the seed's spelling
        *,
        server_url: str | None = None,
        auth: AuthLike = None,
        session: requests.Session | None = None,
        client: Client | None = None,
        create: bool = False,
        data: Mapping[str, Any] | None = None,
        permissions: PermissionLists | None = None,
    ) -> None:
        path = endpoint_path("bucket", bucket=id)  # checks the id before anything else
        if client is None:
            client = Client(server_url, auth=auth, session=session)
        elif server_url is not None or auth is not None or session is not None:
            raise TypeError("pass either client= or server_url/auth/session, not both")
        if not create and (data is not None or permissions is not None):
            raise TypeError("data= and permissions= go with create=True; else change them, save()")
        super().__init__(client, path, id, id)
        if create:
            _prepared(self, data, permissions)
            self.create(exist_ok=True)

    # -- collections ------------------------------------------------------------------------

    def collection(self, collection_id: str) -> Collection:
        """A handle on a collection of this bucket; no request is made."""
        return Collection(self, collection_id)

    get_collection = collection

    def create_collection(
        self,
        collection_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: PermissionLists | None = None,
        exist_ok: bool = False,
    ) -> Collection:
        """Create a collection; ``AlreadyExists`` if it exists, unless ``exist_ok=True``."""
        collection = Collection(self, collection_id)
        _prepared(collection, data, permissions)
        return collection.create(exist_ok=exist_ok)

    def delete_collection(self, collection_id: str) -> None:
        """Delete a collection and its records."""
        Collection(self, collection_id).delete()

    def collections(self) -> Query[Collection]:
        """The lazy query of this bucket's collections (same builders as records)."""
        return self._children("collections", self.collection)

    # -- groups -------------------------------------------------------------------------------

    def group(self, group_id: str) -> Group:
        """A handle on a group of this bucket; no request is made."""
        return Group(self, group_id)

    get_group = group

    def create_group(
        self,
        group_id: str,
        members: list[str] | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: PermissionLists | None = None,
        exist_ok: bool = False,
    ) -> Group:
        """Create a group; ``AlreadyExists`` if it exists, unless ``exist_ok=True``."""
        group = Group(self, group_id)
        _prepared(group, {**(data or {}), "members": list(members or [])}, permissions)
        return group.create(exist_ok=exist_ok)

    def delete_group(self, group_id: str) -> None:
        """Delete a group."""
        Group(self, group_id).delete()

    def groups(self) -> Query[Group]:
        """The lazy query of this bucket's groups."""
        return self._children("groups", self.group)

    def _children(self, plural: Endpoint, handle: Callable[[str], R]) -> Query[R]:
        return Query(
            self.client,
            endpoint_path(plural, bucket=self.id),
            lambda obj: handle(obj["id"])._loaded_from_list(obj),
            item_path=lambda child_id: handle(child_id).path,
        )
