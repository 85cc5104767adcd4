"""One entry of the permissions endpoint (``GET /permissions``): the pure part of
``client.permissions()``, shared by both sides (the query is ``kinto_query._server._async.grants``,
generated into ``kinto_query._server._blocking.grants``)."""

from __future__ import annotations

import dataclasses
from typing import Any, NoReturn

from ..exceptions import InvalidQuery, InvalidResponse

__all__ = ["Grant", "no_item_path", "refuse_timestamps"]


@dataclasses.dataclass(frozen=True)
class Grant:
    """The permissions you hold on one object. ``"write" in grant.permissions``."""

    uri: str
    """The object's path: ``/``, ``/buckets/b``, ``/buckets/b/collections/c``, ``/accounts/a``..."""
    resource_name: str
    """``root``, ``bucket``, ``collection``, ``group``, ``record`` or ``account``."""
    permissions: frozenset[str]
    """E.g. ``{"read", "write", "collection:create", "group:create", "read:attributes"}``."""
    id: str | None = None
    """The object's id (None for the root)."""
    bucket_id: str | None = None
    collection_id: str | None = None
    group_id: str | None = None
    record_id: str | None = None
    account_id: str | None = None

    @classmethod
    def from_server(cls, obj: dict[str, Any]) -> Grant:
        """A grant from the permissions endpoint's JSON."""
        permissions = obj.get("permissions")
        if (not isinstance(obj.get("resource_name"), str) or not isinstance(permissions, list)
                or not all(isinstance(p, str) for p in permissions)):
            raise InvalidResponse(f"not a Kinto permissions entry: {str(obj)[:200]}")
        ids = {name: obj.get(name) for name in
               ("id", "bucket_id", "collection_id", "group_id", "record_id", "account_id")}
        return cls(obj["uri"], obj["resource_name"], frozenset(permissions), **ids)


def no_item_path(uri: str) -> NoReturn:
    raise InvalidQuery("the permissions endpoint has no URL per object: use "
                       "filter(resource_name=..., bucket_id=...).first()")


def refuse_timestamps(*names: str) -> None:
    for name in names:
        if name.lstrip("-").replace("__", ".").split(".")[0] == "last_modified":
            raise InvalidQuery("permission entries have no last_modified (Kinto would ignore "
                               "this silently): filter by resource_name, bucket_id...")
