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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._messages import Request, Response
from ._record import Record
from ._values import etag_timestamp
from .exceptions import InvalidResponse

if TYPE_CHECKING:
    from ._collection import Collection

__all__ = ["Changes", "Watch", "collection_timestamp"]



def _parse_etag(response: Response) -> int:
    value = response.headers.get("ETag", "")
    timestamp = etag_timestamp(value)
    if timestamp is None:
        method = response.request.method
        raise InvalidResponse(f"{method} {response.url}: no collection timestamp in the ETag "
                              f"header ({value[:50]!r})")
    return timestamp


def _modified(obj: Any) -> int | None:
    """The ``last_modified`` of a listed object, or None if it is not a Kinto object."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return None
    modified = obj.get("last_modified")
    return modified if type(modified) is int else None


def collection_timestamp(collection: Collection) -> int:
    """The collection timestamp (milliseconds), from the ``ETag`` of one ``GET`` of at most
    one record, asking only its id (a ``HEAD`` would make the server count every record)."""
    query = collection.records().fields("id").limit(1)
    return _parse_etag(collection.transport.send(Request("GET", query.url)))


def _since_value(collection: Collection, since: Any) -> int | None:
    if since is None:
        return None
    # The query's own reading of a timestamp, an ETag or a datetime (InvalidQuery otherwise).
    return int(collection.records().since(since).params["_since"])


class Changes:
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

    def __init__(self, collection: Collection, since: Any = None, *,
                 page_size: int | None = None) -> None:
        self.collection = collection
        self.since = _since_value(collection, since)
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
        self._upper: int | None = None
        self._started = False
        self._complete = False

    def __repr__(self) -> str:
        return f"<Changes since={self.since} timestamp={self.timestamp}>"

    @property
    def timestamp(self) -> int | None:
        """Where to go on from (see the class), in milliseconds; None while nothing is known
        (no ``since``, nothing read yet)."""
        return self._position

    @property
    def complete(self) -> bool:
        """Whether every change up to the bound was read."""
        return self._complete

    def __iter__(self) -> Iterator[Record]:
        if self._started:
            raise RuntimeError("changes are read once: ask collection.changes(since="
                               "changes.timestamp) for what came since")
        self._started = True
        return self._read()

    def _read(self) -> Iterator[Record]:
        transport = self.collection.transport
        headers = {"If-None-Match": f'"{self.since}"'} if self.since is not None else {}
        response = transport.send(Request("GET", self.url, headers=headers))
        self.requests += 1
        self.modified = response.status != 304
        if not self.modified:
            self._complete = True
            return
        upper = _parse_etag(response)
        # A since newer than the collection (a clock gone back, a hand-made value): keep it,
        # never hand out again what the caller already had.
        self._upper = upper if self.since is None else max(upper, self.since)
        while True:
            objects = response.data()
            next_page = response.headers.get("Next-Page")
            url = response.url
            del response  # hold one page at a time
            if not isinstance(objects, list):
                raise InvalidResponse(f"GET {url}: 'data' is not a list")
            objects.reverse()
            while objects:
                obj = objects.pop()
                modified = _modified(obj)
                if modified is None:
                    raise InvalidResponse(f"GET {url}: a change without id or last_modified: "
                                          f"{str(obj)[:200]}")
                if modified > upper:
                    # Written after the read began: in the next round (all after it too).
                    self._finish()
                    return
                if self._position is not None and modified <= self._position:
                    raise InvalidResponse(f"GET {url}: changes out of order ({modified} after "
                                          f"{self._position}): not sorted by last_modified")
                record = Record.from_server(self.collection, obj, owned=True)
                self._position = modified
                yield record
            if next_page is None:
                self._finish()
                return
            response = transport.send(Request("GET", next_page))
            self.requests += 1

    def _finish(self) -> None:
        self._position = self._upper
        self._complete = True


class Watch:
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

    def __init__(self, collection: Collection, since: Any = None, *, interval: float = 5.0,
                 page_size: int | None = None,
                 stop_event: threading.Event | None = None) -> None:
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
            # 0 would poll the server without a pause, as fast as it answers.
            raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
        self.collection = collection
        self.interval = float(interval)
        self.page_size = page_size
        self._position = _since_value(collection, since)
        self._stop = stop_event if stop_event is not None else threading.Event()
        self.polls = 0
        """Polls made so far."""
        self.requests = 0
        """Requests sent so far (one per poll without changes)."""

    def __repr__(self) -> str:
        state = "stopped" if self._stop.is_set() else f"every {self.interval:g} s"
        return f"<Watch {self.collection.path!r} {state} timestamp={self.timestamp}>"

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

    def __iter__(self) -> Iterator[Record]:
        while not self._stop.is_set():
            changes = Changes(self.collection, self._position, page_size=self.page_size)
            self.polls += 1
            try:
                for record in changes:
                    self._position = changes._position
                    yield record
                    if self._stop.is_set():
                        return
                self._position = changes._position
            finally:
                self.requests += changes.requests
            self._wait()

    def _wait(self) -> None:
        """Sleep until the next poll is due, or until stopped: the interval, or longer while
        the server asks to back off (the transport would wait too, but could not be stopped)."""
        transport = self.collection.transport
        deadline = time.monotonic() + self.interval
        while not self._stop.is_set():
            remaining = max(deadline - time.monotonic(), transport.backoff_remaining)
            if remaining <= 0:
                return
            self._stop.wait(remaining)
