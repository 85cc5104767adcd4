"""Work running at once, per side: hand-written, both sides side by side.

The async source (each layer's ``_async``) names the ``Async*`` classes; its generated sync
twin (``_blocking``) names the others (``AsyncPrefetched`` -> ``Prefetched``,
``AsyncWorkers`` -> ``Workers``...), so code written once runs on both.

Working ahead of the consumer: ``query.prefetch()`` fetches page N+1 while the caller consumes
page N.

- ``Prefetched``: a background thread (the sync scan blocks on the network);
- ``AsyncPrefetched``: an ``asyncio`` task on the running loop.

Both are at most one page ahead (memory stays flat: two pages at most), raise a page's error
where it would have been raised (when the consumer reaches that page), and start no fetch once
the consumer stops: closing them waits for (sync) or cancels (async) the fetch in flight, then
closes the stream they read.

Chunks of a bulk write in flight at once (``concurrency=``):

- ``Workers``: a pool of threads, each with a transport of its own when the transport owns
  its session (requests does not promise a session is safe across threads);
- ``AsyncWorkers``: ``asyncio`` tasks on the running loop, never threads, at most
  ``concurrency`` of them sending at once (a semaphore), all on the one transport (an httpx
  client is safe across tasks).

Stopping them on an error: a thread cannot be stopped, so ``Workers`` lets each chunk in flight
finish; ``AsyncWorkers`` does the same for an ordinary error, but on a cancellation (or
``KeyboardInterrupt``) cancels the chunks in flight, then waits until each has ended, so that
what each learned is in its report and nothing runs on once the bulk write is over.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ._async.transport import AsyncTransport
    from ._blocking.transport import Transport

__all__ = [
    "AsyncJob",
    "AsyncPrefetched",
    "AsyncWorkers",
    "Job",
    "Prefetched",
    "Workers",
]

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


# == chunks of a bulk write at once ============================================================


# -- sync: threads -------------------------------------------------------------------------------


class Job:
    """One piece of work started by ``Workers``."""

    def __init__(self, future: Future[None]) -> None:
        self._future = future

    def result(self) -> None:
        """Wait for it; raise what it raised."""
        self._future.result()


class Workers:
    """Runs work (a function of a transport) in ``concurrency`` threads."""

    def __init__(self, transport: Transport, concurrency: int) -> None:
        self._transport = transport
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="kinto-query-batch")
        self._local = threading.local()
        self._copies: list[Transport] = []
        self._lock = threading.Lock()

    def start(self, work: Callable[[Transport], None]) -> Job:
        return Job(self._pool.submit(self._run, work))

    def _run(self, work: Callable[[Transport], None]) -> None:
        work(self._transport_here())

    def _transport_here(self) -> Transport:
        # An injected session (betamax...) is the caller's: shared, as it was given.
        if not self._transport.owns_session:
            return self._transport
        if not hasattr(self._local, "transport"):
            self._local.transport = self._transport.copy()
            with self._lock:
                self._copies.append(self._local.transport)
        transport: Transport = self._local.transport
        return transport

    def stop(self, error: BaseException) -> None:
        """After ``error``: wait until every work started has ended (a thread cannot be
        stopped, so each chunk in flight finishes and is filed)."""
        self._pool.shutdown(wait=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            copies, self._copies = self._copies, []
        for transport in copies:
            transport.close()


# -- async: asyncio tasks ------------------------------------------------------------------------


class AsyncJob:
    """One piece of work started by ``AsyncWorkers``: an ``asyncio`` task."""

    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def result(self) -> None:
        """Wait for it; raise what it raised (a cancellation of the waiter cancels it)."""
        await self._task


class AsyncWorkers:
    """Runs work (a coroutine function of a transport) as ``asyncio`` tasks, at most
    ``concurrency`` of them at once."""

    def __init__(self, transport: AsyncTransport, concurrency: int) -> None:
        self._transport = transport
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, work: Callable[[AsyncTransport], Awaitable[None]]) -> AsyncJob:
        task = asyncio.ensure_future(self._run(work))
        self._tasks = [t for t in self._tasks if not t.done()] + [task]
        task.add_done_callback(_retrieved)
        return AsyncJob(task)

    async def _run(self, work: Callable[[AsyncTransport], Awaitable[None]]) -> None:
        async with self._slots:
            await work(self._transport)

    async def stop(self, error: BaseException) -> None:
        """After ``error``: each work in flight finishes (an ordinary error), or is cancelled
        (a cancellation, ``KeyboardInterrupt``); returns once every one has ended. Cancelled
        meanwhile (anyio's cancel scopes cancel again at every ``await``), it still waits
        for them, then raises that cancellation."""
        running = [task for task in self._tasks if not task.done()]
        if not isinstance(error, Exception):
            for task in running:
                task.cancel()
        cancelled: BaseException | None = None
        while running:
            try:
                await asyncio.wait(running)
            except asyncio.CancelledError as again:
                cancelled = again
                for task in running:
                    task.cancel()
            running = [task for task in running if not task.done()]
        self._tasks = []
        if cancelled is not None:
            raise cancelled

    async def aclose(self) -> None:
        if any(not task.done() for task in self._tasks):  # only after an error: stop() ran
            await self.stop(asyncio.CancelledError())


def _retrieved(task: asyncio.Task[None]) -> None:
    # What a task raised is raised by its job's result(), or dropped with the work stopped
    # after an error: asyncio need not log it as "never retrieved".
    if not task.cancelled():
        task.exception()
