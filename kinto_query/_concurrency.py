"""Working ahead of the consumer, per side: the one concurrency primitive of the queries.

``query.prefetch()`` fetches page N+1 while the caller consumes page N. How differs per side,
so both versions live here, side by side (hand-written; the async source names
``AsyncPrefetched``, its generated sync twin ``Prefetched``):

- ``Prefetched``: a background thread (the sync scan blocks on the network);
- ``AsyncPrefetched``: an ``asyncio`` task on the running loop.

Both are at most one page ahead (memory stays flat: two pages at most), raise a page's error
where it would have been raised (when the consumer reaches that page), and start no fetch once
the consumer stops: closing them waits for (sync) or cancels (async) the fetch in flight, then
closes the stream they read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPrefetched", "Prefetched"]

T = TypeVar("T")
_END: Any = object()  # what a fetch returns when the stream is over


class Prefetched(Generic[T]):
    """The items of ``items``, each next one fetched in a background thread while the
    consumer holds the current one."""

    def __init__(self, items: Generator[T, None, None]) -> None:
        self._items = items
        self._worker: ThreadPoolExecutor | None = None
        self._ahead: Future[T] | None = None
        self._closed = False

    def __iter__(self) -> Prefetched[T]:
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        if self._worker is None:  # the first fetch starts with the first request for an item
            self._worker = ThreadPoolExecutor(max_workers=1,
                                              thread_name_prefix="kinto-query-prefetch")
            self._ahead = self._worker.submit(next, self._items, _END)
        assert self._ahead is not None
        try:
            item = self._ahead.result()
        except BaseException:
            self.close()
            raise
        if item is _END:
            self.close()
            raise StopIteration
        self._ahead = self._worker.submit(next, self._items, _END)
        return item

    def close(self) -> None:
        """Stop: no new fetch; the one in flight finishes and is dropped."""
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)
        self._items.close()  # idle now

    def __del__(self) -> None:
        self.close()


class AsyncPrefetched(Generic[T]):
    """The items of ``items``, each next one fetched by an ``asyncio`` task while the consumer
    holds the current one. Closing it (``aclose()``, which the query's streams do when their
    consumer stops, breaks out or is cancelled) cancels that task and waits for it: no task
    outlives the scan."""

    def __init__(self, items: AsyncGenerator[T, None]) -> None:
        self._items = items
        self._ahead: asyncio.Future[T] | None = None
        self._closed = False

    def __aiter__(self) -> AsyncPrefetched[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        if self._ahead is None:  # the first fetch starts with the first request for an item
            self._ahead = self._fetch()
        try:
            # A cancellation of the consumer here cancels the fetch too (a task cancels the
            # future it awaits); aclose() then waits for it to end.
            item = await self._ahead
        except BaseException:
            await self.aclose()
            raise
        if item is _END:
            await self.aclose()
            raise StopAsyncIteration
        self._ahead = self._fetch()
        return item

    def _fetch(self) -> asyncio.Future[T]:
        return asyncio.ensure_future(anext(self._items, _END))

    async def aclose(self) -> None:
        """Stop: the fetch in flight is cancelled and awaited, then the stream closed."""
        if self._closed:
            return
        self._closed = True
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if not ahead.done():
                ahead.cancel()
                # wait() never raises the fetch's error (nor its cancellation): only ours.
                await asyncio.wait([ahead])
            if not ahead.cancelled():
                ahead.exception()  # retrieved: asyncio logs no "never retrieved" error
        await self._items.aclose()  # idle now: no fetch runs it

