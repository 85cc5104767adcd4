"""Arrow, pandas and Dask output of a query: sync-only for now (the async side lacks them).

Hand-written per-side code: the query classes, written once in
``kinto_query._queries._async.query``,
take ``AsyncFrames`` / ``AsyncTimedFrames`` (nothing yet) as their base, which the generated
sync classes see as ``Frames`` / ``TimedFrames``: the methods below. Each reads the query's
pages through its ``_raw_pages()``, one page at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas
    import pyarrow
    from typing_extensions import Self

    from .._wire._blocking.transport import Transport
    from . import dask as _dask
    from .listing import _State
    from .scan import Page

__all__ = ["AsyncFrames", "AsyncTimedFrames", "Frames", "TimedFrames"]


class _Scanned(Protocol):
    """What the methods of ``Frames`` need of the (sync) query they are part of."""

    @property
    def _state(self) -> _State: ...

    def _raw_pages(self) -> Iterator[Page[dict[str, Any]]]: ...

    def _url_for_errors(self) -> str: ...

    def iter_batches(self, schema: pyarrow.Schema | None = None, *,
                     strict: bool = False) -> Generator[pyarrow.RecordBatch, None, None]: ...

    def to_arrow(self, schema: pyarrow.Schema | None = None, *,
                 strict: bool = False) -> pyarrow.Table: ...


class _Parted(_Scanned, Protocol):
    """What the methods of ``TimedFrames`` need: ``partition()`` too, and where it reads."""

    @property
    def _path(self) -> str: ...

    @property
    def _transport(self) -> Transport: ...

    def partition(self, k: int) -> list[Self]: ...

    def _scan_parts(self, k: int, servers: Sequence[str] | None) -> list[_dask.ScanPart]: ...


class AsyncFrames:
    """The async side has no Arrow or pandas output yet. What it adds: a plain ``for`` over an
    async query fails at once (else Python's old protocol would call ``q[0]``, ``q[1]``...
    forever, each an unawaited coroutine)."""

    def __iter__(self) -> NoReturn:
        raise TypeError("an async query is read with `async for record in query` (and its "
                        "terminal operations awaited: `await query.count()`), not with `for`")


class AsyncTimedFrames:
    """The async side has no Dask output yet: nothing to add."""


class Frames:
    """Arrow and pandas output of a sync query (the ``arrow`` extra)."""

    def iter_batches(self: _Scanned, schema: pyarrow.Schema | None = None, *,
                     strict: bool = False) -> Generator[pyarrow.RecordBatch, None, None]:
        """The results as ``pyarrow.RecordBatch`` objects, one per page, each built as its page
        arrives (the page's JSON objects dropped before the next is fetched).

        Without ``schema``, each page's columns and types are inferred from its objects
        (nested objects as structs, arrays as lists), so two pages may differ; with one,
        every batch has it (a field it lacks is left out, or an error if ``strict``).
        ``id`` and ``last_modified`` come first, then the ``fields()`` asked for.
        Needs the ``arrow`` extra.

        >>> for batch in todo.iter_batches():
        ...     print(batch.num_rows, batch.schema.names)
        3 ['id', 'last_modified', 'title', 'status']
        """
        from . import arrow as _arrow

        return _arrow.batches(self._raw_pages(), self._state.fields, self._url_for_errors(),
                              schema, strict=strict)

    def to_arrow(self: _Scanned, schema: pyarrow.Schema | None = None, *,
                 strict: bool = False) -> pyarrow.Table:
        """Every result in one ``pyarrow.Table``, built page by page (see ``iter_batches``);
        without ``schema``, the pages' schemas unified (a field missing on a page is null
        there; integers and floats in one field are floats). ``SchemaMismatch`` when values
        of one field fit no one type: pass ``schema=``.

        >>> todo.filter(status="done").fields("title").to_arrow().column_names
        ['id', 'last_modified', 'title']
        """
        from . import arrow as _arrow

        return _arrow.table(self._raw_pages(), self._state.fields, self._url_for_errors(),
                            schema, strict=strict)

    def to_pandas(self: _Scanned, schema: pyarrow.Schema | None = None) -> pandas.DataFrame:
        """Every result in one ``pandas.DataFrame``, through ``to_arrow(schema)``.

        >>> todo.to_pandas().set_index("id").loc["r1", "title"]
        'bread'
        """
        from . import arrow as _arrow

        _arrow.pandas()
        return self.to_arrow(schema).to_pandas()



class TimedFrames:
    """Dask output of a sync query that ``partition()`` splits (the ``dask`` extra)."""

    def to_dask_bag(self: _Parted, k: int, *, servers: Sequence[str] | None = None) -> dask.bag.Bag:
        """A Dask bag of the results as plain JSON objects, one Dask partition per part of
        ``partition(k)``, each read by a Dask worker with a client of its own; part ``i``
        through ``servers[i % len(servers)]`` (Kinto web heads on one database; default:
        this query's server). Needs the ``dask`` extra.

        >>> sorted(todo.to_dask_bag(8, servers=heads).pluck("status").frequencies())
        [('done', 2), ('todo', 1)]
        """
        from . import dask as _dask

        _dask.require("bag")
        return _dask.bag(self._scan_parts(k, servers))

    def to_dask_dataframe(self: _Parted, k: int, *, servers: Sequence[str] | None = None,
                          schema: pyarrow.Schema | None = None) -> dask.dataframe.DataFrame:
        """A Dask dataframe of the results, one partition per part of ``partition(k)``
        (each read by a worker as in ``to_dask_bag``), its columns those of ``schema``.

        Without ``schema``, it is inferred from the first page of the query (read now):
        a part whose records have a field outside it raises ``SchemaMismatch`` when
        computed; pass ``schema=`` where records vary. Needs the ``dask`` extra.

        >>> sizes = todo.to_dask_dataframe(8, servers=heads).groupby("status").size()
        >>> sizes.compute().sort_index().to_dict()
        {'done': 2, 'todo': 1}
        """
        from . import arrow as _arrow
        from . import dask as _dask

        _dask.require("dataframe")
        parts = self._scan_parts(k, servers)
        strict = schema is None
        if schema is None:
            with contextlib.closing(self.iter_batches()) as batches:
                first = next(batches, None)
            schema = _arrow.base_schema(self._state.fields) if first is None else first.schema
        return _dask.dataframe(parts, schema, strict)

    def _scan_parts(self: _Parted, k: int, servers: Sequence[str] | None) -> list[_dask.ScanPart]:
        from . import dask as _dask

        server_configs = _dask.configs(self._transport.config, servers)  # checked first
        states = [part._state for part in self.partition(k)]
        return _dask.parts(server_configs, self._path, states)
