"""kinto_query, awaitable: the same library for asyncio code (FastAPI, aiohttp, scripts).

The async classes are the sync ones' twins: the sync code is generated from this side's
source (``kinto_query._async``), so both behave the same, retries and read-backs included.
Requests go over httpx (the ``aio`` extra: ``pip install kinto_query[aio]``).
"""

from __future__ import annotations

from ._async.query import AsyncListing, AsyncQuery
from ._async.transport import AsyncTransport
from ._messages import AsyncStreamedResponse
from ._wire import AsyncWire, HttpxWire

__all__ = ["AsyncListing", "AsyncQuery", "AsyncStreamedResponse", "AsyncTransport", "AsyncWire",
           "HttpxWire"]
