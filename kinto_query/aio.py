"""kinto_query, awaitable: the same library for asyncio code (FastAPI, aiohttp, scripts).

The async classes are the sync ones' twins: the sync code is generated from this side's
source (each layer's ``_async``), so both behave the same, retries and read-backs included.
Requests go over httpx (the ``aio`` extra: ``pip install kinto_query[aio]``).

>>> from kinto_query.aio import AsyncClient
>>> async def main() -> None:
...     async with AsyncClient("http://localhost:8888/v1", auth=("alice", "s3cret")) as client:
...         todo = client.bucket("w").collection("todo")
...         record = await todo.create_record({"title": "milk"})
...         record.data.status = "done"
...         await record.save()

What differs from the sync API: every method that talks to the server is awaited, and an
attribute cannot await, so an object's ``data`` and ``permissions`` are read only once loaded
(``await obj.load()``, or as a query or a write hands it out): before, ``NotLoaded``. Errors
are the sync ones (``PreconditionFailed``, ``AlreadyExists``, ``NotFound``...). Bulk writes
(``await todo.create_records(...)``...) and mixed batches (``async with client.batch() as
batch:``) are the sync ones awaited, their chunks in flight at once ``asyncio`` tasks; a
cancellation leaves the report of what was sent on the ``CancelledError`` (``.report``), as
any exception leaving them does. History (``async for entry in bucket.history()``),
permissions (``client.permissions()``), accounts (``client.accounts``, ``await
client.whoami()``), attachments, changes and Remote Settings (``await collection.changeset()``,
``client.monitor()``, ``await client.fetch_changed()``, the review steps, ``await
collection.diff(...)``/``sync(...)``) are async too, and so are Arrow and pandas output
(``async for batch in query.iter_batches()``, ``await query.to_arrow()``, ``await
query.to_pandas()``); ``await query.to_dask_bag(k)``/``to_dask_dataframe(k)`` build the
sync side's lazy Dask collection, its parts read by sync clients in Dask's workers.
"""

from __future__ import annotations

# httpx imported now, with kinto_query.aio (it needs it anyway): not lazily by the first
# HttpxWire, which is made inside a running event loop, blocking it for the import (~0.5 s).
import httpx  # noqa: F401

from ._messages import AsyncStreamedResponse
from ._objects._async.bucket import AsyncBucket
from ._objects._async.client import AsyncClient
from ._objects._async.collection import AsyncCollection, AsyncRecordQuery
from ._objects._async.group import AsyncGroup
from ._objects._async.mixed_batch import AsyncBatch
from ._objects._async.record import AsyncRecord
from ._objects._async.resource import AsyncResource
from ._queries._async.query import AsyncListing, AsyncQuery
from ._server._async.accounts import AsyncAccounts
from ._server._async.changes_feed import AsyncChanges, AsyncWatch
from ._server._async.grants import AsyncGrantQuery
from ._server._async.history import AsyncHistoryQuery
from ._server._async.monitor import AsyncMonitor
from ._server._async.replicate import replicate
from ._server._async.signature import AsyncSignatureVerifier, verify_signature
from ._wire._async.transport import AsyncTransport
from ._wire.http import AsyncWire, HttpxWire
from .exceptions import NotLoaded

__all__ = [
    "AsyncAccounts",
    "AsyncBatch",
    "AsyncBucket",
    "AsyncChanges",
    "AsyncClient",
    "AsyncCollection",
    "AsyncGrantQuery",
    "AsyncGroup",
    "AsyncHistoryQuery",
    "AsyncListing",
    "AsyncMonitor",
    "AsyncQuery",
    "AsyncRecord",
    "AsyncRecordQuery",
    "AsyncResource",
    "AsyncSignatureVerifier",
    "AsyncStreamedResponse",
    "AsyncTransport",
    "AsyncWatch",
    "AsyncWire",
    "HttpxWire",
    "NotLoaded",
    "replicate",
    "verify_signature",
]
