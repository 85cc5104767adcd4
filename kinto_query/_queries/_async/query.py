"""The terminal operations of a query, written once: iteration, pages, count, get, delete...

The builders and URLs are pure and shared by both sides (``kinto_query._queries.listing``); the
classes here add what sends requests. They are the async side (``AsyncQuery``...,
``async for record in query``, ``await query.count()``), and generated into their sync twins
(``Query``..., what ``kinto_query`` exports).

A query is built the way an object hands it out, from a transport, the endpoint's path, a
factory of results, and where one object by id lives::

    path = "/buckets/b/collections/todo/records"
    records = AsyncQuery(transport, path, lambda obj, fields, permissions: obj,
                         item_path=lambda record_id: f"{path}/{record_id}")
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..._messages import Request
from ..._wire.concurrency import AsyncPrefetched
from ..._wire.http import AsyncOutcome
from ...exceptions import HTTPError, InvalidResponse, KintoError
from ..frames import AsyncFrames
from ..listing import (
    AddressedCore,
    DeletableCore,
    Factory,
    ListingCore,
    ProjectedCore,
    TimedCore,
    _as_sent,
    _count,
    _State,
)
from ..scan import Page, Position
from .scan import AsyncPages, scan, watched, without_tombstones

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas
    import pyarrow
    from typing_extensions import Self

    from ..._wire._async.transport import AsyncTransport
    from .. import dask as _dask

__all__ = ["AsyncAddressed", "AsyncDeletable", "AsyncListing", "AsyncProjected", "AsyncQuery",
           "AsyncTimed"]

T = TypeVar("T")


class AsyncListing(AsyncFrames, ListingCore[T]):
    """What every lazy, immutable query on a Kinto list endpoint offers: filters, sorting,
    limits, slices, and the terminal operations (iteration, ``pages()``, ``resume()``,
    ``count()``, ``first()``...). ``Query`` adds what only some endpoints support; an
    endpoint that lacks a feature (``GrantQuery``, ``HistoryQuery``) simply has no method
    for it.

    ``transport`` sends the requests; ``path`` is the list endpoint's (below the server URL);
    ``factory(obj, fields, permissions)`` builds each result from the server's JSON object
    (with the ``fields()`` it was loaded with, and its permissions when known);
    ``item_path(id)`` is where one object lives (for ``get(id)``). Building a query sends no
    request.
    """

    _transport: AsyncTransport

    def __init__(
        self,
        transport: AsyncTransport,
        path: str,
        factory: Factory[T],
        *,
        item_path: Callable[[str], str],
        _state: _State | None = None,
    ) -> None:
        super().__init__(transport, path, factory, item_path=item_path, _state=_state)

    def dicts(self) -> AsyncQuery[dict[str, Any]]:
        """The same query, each result the plain JSON object the server sent (``id`` and
        ``last_modified`` included, tombstones with ``deleted``): no object built, no change
        tracking. The fastest way to read (see the documentation's Performance page).

        >>> todo = Client().bucket("b").collection("todo")
        >>> todo.filter(status="done").dicts().url == todo.filter(status="done").url
        True
        """
        return AsyncQuery(self._transport, self._path, _as_sent, item_path=self._item_path,
                          _state=self._state)

    @overload
    def __getitem__(self, index: int) -> AsyncOutcome[T]: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> AsyncOutcome[T] | Self:
        """``q[:10]`` caps the total; ``q[20:30]`` skips 20 client-side; ``q[3]`` is one result
        (in async code, ``await q[3]``).

        Kinto has no offset: skipped results are still fetched, so prefer filters to slices.
        """
        if isinstance(index, slice):
            return self._sliced(index)
        return self._at(_count(index, "index", minimum=0))  # checked before any await

    async def _at(self, index: int) -> T:
        async with aclosing(self._sliced(slice(index, index + 1)).__aiter__()) as items:
            async for item in items:
                return item
        raise IndexError(f"query has no result at index {index}")

    # -- Arrow and pandas (the ``arrow`` extra): the page loop here, each page's conversion
    # pure (``kinto_query._queries.arrow``), so both sides build the same batches.

    async def iter_batches(
        self, schema: pyarrow.Schema | None = None, *, strict: bool = False
    ) -> AsyncGenerator[pyarrow.RecordBatch, None]:
        """The results as ``pyarrow.RecordBatch`` objects, one per page, each built as its page
        arrives (the page's JSON objects dropped before the next is fetched); in async code,
        ``async for batch in query.iter_batches()``.

        Without ``schema``, each page's columns and types are inferred from its objects
        (nested objects as structs, arrays as lists), so two pages may differ; with one,
        every batch has it (a field it lacks is left out, or an error if ``strict``).
        ``id`` and ``last_modified`` come first, then the ``fields()`` asked for.
        Needs the ``arrow`` extra.

        >>> for batch in todo.iter_batches():
        ...     print(batch.num_rows, batch.schema.names)
        3 ['id', 'last_modified', 'title', 'status']
        """
        from .. import arrow as _arrow

        pa = _arrow.pyarrow()  # before any request: a missing extra costs none
        fields, where = self._state.fields, self._url_for_errors()
        async with aclosing(self._raw_pages()) as pages:
            async for page in pages:
                objects = page.items
                del page  # only the objects are needed, and only until their batch is built
                batch = _arrow.batch_of(pa, objects, fields, where, schema, strict=strict)
                del objects
                if batch is not None:
                    yield batch

    async def to_arrow(
        self, schema: pyarrow.Schema | None = None, *, strict: bool = False
    ) -> pyarrow.Table:
        """Every result in one ``pyarrow.Table``, built page by page (see ``iter_batches``);
        without ``schema``, the pages' schemas unified (a field missing on a page is null
        there; integers and floats in one field are floats). ``SchemaMismatch`` when values
        of one field fit no one type: pass ``schema=``.

        >>> todo.filter(status="done").fields("title").to_arrow().column_names
        ['id', 'last_modified', 'title']
        """
        from .. import arrow as _arrow

        async with aclosing(self.iter_batches(schema, strict=strict)) as batches:
            found = []
            async for batch in batches:  # the batches only: each page's objects are gone
                found.append(batch)
        return _arrow.table_of(found, self._state.fields, self._url_for_errors(), schema)

    async def to_pandas(self, schema: pyarrow.Schema | None = None) -> pandas.DataFrame:
        """Every result in one ``pandas.DataFrame``, through ``to_arrow(schema)``.

        >>> todo.to_pandas().set_index("id").loc["r1", "title"]
        'bread'
        """
        from .. import arrow as _arrow

        _arrow.pandas()  # before any request: a missing extra costs none
        return (await self.to_arrow(schema)).to_pandas()

    # -- terminal operations: the only ones that send requests ----------------------------

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Iterate page by page, following ``Next-Page`` as the server sent it.

        A failure after some results were handed out raises ``IncompleteScan``: pass it to
        ``resume()`` to go on.
        """
        fields, factory = self._state.fields or None, self._factory
        async with aclosing(self._raw_pages()) as pages:
            async for page in pages:
                yield Page([factory(obj, fields, None) for obj in page.items], page.timestamp,
                           page.total, page.next_page, page.resume_token)

    def _raw_pages(self) -> AsyncPages[Page[dict[str, Any]]]:
        state = self._state
        raw = scan(self._transport, Position(state.start or self.url, state.skip, state.limit),
                   key=self._item_key)
        pages: AsyncPages[Page[dict[str, Any]]] = AsyncPrefetched(raw) if state.prefetch else raw
        if state.live_only:
            pages = without_tombstones(pages)
        if state.filters and not (state.start or state.skip or state.limit == 0):
            pages = watched(pages, state.filters, state.fields)  # checks the first page only
        return pages

    async def __aiter__(self) -> AsyncGenerator[T, None]:
        fields, factory = self._state.fields or None, self._factory
        async with aclosing(self._raw_pages()) as pages:
            async for page in pages:
                objects = page.items
                del page
                # Build each result as it is handed out (the first one comes as soon as its
                # page is in), and keep none we have given: while the next page is fetched,
                # only what the caller still holds of this one is in memory.
                objects.reverse()
                if factory is _as_sent:  # dicts(): nothing to build, not even a call
                    while objects:
                        yield objects.pop()  # type: ignore[misc]  # T is dict here
                while objects:
                    yield factory(objects.pop(), fields, None)

    async def count(self) -> int:
        """How many results, from one ``HEAD`` (``Total-Objects``)."""
        url = self._url(self._params_without("_limit", "_sort", "_fields"))
        try:
            response = await self._transport.send(Request("HEAD", url))
        except HTTPError as error:
            # A HEAD answer has no body to say what went wrong: ask the same with a GET.
            await self._explain(error, url)
            raise
        total_header = response.headers.get("Total-Objects", "")
        if not (total_header.isascii() and total_header.isdigit()):
            raise InvalidResponse(f"HEAD {url}: no usable Total-Objects header")
        total = max(0, int(total_header) - self._state.skip)
        return total if self._state.limit is None else min(total, self._state.limit)

    async def _explain(self, error: HTTPError, url: str) -> None:
        """Raise the error a GET of ``url`` gets, if it says more than the HEAD's ``error``."""
        if error.response.content:
            return
        separator = "&" if "?" in url else "?"
        try:
            await self._transport.send(Request("GET", f"{url}{separator}_limit=1"))
        except HTTPError as explained:
            if explained.status == error.status:
                raise explained from None

    async def exists(self) -> bool:
        """Whether there is at least one result (one small ``GET``)."""
        return await self.first() is not None

    async def first(self) -> T | None:
        """The first result, or None."""
        async with aclosing(self._sliced(slice(None, 1)).__aiter__()) as items:
            async for item in items:
                return item
        return None


# -- what only some endpoints support: each a mixin, so that a query offers nothing it refuses --


class AsyncTimed(TimedCore[T], AsyncListing[T]):
    """Builders and operations over ``last_modified``: ``since()``, ``before()``,
    ``partition()``."""

    async def partition(self, k: int) -> list[Self]:
        """``k`` disjoint queries whose results together are exactly this query's, to scan in
        ``k`` threads or tasks (or against ``k`` Kinto web heads on one database).

        The split is by ``last_modified`` ranges between the oldest and newest result (two
        small requests): records changed while the parts are scanned may move between them,
        as in any scan of a changing collection. A part never holds the tombstones that a
        ``last_modified`` range brings along, unless this query asked for them (``since()``).

        Example::

            with ThreadPoolExecutor(4) as pool:
                counts = pool.map(lambda part: sum(1 for _ in part), todo.partition(4))
        """
        k = self._partition_check(k)
        if k == 1:
            return [self]  # nothing to split: no request
        oldest = await self._edge("last_modified")
        newest = await self._edge("-last_modified")
        return self._split(k, oldest, newest)

    async def _edge(self, order: str) -> int | None:
        """The ``last_modified`` of the first result in ``order`` (one small GET), or None."""
        first = self._clone(sort=(order,), fields=("id",), limit=1)
        objects = (await self._transport.send(Request("GET", first.url))).data()
        if not isinstance(objects, list) or not objects:
            return None
        value = objects[0].get("last_modified") if isinstance(objects[0], dict) else None
        if not isinstance(value, int):
            raise InvalidResponse(f"GET {first.url}: no last_modified in {str(objects)[:100]}")
        return value

    # -- Dask (the ``dask`` extra): the parts are split here, read by Dask's workers with
    # sync clients of their own (``kinto_query._queries.dask``), whichever side built the graph.

    async def to_dask_bag(
        self, k: int, *, servers: Sequence[str] | None = None
    ) -> dask.bag.Bag:
        """A Dask bag of the results as plain JSON objects, one Dask partition per part of
        ``partition(k)``, each read by a Dask worker with a client of its own; part ``i``
        through ``servers[i % len(servers)]`` (Kinto web heads on one database; default:
        this query's server). Needs the ``dask`` extra.

        On ``kinto_query.aio``, awaited for ``partition(k)``'s two requests only: the bag
        is the sync one, lazy, its parts read when Dask computes it, by sync clients built
        in Dask's workers from this client's configuration (URL, credentials, headers,
        timeouts, retries; not an own ``wire=``). Its ``compute()`` blocks: in async code,
        ``await asyncio.to_thread(bag.compute)``.

        >>> sorted(todo.to_dask_bag(8, servers=heads).pluck("status").frequencies())
        [('done', 2), ('todo', 1)]
        """
        from .. import dask as _dask

        _dask.require("bag")
        return _dask.bag(await self._scan_parts(k, servers))

    async def to_dask_dataframe(
        self, k: int, *, servers: Sequence[str] | None = None,
        schema: pyarrow.Schema | None = None,
    ) -> dask.dataframe.DataFrame:
        """A Dask dataframe of the results, one partition per part of ``partition(k)``
        (each read by a worker as in ``to_dask_bag``), its columns those of ``schema``.

        Without ``schema``, it is inferred from the first page of the query (read now):
        a part whose records have a field outside it raises ``SchemaMismatch`` when
        computed; pass ``schema=`` where records vary. Needs the ``dask`` extra. On
        ``kinto_query.aio``, awaited for those requests only (see ``to_dask_bag``).

        >>> sizes = todo.to_dask_dataframe(8, servers=heads).groupby("status").size()
        >>> sizes.compute().sort_index().to_dict()
        {'done': 2, 'todo': 1}
        """
        from .. import arrow as _arrow
        from .. import dask as _dask

        _dask.require("dataframe")
        parts = await self._scan_parts(k, servers)
        strict = schema is None
        if schema is None:
            async with aclosing(self.iter_batches()) as batches:
                first = await anext(batches, None)
            schema = _arrow.base_schema(self._state.fields) if first is None else first.schema
        return _dask.dataframe(parts, schema, strict)

    async def _scan_parts(self, k: int, servers: Sequence[str] | None) -> list[_dask.ScanPart]:
        from .. import dask as _dask

        server_configs = _dask.configs(self._transport.config, servers)  # checked first
        states = [part._state for part in await self.partition(k)]
        return _dask.parts(server_configs, self._path, states)


class AsyncProjected(ProjectedCore[T], AsyncListing[T]):
    """``fields()``: results with only some fields."""


class AsyncAddressed(AddressedCore[T], AsyncListing[T]):
    """``get(id)``: one object by id."""

    async def get(self, object_id: str) -> T:
        """One object by id, or ``NotFound``; ``fields()`` applies, filters cannot."""
        url = self._get_url(object_id)
        body = (await self._transport.send(Request("GET", url))).json_object()
        permissions = body.get("permissions")
        return self._factory(
            body["data"],
            self._state.fields or None,
            permissions if isinstance(permissions, dict) else None,
        )


class AsyncDeletable(DeletableCore[T], AsyncListing[T]):
    """``delete()``: delete every match."""

    async def delete(self) -> int:
        """Delete every match (Kinto deletes a page per call: repeated until none is left).

        Returns how many were deleted. A call is retried only on answers proving it was not
        applied (429, Kinto's 503): a list ``DELETE`` sent twice deletes the next page too. An
        error carries ``.deleted``, how many the calls before it deleted: run it again for
        the rest. Example: ``todo.filter(status="done").delete()``.
        """
        url = self._delete_url()
        deleted = 0
        try:
            while True:
                response = await self._transport.send(Request("DELETE", url))
                tombstones = response.data()
                if not isinstance(tombstones, list):
                    raise InvalidResponse(f"DELETE {url}: 'data' is not a list")
                deleted += len(tombstones)
                if "Next-Page" not in response.headers:
                    return deleted
        except KintoError as error:
            error.deleted = deleted  # type: ignore[attr-defined]
            raise


class AsyncQuery(AsyncTimed[T], AsyncProjected[T], AsyncAddressed[T], AsyncDeletable[T]):
    """A lazy, immutable query on a Kinto list endpoint; iterate it to send requests.

    >>> todo = Client().bucket("b").collection("todo")
    >>> todo.filter(status="done").sort("-last_modified").limit(10).url
    'http://localhost:8888/v1/buckets/b/collections/todo/records?status=done&_sort=-last_modified&_limit=10'
    """
