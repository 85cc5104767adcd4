"""The permissions endpoint (``GET /permissions``): what you may do, where, as a lazy query.

Kinto lists every object on which the current user holds a permission, directly or through
a group or a principal such as ``system.Authenticated``, with the permissions it implies
(``write`` brings ``read``). Its entries are not stored objects: they have no timestamps
(``since``/``before`` and filters on ``last_modified`` are silently dropped by Kinto, so they
are refused here), the root entry has no id (entries are keyed by ``uri``), and the endpoint
is off unless ``kinto.experimental_permissions_endpoint = true``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, NoReturn

from ._endpoints import endpoint_path
from ._plugins import PERMISSIONS_ENDPOINT, requires
from ._query import Listing
from ._scan import Page
from ._transport import Transport
from .exceptions import InvalidQuery, InvalidResponse

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Grant", "GrantQuery"]


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


def _no_item_path(uri: str) -> NoReturn:
    raise InvalidQuery("the permissions endpoint has no URL per object: use "
                       "filter(resource_name=..., bucket_id=...).first()")


def _refuse_timestamps(*names: str) -> None:
    for name in names:
        if name.lstrip("-").replace("__", ".").split(".")[0] == "last_modified":
            raise InvalidQuery("permission entries have no last_modified (Kinto would ignore "
                               "this silently): filter by resource_name, bucket_id...")


class GrantQuery(Listing[Grant]):
    """The lazy query of what you may do where (``GET /permissions``), every page followed.
    Filters on the entries' fields: ``filter(resource_name="collection", bucket_id="b")``.
    Entries have no timestamps, no URL of their own and cannot be deleted here: it has no
    ``since``, ``before``, ``partition``, ``fields``, ``get`` nor ``delete``.

    >>> Client().permissions().filter(resource_name="bucket").url
    'http://localhost:8888/v1/permissions?resource_name=bucket'
    """

    _item_key = "uri"  # the root entry has no id

    @classmethod
    def of_server(cls, transport: Transport) -> GrantQuery:
        """The permissions of the transport's user on its server."""
        return cls(transport, endpoint_path("permissions"),
                   lambda obj, _fields, _permissions: Grant.from_server(obj),
                   item_path=_no_item_path)

    # -- builders: the ones that apply ----------------------------------------------------

    def filter(self, /, **lookups: Any) -> Self:
        """Keep what matches every lookup: ``filter(resource_name="record", bucket_id="b")``."""
        _refuse_timestamps(*lookups)
        return super().filter(**lookups)

    def exclude(self, /, **lookups: Any) -> Self:
        """Drop what matches: ``exclude(resource_name="root")``."""
        _refuse_timestamps(*lookups)
        return super().exclude(**lookups)

    def sort(self, *fields: str) -> Self:
        """Order by entry fields (Kinto always adds ``uri`` last)."""
        _refuse_timestamps(*(f for f in fields if isinstance(f, str)))
        return super().sort(*fields)

    # -- terminal operations: a 404 there means the endpoint is off ---------------------

    def _raw_pages(self) -> Generator[Page[dict[str, Any]], None, None]:
        with requires(PERMISSIONS_ENDPOINT):
            yield from super()._raw_pages()

    def count(self) -> int:
        """How many entries match (one ``HEAD``)."""
        with requires(PERMISSIONS_ENDPOINT):
            return super().count()
