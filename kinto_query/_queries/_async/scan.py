"""Walking a list endpoint page by page: the loop that sends the requests, and the page
streams built on it (tombstones dropped, the first page's warnings).

One flat loop follows ``Next-Page`` exactly as the server sent it, holding one page at a
time. A failure after some results were handed out raises ``IncompleteScan`` (see
``kinto_query._queries.scan``: the pure part, ``Page`` and ``Position``, shared by both sides).

Every stream here closes the one it reads when it is closed itself (``aclosing``): a consumer
that stops early leaves no request in flight and no page stream open.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..._messages import Request
from ..._values import etag_timestamp
from ..._wire.plugins import requires
from ...exceptions import (
    BackoffRequested,
    HTTPError,
    IncompleteScan,
    InvalidResponse,
    KintoConnectionError,
)
from ..hints import first_page_warnings
from ..scan import Page, Position, objects_of, total_of

if TYPE_CHECKING:
    from ..._wire._async.transport import AsyncTransport

__all__ = ["AsyncPages", "requiring", "scan", "watched", "without_tombstones"]

T_co = TypeVar("T_co", covariant=True)
logger = logging.getLogger("kinto_query")


class AsyncPages(Protocol[T_co]):
    """A stream of pages one at a time, to close when done with it: a generator of this
    module, or a prefetching one (``kinto_query._wire.concurrency``)."""

    def __aiter__(self) -> AsyncIterator[T_co]: ...

    async def __anext__(self) -> T_co: ...

    async def aclose(self) -> None: ...


async def scan(
    transport: AsyncTransport, start: Position, *, key: str = "id"
) -> AsyncGenerator[Page[dict[str, Any]], None]:
    """Pages of raw objects from ``start`` on, following ``Next-Page``; see the module's
    docstring. The caller builds its results from them, as it hands them out. Every object
    must have the string ``key`` (``id``; the permissions endpoint's root entry has only a
    ``uri``)."""
    url: str | None = start.url
    to_skip, remaining = start.skip, start.remaining
    if remaining == 0:
        return
    seen: set[int] = set()  # hashes of the URLs read: a Next-Page pointing back is an error
    delivered = 0
    while url is not None:
        if hash(url) in seen:
            raise InvalidResponse(f"Next-Page points back at a page already read: {url}")
        seen.add(hash(url))
        try:
            response = await transport.send(Request("GET", url))
            objects = objects_of(response.data(), url, key)
            total = total_of(response.headers.get("Total-Objects"), url)
        except (HTTPError, KintoConnectionError, InvalidResponse, BackoffRequested) as error:
            if delivered == 0:
                raise
            here = Position(url, to_skip, remaining).token()
            raise IncompleteScan(error, resume_token=here, delivered=delivered) from error
        url = response.headers.get("Next-Page")
        if to_skip:
            skipped = min(to_skip, len(objects))
            objects, to_skip = objects[skipped:], to_skip - skipped
        if remaining is not None:
            objects = objects[:remaining]
            remaining -= len(objects)
            if remaining == 0:
                url = None
        token = None if url is None else Position(url, 0, remaining).token()
        timestamp = etag_timestamp(response.headers.get("ETag", ""))
        page = Page(objects, timestamp, total, url, token)
        delivered += len(objects)
        # Hold no reference to this page's raw JSON while the next one is fetched.
        del objects, response
        yield page
        del page


async def without_tombstones(
    pages: AsyncPages[Page[dict[str, Any]]],
) -> AsyncGenerator[Page[dict[str, Any]], None]:
    """The same pages without tombstones (``{"id", "deleted": true, "last_modified"}``)."""
    async with aclosing(pages):
        async for page in pages:
            live = [obj for obj in page.items if obj.get("deleted") is not True]
            yield dataclasses.replace(page, items=live)


async def watched(
    pages: AsyncPages[Page[dict[str, Any]]], filters: tuple[tuple[str, str], ...],
    fields: tuple[str, ...],
) -> AsyncGenerator[Page[dict[str, Any]], None]:
    """The same pages; the first one checked by ``first_page_warnings``, each warning logged
    on the ``kinto_query`` logger (level WARNING)."""
    async with aclosing(pages):
        checked = False
        async for page in pages:
            if not checked:
                for warning in first_page_warnings(filters, page.items, fields):
                    logger.warning("%s", warning)
                checked = True
            yield page


async def requiring(
    part: tuple[str, str], pages: AsyncPages[Page[dict[str, Any]]],
) -> AsyncGenerator[Page[dict[str, Any]], None]:
    """The same pages, a 404 while reading them turned into ``NotEnabled`` naming ``part``
    (the plugin or setting an endpoint needs: ``kinto_query._wire.plugins``)."""
    async with aclosing(pages):
        while True:
            with requires(part):  # around the reading only, not what the consumer does
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return
            yield page
