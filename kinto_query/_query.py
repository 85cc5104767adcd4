"""The lazy, immutable query over a Kinto list endpoint (records, collections, groups)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import itertools
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote, urlencode, urlsplit

from ._hints import watched
from ._lookups import encode_filter, field_path
from ._messages import Request
from ._scan import Page, Position, prefetched, scan, without_tombstones
from ._transport import Transport
from ._values import etag_timestamp, milliseconds
from .exceptions import HTTPError, IncompleteScan, InvalidQuery, InvalidResponse, KintoError

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas
    import pyarrow
    from typing_extensions import Self

    from . import _dask

__all__ = ["Addressed", "Deletable", "Listing", "Page", "Projected", "Query", "Timed"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")
Owner = TypeVar("Owner")
AnyListing = TypeVar("AnyListing", bound="Listing[Any]")
# Builds a result from a server object, the fields it was loaded with and its permissions.
Factory = Callable[[dict[str, Any], "tuple[str, ...] | None", "dict[str, Any] | None"], T]


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
    ...     limit = delegate(records, Query.limit)
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


class Listing(Generic[T]):
    """What every lazy, immutable query on a Kinto list endpoint offers: filters, sorting,
    limits, slices, and the terminal operations (iteration, ``pages()``, ``resume()``,
    ``count()``, ``first()``...). ``Query`` adds what only some endpoints support; an
    endpoint that lacks a feature (``GrantQuery``, ``HistoryQuery``) simply has no method
    for it.

    >>> isinstance(Client().permissions(), Listing), hasattr(Client().permissions(), "since")
    (True, False)
    """

    # The field every listed object has (a subclass over another endpoint may say otherwise).
    _item_key: ClassVar[str] = "id"

    def __init__(
        self,
        transport: Transport,
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
        """Fetch page N+1 in a background thread while you consume page N.

        Faster when your loop spends time on each result (up to twice as fast when that time
        matches the fetching time); at most one page ahead, errors raised where they would
        have been. Off by default: the background thread shares the client's session, which
        your own code may be using in the loop at the same moment (requests does not promise
        a session is safe across threads), so turn it on where your loop only reads.
        """
        return self._clone(prefetch=on)

    def dicts(self) -> Query[dict[str, Any]]:
        """The same query, each result the plain JSON object the server sent (``id`` and
        ``last_modified`` included, tombstones with ``deleted``): no object built, no change
        tracking. The fastest way to read (see the documentation's Performance page).

        >>> todo = Client().bucket("b").collection("todo")
        >>> todo.filter(status="done").dicts().url == todo.filter(status="done").url
        True
        """
        return Query(self._transport, self._path, _as_sent, item_path=self._item_path,
                     _state=self._state)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> T | Self:
        """``q[:10]`` caps the total; ``q[20:30]`` skips 20 client-side; ``q[3]`` is one result.

        Kinto has no offset: skipped results are still fetched, so prefer filters to slices.
        """
        if isinstance(index, slice):
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
        index = _count(index, "index", minimum=0)
        for item in self[index : index + 1]:
            return item
        raise IndexError(f"query has no result at index {index}")

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

    # -- terminal operations: the only ones that send requests ----------------------------

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page, following ``Next-Page`` as the server sent it.

        A failure after some results were handed out raises ``IncompleteScan``: pass it to
        ``resume()`` to go on.
        """
        fields, factory = self._state.fields or None, self._factory
        for page in self._raw_pages():
            yield Page([factory(obj, fields, None) for obj in page.items], page.timestamp,
                       page.total, page.next_page, page.resume_token)

    def _raw_pages(self) -> Iterator[Page[dict[str, Any]]]:
        state = self._state
        pages = scan(self._transport, Position(state.start or self.url, state.skip, state.limit),
                     key=self._item_key)
        if state.prefetch:
            pages = prefetched(pages)
        if state.live_only:
            pages = without_tombstones(pages)
        if state.filters and not (state.start or state.skip or state.limit == 0):
            pages = watched(pages, state.filters, state.fields)  # checks the first page only
        return pages

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
        """
        token = where.resume_token if isinstance(where, IncompleteScan) else where
        position = Position.from_token(token)
        ours = urlsplit(self._transport.url(self._path)).path
        if urlsplit(self._transport.url(position.url)).path != ours:
            raise InvalidQuery(f"this token resumes a scan of another endpoint, not {ours}")
        return self._clone(start=position.url, skip=position.skip, limit=position.remaining)

    def __iter__(self) -> Iterator[T]:
        fields, factory = self._state.fields or None, self._factory
        for page in self._raw_pages():
            objects = page.items
            del page
            # Build each result as it is handed out (the first one comes as soon as its page
            # is in), and keep none we have given: while the next page is fetched, only what
            # the caller still holds of this one is in memory.
            objects.reverse()
            if factory is _as_sent:  # dicts(): nothing to build, not even a call
                while objects:
                    yield objects.pop()  # type: ignore[misc]  # T is dict here
            while objects:
                yield factory(objects.pop(), fields, None)

    # -- Arrow and pandas (the arrow extra) ---------------------------------------------------

    def iter_batches(self, schema: pyarrow.Schema | None = None, *,
                     strict: bool = False) -> Generator[pyarrow.RecordBatch, None, None]:
        """The results as ``pyarrow.RecordBatch`` objects, one per page, each built as its page
        arrives (the page's JSON objects dropped before the next is fetched).

        Without ``schema``, each page's columns and types are inferred from its objects
        (nested objects as structs, arrays as lists), so two pages may differ; with one,
        every batch has it (a field it lacks is left out, or an error if ``strict``).
        ``id`` and ``last_modified`` come first, then the ``fields()`` asked for.
        Needs the ``arrow`` extra.

        >>> for batch in todo.iter_batches():                            # doctest: +SKIP
        ...     writer.write_batch(batch)
        """
        from . import _arrow

        return _arrow.batches(self._raw_pages(), self._state.fields, self._url_for_errors(),
                              schema, strict=strict)

    def to_arrow(self, schema: pyarrow.Schema | None = None, *,
                 strict: bool = False) -> pyarrow.Table:
        """Every result in one ``pyarrow.Table``, built page by page (see ``iter_batches``);
        without ``schema``, the pages' schemas unified (a field missing on a page is null
        there; integers and floats in one field are floats). ``SchemaMismatch`` when values
        of one field fit no one type: pass ``schema=``.

        >>> todo.filter(status="done").fields("title").to_arrow().column_names  # doctest: +SKIP
        ['id', 'last_modified', 'title']
        """
        from . import _arrow

        return _arrow.table(self._raw_pages(), self._state.fields, self._url_for_errors(),
                            schema, strict=strict)

    def to_pandas(self, schema: pyarrow.Schema | None = None) -> pandas.DataFrame:
        """Every result in one ``pandas.DataFrame``, through ``to_arrow(schema)``.

        >>> todo.to_pandas().set_index("id")                               # doctest: +SKIP
        """
        from . import _arrow

        _arrow.pandas()
        return self.to_arrow(schema).to_pandas()

    def _url_for_errors(self) -> str:
        return self._state.start or self.url

    def count(self) -> int:
        """How many results, from one ``HEAD`` (``Total-Objects``)."""
        url = self._url(self._params_without("_limit", "_sort", "_fields"))
        try:
            response = self._transport.send(Request("HEAD", url))
        except HTTPError as error:
            # A HEAD answer has no body to say what went wrong: ask the same with a GET.
            self._explain(error, url)
            raise
        total_header = response.headers.get("Total-Objects", "")
        if not (total_header.isascii() and total_header.isdigit()):
            raise InvalidResponse(f"HEAD {url}: no usable Total-Objects header")
        total = max(0, int(total_header) - self._state.skip)
        return total if self._state.limit is None else min(total, self._state.limit)

    def _explain(self, error: HTTPError, url: str) -> None:
        """Raise the error a GET of ``url`` gets, if it says more than the HEAD's ``error``."""
        if error.response.content:
            return
        separator = "&" if "?" in url else "?"
        try:
            self._transport.send(Request("GET", f"{url}{separator}_limit=1"))
        except HTTPError as explained:
            if explained.status == error.status:
                raise explained from None

    def exists(self) -> bool:
        """Whether there is at least one result (one small ``GET``)."""
        return self.first() is not None

    def first(self) -> T | None:
        """The first result, or None."""
        return next(iter(self[:1]), None)


# -- what only some endpoints support: each a mixin, so that a query offers nothing it refuses --


class Timed(Listing[T]):
    """Builders and operations over ``last_modified``: ``since()``, ``before()``,
    ``partition()``."""

    def since(self, timestamp_or_etag: int | str | datetime.datetime) -> Self:
        """Only what changed after this timestamp or ETag; deletions come back as tombstones."""
        return self._clone(since=_timestamp(timestamp_or_etag, "since"))

    def before(self, timestamp_or_etag: int | str | datetime.datetime) -> Self:
        """Only what last changed before this timestamp or ETag."""
        return self._clone(before=_timestamp(timestamp_or_etag, "before"))

    def partition(self, k: int) -> list[Self]:
        """``k`` disjoint queries whose results together are exactly this query's, to scan in
        ``k`` threads (or against ``k`` Kinto web heads on one database).

        The split is by ``last_modified`` ranges between the oldest and newest result (two
        small requests): records changed while the parts are scanned may move between them,
        as in any scan of a changing collection. A part never holds the tombstones that a
        ``last_modified`` range brings along, unless this query asked for them (``since()``).

        Example::

            with ThreadPoolExecutor(4) as pool:
                counts = pool.map(lambda part: sum(1 for _ in part), todo.partition(4))
        """
        state = self._state
        k = _count(k, "partition()", minimum=1)
        if state.limit is not None or state.skip or state.start:
            raise InvalidQuery("partition() splits a whole query: remove limit(), slices and "
                               "resume() first")
        if any(name.endswith("_last_modified") or name == "last_modified"
               for name, _ in state.filters):
            raise InvalidQuery("partition() splits by last_modified: filter on it with since() "
                               "and before() instead")
        if k == 1:
            return [self]  # nothing to split: no request
        oldest, newest = self._edge("last_modified"), self._edge("-last_modified")
        if oldest is None or newest is None:
            return [self]
        span = newest + 1 - oldest
        bounds = sorted({oldest + span * i // k for i in range(k)} | {newest + 1})
        live_only = state.since is None
        return [
            self._clone(filters=(*state.filters, ("min_last_modified", str(low)),
                                 ("lt_last_modified", str(high))), live_only=live_only)
            for low, high in itertools.pairwise(bounds)
        ]

    def to_dask_bag(self, k: int, *, servers: Sequence[str] | None = None) -> dask.bag.Bag:
        """A Dask bag of the results as plain JSON objects, one Dask partition per part of
        ``partition(k)``, each read by a Dask worker with a client of its own; part ``i``
        through ``servers[i % len(servers)]`` (Kinto web heads on one database; default:
        this query's server). Needs the ``dask`` extra.

        >>> todo.to_dask_bag(8, servers=heads).pluck("status").frequencies()  # doctest: +SKIP
        """
        from . import _dask

        _dask.require("bag")
        return _dask.bag(self._scan_parts(k, servers))

    def to_dask_dataframe(self, k: int, *, servers: Sequence[str] | None = None,
                          schema: pyarrow.Schema | None = None) -> dask.dataframe.DataFrame:
        """A Dask dataframe of the results, one partition per part of ``partition(k)``
        (each read by a worker as in ``to_dask_bag``), its columns those of ``schema``.

        Without ``schema``, it is inferred from the first page of the query (read now):
        a part whose records have a field outside it raises ``SchemaMismatch`` when
        computed; pass ``schema=`` where records vary. Needs the ``dask`` extra.

        >>> todo.to_dask_dataframe(8, servers=heads).groupby("status").size()  # doctest: +SKIP
        """
        from . import _arrow, _dask

        _dask.require("dataframe")
        parts = self._scan_parts(k, servers)
        strict = schema is None
        if schema is None:
            with contextlib.closing(self.iter_batches()) as batches:
                first = next(batches, None)
            schema = _arrow.base_schema(self._state.fields) if first is None else first.schema
        return _dask.dataframe(parts, schema, strict)

    def _scan_parts(self, k: int, servers: Sequence[str] | None) -> list[_dask.ScanPart]:
        from . import _dask

        server_configs = _dask.configs(self._transport.config, servers)  # checked first
        states = [part._state for part in self.partition(k)]
        return _dask.parts(server_configs, self._path, states)

    def _edge(self, order: str) -> int | None:
        """The ``last_modified`` of the first result in ``order`` (one small GET), or None."""
        first = self._clone(sort=(order,), fields=("id",), limit=1)
        objects = self._transport.send(Request("GET", first.url)).data()
        if not isinstance(objects, list) or not objects:
            return None
        value = objects[0].get("last_modified") if isinstance(objects[0], dict) else None
        if not isinstance(value, int):
            raise InvalidResponse(f"GET {first.url}: no last_modified in {str(objects)[:100]}")
        return value


class Projected(Listing[T]):
    """``fields()``: results with only some fields."""

    def fields(self, *names: str) -> Self:
        """Return only these fields (``id`` and ``last_modified`` always come)."""
        return self._clone(fields=tuple(field_path(name) for name in names))


class Addressed(Listing[T]):
    """``get(id)``: one object by id."""

    def get(self, object_id: str) -> T:
        """One object by id, or ``NotFound``; ``fields()`` applies, filters cannot."""
        if self._state.filters or self._state.since or self._state.before:
            raise InvalidQuery(
                "get(id) fetches by id and ignores filters: call it on the unfiltered query, "
                "or use filter(id=...).first()"
            )
        url = self._url(self._params_without("_sort", "_limit"), self._item_path(object_id))
        body = self._transport.send(Request("GET", url)).json_object()
        permissions = body.get("permissions")
        return self._factory(
            body["data"],
            self._state.fields or None,
            permissions if isinstance(permissions, dict) else None,
        )


class Deletable(Listing[T]):
    """``delete()``: delete every match."""

    def delete(self) -> int:
        """Delete every match (Kinto deletes a page per call: repeated until none is left).

        Returns how many were deleted. A call is retried only on answers proving it was not
        applied (429, Kinto's 503): a list ``DELETE`` sent twice deletes the next page too. An
        error carries ``.deleted``, how many the calls before it deleted: run it again for
        the rest. Example: ``todo.filter(status="done").delete()``.
        """
        if self._state.limit is not None or self._state.skip:
            raise InvalidQuery("delete() deletes every match: remove limit() and slices first")
        url = self._url(self._params_without("_sort", "_fields"))
        deleted = 0
        try:
            while True:
                response = self._transport.send(Request("DELETE", url))
                tombstones = response.data()
                if not isinstance(tombstones, list):
                    raise InvalidResponse(f"DELETE {url}: 'data' is not a list")
                deleted += len(tombstones)
                if "Next-Page" not in response.headers:
                    return deleted
        except KintoError as error:
            error.deleted = deleted  # type: ignore[attr-defined]
            raise


class Query(Timed[T], Projected[T], Addressed[T], Deletable[T]):
    """A lazy, immutable query on a Kinto list endpoint; iterate it to send requests.

    >>> todo = Client().bucket("b").collection("todo")
    >>> todo.filter(status="done").sort("-last_modified").limit(10).url
    'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done&_sort=-last_modified&_limit=10'
    """
