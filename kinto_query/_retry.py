"""When to try a request again, and how long to wait first.

Only requests that are safe to repeat are retried: reads (a ``POST /batch`` of reads too),
and writes that cannot apply twice (``PUT`` and ``DELETE`` of a named object, and a ``PATCH``
made conditional by ``If-Match``). A ``POST /batch`` of writes is never retried here: the bulk
writes resolve their own unknown outcomes by reading back what the server holds.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

from ._changes import own_fields
from ._values import dumps

if TYPE_CHECKING:
    from ._messages import Request

_LISTS = ("buckets", "collections", "groups", "records", "history", "permissions", "batch")

__all__ = ["DEFAULT_RETRY", "Again", "RetryPolicy", "applied", "idempotent", "only_reads",
           "retry_after_seconds", "same_json"]

logger = logging.getLogger("kinto_query")
T = TypeVar("T")


def idempotent(request: Request) -> bool:
    """Whether sending ``request`` twice leaves the server as sending it once."""
    method = request.method.upper()
    if method in ("GET", "HEAD", "OPTIONS", "PUT"):
        return True
    if method == "DELETE":
        # Deleting one object twice leaves it deleted; a list DELETE deletes a page of what
        # matches, and sent twice it deletes the next page too.
        last = urlsplit(request.path).path.rstrip("/").rsplit("/", 1)[-1]
        return last not in _LISTS
    headers = {name.lower() for name in request.headers}
    if method == "PATCH":
        return bool({"if-match", "if-none-match"} & headers)
    return method == "POST" and only_reads(request)


def only_reads(request: Request) -> bool:
    """A ``POST /batch`` of reads only (how bulk writes read back an unclear chunk)."""
    body = request.body
    subrequests = body.get("requests") if isinstance(body, Mapping) else None
    return (request.path.rstrip("/").endswith("/batch") and isinstance(subrequests, list)
            and bool(subrequests)
            and all(isinstance(r, Mapping) and str(r.get("method", "")).upper() in ("GET", "HEAD")
                    for r in subrequests))


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds, from a number of seconds or an HTTP date; None if absent.

    >>> retry_after_seconds("3")
    3.0
    >>> retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0)
    6.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a client retries: which answers, how often, how long it waits.

    Waits grow exponentially with full jitter (a random wait between 0 and
    ``backoff * 2**retry``, at most ``max_wait``); a ``Retry-After`` from the server is honoured
    instead (also capped by ``max_wait``). No retry starts once ``total`` seconds have passed
    since the first try. ``sleep`` and ``random`` are injectable so tests need not wait.

    >>> policy = RetryPolicy(backoff=1.0, random=lambda: 0.5)
    >>> policy.wait(2, retry_after=None), policy.wait(0, retry_after=40.0)
    (2.0, 20.0)
    """

    attempts: int = 5
    """Tries in all, the first included."""
    backoff: float = 0.25
    max_wait: float = 20.0
    total: float = 60.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts counts the first try: it must be >= 1")
        if min(self.backoff, self.max_wait, self.total) < 0:
            raise ValueError("RetryPolicy waits must be >= 0 seconds")

    def next_wait(self, retry: int, started: float, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``retry``, or None when no retry is left (the
        attempts used up, or the total time would pass); ``started``: ``time.monotonic()`` of
        the first try."""
        if retry + 1 >= self.attempts:
            return None
        wait = self.wait(retry, retry_after)
        return None if time.monotonic() - started + wait > self.total else wait

    def wait(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        return self.random() * min(self.max_wait, self.backoff * 2.0**retry)


DEFAULT_RETRY = RetryPolicy()


def same_json(sent: Any, held: Any) -> bool:
    """Whether two JSON values are the same, numbers compared as numbers: PostgreSQL spells
    back ``1e20`` as ``100000000000000000000`` and ``-0.0`` as ``0.0``, exact decimals.

    >>> same_json({"n": 1e20, "z": -0.0}, {"n": 100000000000000000000, "z": 0})
    True
    """
    if isinstance(sent, bool) or isinstance(held, bool):
        return sent is held
    if isinstance(sent, (int, float)) and isinstance(held, (int, float)):
        if isinstance(sent, int) and isinstance(held, int):
            return sent == held
        try:  # the decimal it spelled, read as the nearest float: 1.5e300 is no exact integer
            return float(sent) == float(held)
        except OverflowError:
            return False
    if isinstance(sent, Mapping) and isinstance(held, Mapping):
        return sent.keys() == held.keys() and all(same_json(v, held[k]) for k, v in sent.items())
    if isinstance(sent, list) and isinstance(held, list):
        return len(sent) == len(held) and all(map(same_json, sent, held))
    return type(sent) is type(held) and bool(sent == held)


@dataclasses.dataclass(frozen=True)
class Again(Generic[T]):
    """An attempt that failed in a way worth retrying: ``retry_after`` is the server's
    ``Retry-After`` (seconds) or None; ``give_up(tries)`` raises, or returns the result, when
    no retry is left."""

    retry_after: float | None
    give_up: Callable[[int], T]


def applied(request: Request, current: Mapping[str, Any] | None) -> bool:
    """Whether the server's current object shows that ``request`` was applied.

    ``current`` is the object as the server holds it now (``{"data", "permissions"}``), or
    None when it is gone. Used after an attempt whose outcome is unknown (no answer, a
    gateway error), by a retried write and by bulk writes reading a chunk back.
    """
    # The body as the server read it: dates, UUIDs... as their JSON.
    sent = json.loads(dumps(request.body)) if request.body is not None else None
    method = request.method.upper()
    if method == "DELETE":
        return current is None
    if current is None or not isinstance(sent, Mapping):
        return False  # a JSON-Patch list: its effect cannot be told from the result
    data = own_fields(current.get("data") or {})
    wanted = sent.get("data")
    if isinstance(wanted, Mapping):
        own = own_fields(wanted)
        if method == "PUT" and not same_json(own, data):
            return False
        if method == "PATCH" and not all(k in data and same_json(v, data[k])
                                         for k, v in own.items()):
            return False
    permissions = sent.get("permissions")
    if isinstance(permissions, Mapping):
        held = current.get("permissions") or {}
        for name, principals in permissions.items():
            wanted, there = set(principals), set(held.get(name, ()))
            # Kinto always adds the writer to "write": one principal more may be that.
            extra = there - wanted
            if not wanted <= there or len(extra) > (1 if name == "write" else 0):
                return False
    return True
