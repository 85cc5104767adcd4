"""The permissions endpoint (``GET /permissions``): what you may do, where, as a lazy query.

Kinto lists every object on which the current user holds a permission, directly or through
a group or a principal such as ``system.Authenticated``, with the permissions it implies
(``write`` brings ``read``). Its entries are not stored objects: they have no timestamps
(``since``/``before`` and filters on ``last_modified`` are silently dropped by Kinto, so they
are refused here), the root entry has no id (entries are keyed by ``uri``), and the endpoint
is off unless ``kinto.experimental_permissions_endpoint = true``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._endpoints import endpoint_path
from ..._queries._async.query import AsyncListing
from ..._queries._async.scan import AsyncPages, requiring
from ..._queries.scan import Page
from ..._wire.plugins import PERMISSIONS_ENDPOINT, requires
from ..grant import Grant, no_item_path, refuse_timestamps

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..._wire._async.transport import AsyncTransport

__all__ = ["AsyncGrantQuery"]


class AsyncGrantQuery(AsyncListing[Grant]):
    """The lazy query of what you may do where (``GET /permissions``), every page followed.
    Filters on the entries' fields: ``filter(resource_name="collection", bucket_id="b")``.
    Entries have no timestamps, no URL of their own and cannot be deleted here: it has no
    ``since``, ``before``, ``partition``, ``fields``, ``get`` nor ``delete``.

    >>> Client().permissions().filter(resource_name="bucket").url
    'http://localhost:8888/v1/permissions?resource_name=bucket'
    """

    _item_key = "uri"  # the root entry has no id

    @classmethod
    def of_server(cls, transport: AsyncTransport) -> AsyncGrantQuery:
        """The permissions of the transport's user on its server."""
        return cls(transport, endpoint_path("permissions"),
                   lambda obj, _fields, _permissions: Grant.from_server(obj),
                   item_path=no_item_path)

    # -- builders: the ones that apply ----------------------------------------------------

    def filter(self, /, **lookups: Any) -> Self:
        """Keep what matches every lookup: ``filter(resource_name="record", bucket_id="b")``."""
        refuse_timestamps(*lookups)
        return super().filter(**lookups)

    def exclude(self, /, **lookups: Any) -> Self:
        """Drop what matches: ``exclude(resource_name="root")``."""
        refuse_timestamps(*lookups)
        return super().exclude(**lookups)

    def sort(self, *fields: str) -> Self:
        """Order by entry fields (Kinto always adds ``uri`` last)."""
        refuse_timestamps(*(f for f in fields if isinstance(f, str)))
        return super().sort(*fields)

    # -- terminal operations: a 404 there means the endpoint is off ---------------------

    def _raw_pages(self) -> AsyncPages[Page[dict[str, Any]]]:
        return requiring(PERMISSIONS_ENDPOINT, super()._raw_pages())

    async def count(self) -> int:
        """How many entries match (one ``HEAD``)."""
        with requires(PERMISSIONS_ENDPOINT):
            return await super().count()
