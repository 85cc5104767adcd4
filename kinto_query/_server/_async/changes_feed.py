"""What changed in a collection since a timestamp, its timestamp, and watching it for changes.

Kinto keeps no log of changes: ``GET .../records?_since=T`` answers the current version of
each record changed after ``T`` and a tombstone (``{"id", "deleted": true,
"last_modified"}``) for each one deleted. Timestamps are unique in a collection and grow
with each write, so the records are asked oldest first (``_sort=last_modified``) with an
upper bound, and each change comes exactly once across rounds:

- The bound is the ``ETag`` of the FIRST page: the collection timestamp ``E`` when the read
  began. Kinto computes it before reading the records, so a write landing in between can
  already be on the first page, and writes landing while later pages are read come after
  ``E``: both are left out of this round (the reading stops at the first one, as the pages
  are in order) and come in the next one, which asks ``_since=E``. A record changed again
  while the pages are read thus comes once, in its newer version, in the next round.
- Oldest first, the last change handed out is where to go on from, at any moment: every
  change up to it was handed out and none after it. ``timestamp`` is that place (``E`` once the
  round is read to the end), so an interrupted round resumes with nothing missed or repeated.
- ``If-None-Match: "<since>"`` makes an unchanged collection answer ``304 Not Modified``,
  with no body: polling an idle collection costs one small request per poll.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from ..._messages import Request, Response
from ..._objects._async.record import AsyncRecord
from ...exceptions import InvalidResponse
from ..feed import Flag, checked_interval, modified_of, parse_etag, since_value

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..._objects._async.collection import AsyncCollection

__all__ = ["AsyncChanges", "AsyncWatch", "collection_timestamp"]

# The longest a watch sleeps at once: how soon a stop() ends its wait.
_SLICE = 0.05


async def collection_timestamp(collection: AsyncCollection) -> int:
    """The collection timestamp (milliseconds), from the ``ETag`` of one ``GET`` of at most
    one record, asking only its id (a ``HEAD`` would make the server count every record)."""
    query = collection.records().fields("id").limit(1)
    return parse_etag(await collection.transport.send(Request("GET", query.url)))


class AsyncChanges:
    """The changes of a collection since a timestamp, read once, oldest first: each a
    ``Record``, a deleted one with ``.deleted`` True (and no data).

    ``timestamp`` (an int, milliseconds) is what to pass as ``since`` next time: once every
    change is read, the collection's timestamp (its ``ETag``) when the reading began; before
    that (an interruption, a ``break``) the timestamp of the last change handed out. Either
    way no change is missed or repeated.
    Kinto does not say whether a change is a creation or an update: it sends the current
    version either way (a record unknown to you was created).

    >>> changes = Client().bucket("b").collection("todo").changes(since='"1700000000000"')
    >>> changes.url
    'http://localhost:8888/v1/buckets/b/collections/todo/records?_sort=last_modified&_since=1700000000000'
    """

    def __init__(self, collection: AsyncCollection, since: Any = None, *,
                 page_size: int | None = None) -> None:
        self.collection = collection
        self.since = since_value(collection.records(), since)
        query = collection.records().sort("last_modified")
        if self.since is not None:
            query = query.since(self.since)
        if page_size is not None:
            query = query.page_size(page_size)
        self.url = query.url
        self.requests = 0
        """Requests sent so far (a 304 counts: one request)."""
        self.modified: bool | None = None
        """False when the server answered 304 Not Modified; None before the first request."""
        self._position = self.since
        self._upper: int | None = None  # where a complete round leaves the timestamp
        self._bound = 0  # the first page's ETag: later changes are the next round's
        self._started = False
        self._complete = False
        self._objects: list[Any] = []  # the page being handed out, reversed
        self._page_url = self.url
        self._next_page: str | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} since={self.since} timestamp={self.timestamp}>"

    @property
    def timestamp(self) -> int | None:
        """Where to go on from (see the class), in milliseconds; None while nothing is known
        (no ``since``, nothing read yet)."""
        return self._position

    @property
    def complete(self) -> bool:
        """Whether every change up to the bound was read."""
        return self._complete

    # A plain iterator, not a generator: one dropped half-read (a ``break``, a cancelled task)
    # holds no suspended frame, so nothing is left to close, no task to finalize it.

    def __aiter__(self) -> AsyncReading:
        if self._started:
            raise RuntimeError("changes are read once: ask collection.changes(since="
                               "changes.timestamp) for what came since")
        self._started = True
        return AsyncReading(self)

    async def _next(self) -> AsyncRecord:
        """The next change; the iteration ends once the round is read."""
        if self._complete:
            raise StopAsyncIteration
        if self._upper is None:
            await self._first_page()
        while True:
            if self._objects:
                return self._change(self._objects.pop())
            if self._complete:
                raise StopAsyncIteration
            if self._next_page is None:
                self._finish()
                raise StopAsyncIteration
            self._take(await self.collection.transport.send(Request("GET", self._next_page)))

    async def _first_page(self) -> None:
        headers = {"If-None-Match": f'"{self.since}"'} if self.since is not None else {}
        response = await self.collection.transport.send(Request("GET", self.url, headers=headers))
        self.modified = response.status != 304
        if not self.modified:
            self.requests += 1
            self._complete = True
            raise StopAsyncIteration
        upper = parse_etag(response)
        # A since newer than the collection (a clock gone back, a hand-made value): keep it,
        # never hand out again what the caller already had.
        self._upper = upper if self.since is None else max(upper, self.since)
        self._bound = upper
        self._take(response)

    def _take(self, response: Response) -> None:
        """Hold one page (its objects, in reverse to pop them in order) and where the next is."""
        self.requests += 1
        objects = response.data()
        self._page_url = response.url
        if not isinstance(objects, list):
            raise InvalidResponse(f"GET {self._page_url}: 'data' is not a list")
        objects.reverse()
        self._objects = objects
        self._next_page = response.headers.get("Next-Page")

    def _change(self, obj: Any) -> AsyncRecord:
        url = self._page_url
        modified = modified_of(obj)
        if modified is None:
            raise InvalidResponse(f"GET {url}: a change without id or last_modified: "
                                  f"{str(obj)[:200]}")
        if modified > self._bound:
            # Written after the read began: in the next round (all after it too).
            self._objects = []
            self._finish()
            raise StopAsyncIteration
        if self._position is not None and modified <= self._position:
            raise InvalidResponse(f"GET {url}: changes out of order ({modified} after "
                                  f"{self._position}): not sorted by last_modified")
        record = AsyncRecord.from_server(self.collection, obj, owned=True)
        self._position = modified
        return record

    def _finish(self) -> None:
        self._position = self._upper
        self._complete = True


class AsyncReading:
    """The one reading of an ``AsyncChanges``: what iterating it gives (an iterator, whose
    ``__aiter__`` is itself, as a generator's is)."""

    def __init__(self, changes: AsyncChanges) -> None:
        self._changes = changes

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> AsyncRecord:
        return await self._changes._next()


class AsyncWatch:
    """Polls a collection for changes, handing them out as ``Record`` objects, oldest first.

    Each poll is one ``GET`` with ``If-None-Match``: an unchanged collection answers 304 and
    the poll yields nothing. Polls are ``interval`` seconds apart, longer while the server
    asks clients to back off (``Backoff`` header). It stops when ``stop()`` is called (from
    any thread, or inside the loop), when ``stop_event`` is set, or when the loop breaks; no
    thread is started. ``timestamp`` is, at any moment, where a new watch would go on from.

    Example::

        watcher = todo.watch(since=saved, interval=2.0)
        for record in watcher:
            apply(record)
            saved = watcher.timestamp
    """

    def __init__(self, collection: AsyncCollection, since: Any = None, *, interval: float = 5.0,
                 page_size: int | None = None,
                 stop_event: Flag | None = None) -> None:
        self.interval = checked_interval(interval)
        self.collection = collection
        self.page_size = page_size
        self._position = since_value(collection.records(), since)
        self._stop: Flag = stop_event if stop_event is not None else threading.Event()
        self.polls = 0
        """Polls made so far."""
        self._requests = 0  # those of the rounds done
        self._round: AsyncChanges | None = None

    def __repr__(self) -> str:
        state = "stopped" if self._stop.is_set() else f"every {self.interval:g} s"
        return (f"<{type(self).__name__} {self.collection.path!r} {state} "
                f"timestamp={self.timestamp}>")

    @property
    def timestamp(self) -> int | None:
        """Where to go on from (milliseconds): every change up to it was handed out, none
        after it."""
        return self._position

    def stop(self) -> None:
        """Stop watching: a wait in progress ends at once, a poll after its current change."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """Whether ``stop()`` was called (or ``stop_event`` set)."""
        return self._stop.is_set()

    # A plain iterator, as ``AsyncChanges`` is: a loop that breaks, or a task cancelled
    # while it waits or polls, leaves no suspended generator behind.

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> AsyncRecord:
        while not self._stop.is_set():
            if self._round is None:
                self._round = AsyncChanges(self.collection, self._position,
                                           page_size=self.page_size)
                self._round.__aiter__()  # read once, as any other reading
                self.polls += 1
            try:
                record: AsyncRecord | None = await self._round._next()
            except StopAsyncIteration:
                record = None  # this round is read: wait for the next (outside the handler)
            except BaseException:  # the round cannot go on (an error, a cancellation)
                self._end_round()
                raise
            self._position = self._round._position
            if record is not None:
                return record
            self._end_round()
            await self._wait()
        raise StopAsyncIteration

    def _end_round(self) -> None:
        if self._round is not None:
            self._requests += self._round.requests
            self._round = None

    @property
    def requests(self) -> int:
        """Requests sent so far (one per poll without changes)."""
        return self._requests + (self._round.requests if self._round is not None else 0)

    async def _wait(self) -> None:
        """Sleep until the next poll is due, or until stopped: the interval, or longer while
        the server asks to back off (the transport would wait too, but could not be stopped).

        The wire sleeps (asyncio's sleep on the async side: where a cancelled task stops), in
        slices of at most ``_SLICE`` s, so that ``stop()`` from another thread or task ends a
        wait within one."""
        transport = self.collection.transport
        deadline = time.monotonic() + self.interval
        while not self._stop.is_set():
            remaining = max(deadline - time.monotonic(), transport.backoff_remaining)
            if remaining <= 0:
                return
            await transport.wire.sleep(None, min(remaining, _SLICE))
