"""Pages of a list endpoint, and where a walk of them stands: the pure part of a scan,
shared by both sides (the loop itself, which sends requests, is
``kinto_query._queries._async.scan``,
generated into ``kinto_query._queries._blocking.scan``).

A failure after some results were handed out raises ``IncompleteScan``, whose token (a string,
``Position.token()``) says where to go on: the ``Next-Page`` URL not yet read, and how many
results the query still wants. Kinto's page tokens are reusable for reads, so the walk resumes
with no result missing and none twice. The tokens are the same on both sides: a scan that
failed in async code resumes in sync code, and the other way round.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import operator
from typing import Any, Generic, TypeVar

from ..exceptions import InvalidQuery, InvalidResponse

__all__ = ["Page", "Position", "objects_of", "total_of"]

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
            position = cls(str(fields["url"]), fields["skip"], fields["remaining"])
        except (ValueError, KeyError, TypeError, binascii.Error, AttributeError):
            raise InvalidQuery(f"not a resume token of kinto_query: {token!r:.80}") from None
        # Counts we wrote are whole numbers >= 0: a negative one would skip results unseen.
        if not (_count(position.skip) and (position.remaining is None
                                           or _count(position.remaining))):
            raise InvalidQuery(f"not a resume token of kinto_query: {token!r:.80}")
        return position


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def objects_of(response_data: Any, url: str, key: str = "id") -> list[dict[str, Any]]:
    """A page's ``data``, checked: a list of objects each with the string ``key``."""
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


def total_of(value: str | None, url: str) -> int | None:
    """A ``Total-Objects`` header as a number (None when absent)."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidResponse(f"GET {url}: Total-Objects is not a number: {value[:50]!r}")
    return int(value)
