"""A collection's changeset (kinto-changes, Remote Settings), read: one ``GET .../changeset``.
The changeset itself, its query string and the reading of its answer are the pure
``kinto_query._server.changeset``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._messages import Request, Response
from ..._objects._async.record import AsyncRecord
from ...exceptions import NotFound
from ..changeset import Changeset, changes_not_enabled, changeset_path, parse_changeset

if TYPE_CHECKING:
    from ..._objects._async.collection import AsyncCollection
    from ..._wire._async.transport import AsyncTransport

__all__ = ["read_changeset", "send_changes"]


async def send_changes(transport: AsyncTransport, request: Request) -> Response:
    """Send a request to kinto-changes (a changeset, the monitor): a 404 from a server
    without it is ``NotEnabled``."""
    try:
        return await transport.send(request)
    except NotFound as error:
        instead = changes_not_enabled(error, await transport.server_info())
        if instead is None:
            raise
        raise instead from None


async def read_changeset(collection: AsyncCollection, *, since: int | None, expected: int,
                         limit: int | None = None,
                         transport: AsyncTransport | None = None) -> Changeset[AsyncRecord]:
    """One ``GET .../changeset`` (through ``transport``, e.g. a worker's own; the records are
    bound to ``collection`` all the same)."""
    transport = transport or collection.transport
    path = changeset_path(collection.bucket.id, collection.id, expected, since, limit)
    response = await send_changes(transport, Request("GET", path))
    metadata, timestamp, changes = parse_changeset(response.json(), response.url)
    records = tuple(AsyncRecord.from_server(collection, obj, owned=True) for obj in changes)
    return Changeset(bucket=collection.bucket.id, collection=collection.id, timestamp=timestamp,
                     metadata=metadata, changes=records, since=since, expected=expected)
