"""Walking a list endpoint page by page, and resuming a walk that failed midway.

One flat loop follows ``Next-Page`` exactly as the server sent it, holding one page at a
time. A failure after some results were handed out raises ``IncompleteScan``, whose token
(a string) says where to go on: the ``Next-Page`` URL not yet read, and how many results the
query still wants. Kinto's page tokens are reusable for reads, so the walk resumes with no
result missing and none twice.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import operator
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from ._messages import Request
from ._transport import Transport
from ._values import etag_timestamp
from .exceptions import (
    BackoffRequested,
    HTTPError,
    IncompleteScan,
    InvalidQuery,
    InvalidResponse,
    KintoConnectionError,
)

__all__ = ["Page", "Position", "prefetched", "scan", "without_tombstones"]

T = TypeVar("T")
_TOKEN_PREFIX = "kq1."


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results as the server sent it (trimmed to the query's limit)."""

    items: list[T]
    timestamp: int | None
    """The server's timestamp of the list (its ``ETag``, in milliseconds), or None."""
    total: int | None
    """``Total-Objects`` when the server sent it."""
    next_page: str | None
    """The ``Next-Page`` URL, or None on the last page."""
    resume_token: str | None = None
    """Where the walk goes on after this page, for ``query.resume()`` (after a restart too);
    None on the last page."""


@dataclasses.dataclass(frozen=True)
class Position:
    """Where a walk stands: the next URL to read, results still to skip and still wanted."""

    url: str
    skip: int = 0
    remaining: int | None = None

    def token(self) -> str:
        """This position as a string (to store, and to resume from after a restart)."""
        raw = json.dumps({"url": self.url, "skip": self.skip, "remaining": self.remaining})
        return _TOKEN_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def from_token(cls, token: str) -> Position:
        """The position a token stands for, or ``InvalidQuery`` if it is not one of ours."""
        try:
            if not token.startswith(_TOKEN_PREFIX):
                raise ValueError(token)
            fields = json.loads(base64.urlsafe_b64decode(token[len(_TOKEN_PREFIX):]))
            position = cls(str(fields["url"]), int(fields["skip"]), fields["remaining"])
        except (ValueError, KeyError, TypeError, binascii.Error, AttributeError):
            raise InvalidQuery(f"not a resume token of kinto_query: {token!r:.80}") from None
        if position.remaining is not None and not isinstance(position.remaining, int):
            raise InvalidQuery(f"not a resume token of kinto_query: {token!r:.80}")
        return position


def _objects(response_data: Any, url: str, key: str = "id") -> list[dict[str, Any]]:
    if not isinstance(response_data, list):
        raise InvalidResponse(f"GET {url}: 'data' is not a list")
    try:  # the common case, checked in C (decoded JSON has exact types)
        if set(map(type, map(operator.itemgetter(key), response_data))) <= {str}:
            return response_data
    except (TypeError, KeyError, IndexError):
        pass
    for obj in response_data:
        if not isinstance(obj, dict) or not isinstance(obj.get(key), str):
            raise InvalidResponse(f"GET {url}: an item has no {key!r}: {str(obj)[:200]}")
    return response_data


def _total(value: str | None, url: str) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidResponse(f"GET {url}: Total-Objects is not a number: {value[:50]!r}")
    return int(value)


def scan(
    transport: Transport, start: Position, *, key: str = "id"
) -> Iterator[Page[dict[str, Any]]]:
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
            response = transport.send(Request("GET", url))
            objects = _objects(response.data(), url, key)
            total = _total(response.headers.get("Total-Objects"), url)
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


_END = object()


def prefetched(pages: Iterator[Page[T]]) -> Iterator[Page[T]]:
    """The same pages, page N+1 fetched in a background thread while page N is consumed.

    At most one page ahead (so memory stays flat: two pages at most), errors raised where
    they would have been (when the consumer reaches that page), and no fetch started once
    the consumer stops: the one in flight then finishes and is dropped.
    """
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinto-query-prefetch")
    try:
        ahead = worker.submit(next, pages, _END)
        while True:
            page = ahead.result()
            if page is _END:
                return
            ahead = worker.submit(next, pages, _END)
            yield page  # type: ignore[misc]
    finally:
        worker.shutdown(wait=True, cancel_futures=True)
        pages.close()  # type: ignore[attr-defined]  # a generator; idle now


def without_tombstones(pages: Iterator[Page[dict[str, Any]]]) -> Iterator[Page[dict[str, Any]]]:
    """The same pages without tombstones (``{"id", "deleted": true, "last_modified"}``)."""
    for page in pages:
        live = [obj for obj in page.items if obj.get("deleted") is not True]
        yield dataclasses.replace(page, items=live)
