"""The pure part of a collection's changes feed (``collection.changes()``, ``watch()``),
shared by both sides: reading its answers' timestamps and checking what a caller gives. The
rounds themselves are ``kinto_query._server._async.changes_feed``, generated into
``kinto_query._server._blocking.changes_feed``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .._messages import Response
from .._values import etag_timestamp
from ..exceptions import InvalidResponse

if TYPE_CHECKING:
    from .._queries.listing import TimedCore

__all__ = ["Flag", "checked_interval", "modified_of", "parse_etag", "since_value"]


class Flag(Protocol):
    """What stops a watch: a ``threading.Event`` (settable from any thread), an
    ``asyncio.Event``..."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


def parse_etag(response: Response) -> int:
    """The collection timestamp an answer's ``ETag`` holds, or ``InvalidResponse``."""
    value = response.headers.get("ETag", "")
    timestamp = etag_timestamp(value)
    if timestamp is None:
        method = response.request.method
        raise InvalidResponse(f"{method} {response.url}: no collection timestamp in the ETag "
                              f"header ({value[:50]!r})")
    return timestamp


def modified_of(obj: Any) -> int | None:
    """The ``last_modified`` of a listed object, or None if it is not a Kinto object."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return None
    modified = obj.get("last_modified")
    return modified if type(modified) is int else None


def since_value(records: TimedCore[Any], since: Any) -> int | None:
    """``since`` as milliseconds (None stays None), read as a records query reads it: a
    timestamp, an ETag or an aware datetime (``InvalidQuery`` otherwise)."""
    if since is None:
        return None
    return int(records.since(since).params["_since"])


def checked_interval(interval: object) -> float:
    """A watch's interval in seconds, or ``ValueError``."""
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
        # 0 would poll the server without a pause, as fast as it answers.
        raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
    return float(interval)
