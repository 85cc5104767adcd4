"""The pure part of a query, shared by both sides: its state, builders and URLs.

A query is lazy and immutable: every builder returns a new one, and nothing here sends a
request. The terminal operations (iteration, ``pages()``, ``count()``, ``get()``...) are
written once, async, in ``kinto_query._queries._async.query`` (``AsyncQuery``, for
``kinto_query.aio``),
and generated into ``kinto_query._queries._blocking.query`` (``Query``, what ``kinto_query``
exports):
both sides build on the classes here, so ``q.url`` is the same on both, and needs no await.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    TypeVar,
)
from urllib.parse import quote, urlencode, urlsplit

from .._lookups import encode_filter, field_path
from .._values import etag_timestamp, milliseconds
from ..exceptions import IncompleteScan, InvalidQuery
from .scan import Position

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AddressedCore", "DeletableCore", "Factory", "ListingCore", "ProjectedCore",
           "TimedCore", "delegate"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")
Owner = TypeVar("Owner")
AnyListing = TypeVar("AnyListing", bound="ListingCore[Any]")
# Builds a result from a server object, the fields it was loaded with and its permissions.
Factory = Callable[[dict[str, Any], "tuple[str, ...] | None", "dict[str, Any] | None"], T]



class _URLs(Protocol):
    """What the pure part of a query needs of a transport (either side's): its URLs."""

    def url(self, path_or_url: str) -> str: ...


@dataclasses.dataclass(frozen=True)
class _State:
    filters: tuple[tuple[str, str], ...] = ()
    sort: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    since: str | None = None
    before: str | None = None
    limit: int | None = None  # cap on the total, after skip
    page_size: int | None = None
    skip: int = 0  # client-side: Kinto has no offset
    start: str | None = None  # where a resumed scan goes on (a Next-Page URL)
    prefetch: bool = False  # fetch the next page in the background
    live_only: bool = False  # drop tombstones (which a last_modified range brings along)


def _timestamp(value: object, what: str) -> str:
    try:
        ms = milliseconds(value, what + "()")
    except ValueError as error:
        raise InvalidQuery(str(error)) from None
    if ms is not None:
        return str(ms)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and (timestamp := etag_timestamp(value)) is not None:
        return str(timestamp)
    raise InvalidQuery(
        f"{what}() takes an aware datetime, a timestamp in milliseconds or an ETag, got {value!r}"
    )


def delegate(
    query: Callable[[Owner], AnyListing], method: Callable[Concatenate[AnyListing, P], R]
) -> Callable[Concatenate[Owner, P], R]:
    """The method of an object that stands for a query (as ``Collection`` for its records):
    ``method`` of the query ``query(self)`` returns, with its name, docstring and types (as
    Django builds a manager's methods from its queryset).

    >>> class Todo:
    ...     def records(self) -> Query[Record]:
    ...         return Client().bucket("b").collection("todo").records()
    ...     limit = delegate(records, ListingCore.limit)
    >>> Todo().limit(3).url
    'http://localhost:8888/v1/buckets/b/collections/todo/records?_limit=3'
    """

    def forwarded(self: Owner, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(query(self), *args, **kwargs)

    functools.update_wrapper(forwarded, method)
    return forwarded


def _count(value: object, what: str, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidQuery(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def _as_sent(obj: dict[str, Any], fields: tuple[str, ...] | None,
             permissions: dict[str, Any] | None) -> dict[str, Any]:
    return obj


class ListingCore(Generic[T]):
    """The builders and URLs of every query on a Kinto list endpoint (``Listing`` and
    ``AsyncListing`` add the terminal operations): filters, sorting, limits, slices, and
    ``resume()``. No method here sends a request."""

    # The field every listed object has (a subclass over another endpoint may say otherwise).
    _item_key: ClassVar[str] = "id"

    def __init__(
        self,
        transport: _URLs,
        path: str,
        factory: Factory[T],
        *,
        item_path: Callable[[str], str],
        _state: _State | None = None,
    ) -> None:
        self._transport = transport
        self._path = path
        self._factory = factory
        self._item_path = item_path
        self._state = _state or _State()

    def _clone(self, **changes: Any) -> Self:
        state = dataclasses.replace(self._state, **changes)
        return type(self)(
            self._transport, self._path, self._factory, item_path=self._item_path, _state=state
        )

    # -- builders: each returns a new query -----------------------------------------------

    def _add_filters(self, lookups: dict[str, Any], *, negate: bool) -> Self:
        filters = list(self._state.filters)
        for key, value in lookups.items():
            name, text = encode_filter(key, value, negate=negate)
            if any(name == existing for existing, _ in filters):
                raise InvalidQuery(f"{name!r} is already filtered on; Kinto takes one value each")
            filters.append((name, text))
        return self._clone(filters=tuple(filters))

    def filter(self, /, **lookups: Any) -> Self:
        """Keep what matches every lookup: ``filter(status="done", priority__gte=3)``."""
        return self._add_filters(lookups, negate=False)

    def exclude(self, /, **lookups: Any) -> Self:
        """Drop what matches: ``exclude(status="done")``, ``exclude(tag__in=["a", "b"])``."""
        return self._add_filters(lookups, negate=True)

    def sort(self, *fields: str) -> Self:
        """Order by fields, ``-`` for descending: ``sort("-priority", "title")``, or Kinto's
        comma form ``sort("-priority,title")``."""
        keys: list[str] = []
        for given in fields:
            if not isinstance(given, str):
                raise InvalidQuery(f"sort() takes field names, got {given!r}")
            # Kinto splits _sort on commas: "-priority,id" is two keys, as kinto-http.py sends it.
            keys.extend(self._sort_key(key.strip()) for key in given.split(","))
        return self._clone(sort=tuple(keys))

    @staticmethod
    def _sort_key(key: str) -> str:
        if not key:
            raise InvalidQuery("sort(): an empty field name (a comma too many?)")
        sign = key[:1] if key[:1] in ("-", "+") else ""
        name = field_path(key[len(sign):])  # "--a" is refused, not read as "-a"
        return ("-" if sign == "-" else "") + name

    def limit(self, n: int) -> Self:
        """Stop after ``n`` results in total (the request asks no more than needed)."""
        n = _count(n, "limit()", minimum=0)
        current = self._state.limit
        return self._clone(limit=n if current is None else min(n, current))

    def page_size(self, k: int) -> Self:
        """Ask the server for pages of ``k`` results (``_limit``); the total is not capped."""
        return self._clone(page_size=_count(k, "page_size()", minimum=1))

    def prefetch(self, on: bool = True) -> Self:
        """Fetch page N+1 in a background thread while you consume page N (in async code:
        an ``asyncio`` task, cancelled when your loop stops).

        Faster when your loop spends time on each result (up to twice as fast when that time
        matches the fetching time); at most one page ahead, errors raised where they would
        have been. Off by default: the background thread shares the client's session, which
        your own code may be using in the loop at the same moment (requests does not promise
        a session is safe across threads), so turn it on where your loop only reads.
        """
        return self._clone(prefetch=on)

    def _sliced(self, index: slice) -> Self:
        """``q[:10]`` caps the total; ``q[20:30]`` skips 20 client-side (Kinto has no
        offset: skipped results are still fetched, so prefer filters to slices)."""
        if index.step not in (None, 1):
            raise InvalidQuery("slices take no step")
        start = _count(0 if index.start is None else index.start, "slice start", minimum=0)
        skip = self._state.skip + start
        limit = self._state.limit
        if limit is not None:
            limit = max(0, limit - start)
        if index.stop is not None:
            stop = _count(index.stop, "slice stop", minimum=0)
            width = max(0, stop - start)
            limit = width if limit is None else min(limit, width)
        return self._clone(skip=skip, limit=limit)

    # -- description: pure, no I/O ---------------------------------------------------------

    @property
    def params(self) -> dict[str, str]:
        """The querystring of the first request, in the order it is sent."""
        state = self._state
        # has_ filters go first: Kinto's memory backend lets a has_ filter overwrite the
        # filters before it (has_a=true&min_n=3 works, min_n=3&has_a=true ignores min_n).
        params = dict(sorted(state.filters, key=lambda item: not item[0].startswith("has_")))
        if state.sort:
            params["_sort"] = ",".join(state.sort)
        if state.fields:
            params["_fields"] = ",".join(state.fields)
        if state.since is not None:
            params["_since"] = state.since
        if state.before is not None:
            params["_before"] = state.before
        wanted = None if state.limit is None else state.skip + state.limit
        sizes = [n for n in (wanted, state.page_size) if n is not None]
        if sizes:
            # _limit=0 means "the maximum" to Kinto: an empty slice must not ask for everything.
            params["_limit"] = str(max(1, min(sizes)))
        return params

    def _params_without(self, *names: str) -> dict[str, str]:
        return {k: v for k, v in self.params.items() if k not in names}

    @property
    def url(self) -> str:
        """Exactly the URL of the first request."""
        return self._url(self.params)

    def _url(self, params: dict[str, str], path: str | None = None) -> str:
        url = self._transport.url(path or self._path)
        if params:
            url += "?" + urlencode(params, quote_via=quote, safe=",*")
        return url

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "a query has no truth value without a request: use query.exists() "
            "(one small GET) or query.count()"
        )

    def _url_for_errors(self) -> str:
        return self._state.start or self.url

    @property
    def resume_token(self) -> str:
        """Where this query's scan starts, as a token for ``resume()`` (to store, and go on
        from after a restart; each page's own is ``page.resume_token``). No request made.

        >>> done = Client().bucket("b").collection("todo").filter(status="done").limit(5)
        >>> done.resume(done.resume_token).url == done.url
        True
        """
        state = self._state
        return Position(state.start or self.url, state.skip, state.limit).token()

    def resume(self, where: IncompleteScan | str) -> Self:
        """This query, going on where a failed scan stopped (the error, or its token).

        Example::

            try:
                for record in query:
                    handle(record)
            except IncompleteScan as stopped:
                for record in query.resume(stopped):  # no record missing, none twice
                    handle(record)

        The same in async code (``async for``); a token is the same on both sides, so a scan
        that failed in one resumes in the other.
        """
        token = where.resume_token if isinstance(where, IncompleteScan) else where
        position = Position.from_token(token)
        ours = urlsplit(self._transport.url(self._path)).path
        if urlsplit(self._transport.url(position.url)).path != ours:
            raise InvalidQuery(f"this token resumes a scan of another endpoint, not {ours}")
        return self._clone(start=position.url, skip=position.skip, limit=position.remaining)


# -- what only some endpoints support: each a mixin, so that a query offers nothing it refuses --


class TimedCore(ListingCore[T]):
    """Builders over ``last_modified``: ``since()``, ``before()``, and how ``partition()``
    splits a query once it knows its oldest and newest results."""

    def since(self, timestamp_or_etag: int | str | datetime.datetime) -> Self:
        """Only what changed after this timestamp or ETag; deletions come back as tombstones."""
        return self._clone(since=_timestamp(timestamp_or_etag, "since"))

    def before(self, timestamp_or_etag: int | str | datetime.datetime) -> Self:
        """Only what last changed before this timestamp or ETag."""
        return self._clone(before=_timestamp(timestamp_or_etag, "before"))

    def _partition_check(self, k: int) -> int:
        """``k``, checked, before any request: or ``InvalidQuery`` if this query cannot split."""
        state = self._state
        k = _count(k, "partition()", minimum=1)
        if state.limit is not None or state.skip or state.start:
            raise InvalidQuery("partition() splits a whole query: remove limit(), slices and "
                               "resume() first")
        if any(name.endswith("_last_modified") or name == "last_modified"
               for name, _ in state.filters):
            raise InvalidQuery("partition() splits by last_modified: filter on it with since() "
                               "and before() instead")
        return k

    def _split(self, k: int, oldest: int | None, newest: int | None) -> list[Self]:
        """The ``k`` parts between the oldest and newest ``last_modified`` (None: no result)."""
        state = self._state
        if k == 1 or oldest is None or newest is None:
            return [self]
        span = newest + 1 - oldest
        bounds = sorted({oldest + span * i // k for i in range(k)} | {newest + 1})
        live_only = state.since is None
        return [
            self._clone(filters=(*state.filters, ("min_last_modified", str(low)),
                                 ("lt_last_modified", str(high))), live_only=live_only)
            for low, high in itertools.pairwise(bounds)
        ]


class ProjectedCore(ListingCore[T]):
    """``fields()``: results with only some fields."""

    def fields(self, *names: str) -> Self:
        """Return only these fields (``id`` and ``last_modified`` always come)."""
        return self._clone(fields=tuple(field_path(name) for name in names))



class AddressedCore(ListingCore[T]):
    """Where ``get(id)`` goes: one object by id."""

    def _get_url(self, object_id: str) -> str:
        if self._state.filters or self._state.since or self._state.before:
            raise InvalidQuery(
                "get(id) fetches by id and ignores filters: call it on the unfiltered query, "
                "or use filter(id=...).first()"
            )
        return self._url(self._params_without("_sort", "_limit"), self._item_path(object_id))


class DeletableCore(ListingCore[T]):
    """Where ``delete()`` goes: every match."""

    def _delete_url(self) -> str:
        if self._state.limit is not None or self._state.skip:
            raise InvalidQuery("delete() deletes every match: remove limit() and slices first")
        return self._url(self._params_without("_sort", "_fields"))
