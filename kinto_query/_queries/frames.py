"""What a query's iteration differs in per side, beyond the generated code.

The Arrow, pandas and Dask outputs (``iter_batches``, ``to_arrow``, ``to_pandas``,
``to_dask_bag``, ``to_dask_dataframe``) are written once, in ``kinto_query._queries._async.query``
(their page-to-batch conversion pure, in ``kinto_query._queries.arrow``; their Dask parts in
``kinto_query._queries.dask``), and generated for the sync side. What stays here: the query classes
take ``AsyncFrames`` as their base, which the generated sync classes see as ``Frames``.
"""

from __future__ import annotations

from typing import NoReturn

__all__ = ["AsyncFrames", "Frames"]


class AsyncFrames:
    """A plain ``for`` over an async query fails at once (else Python's old protocol would
    call ``q[0]``, ``q[1]``... forever, each an unawaited coroutine)."""

    def __iter__(self) -> NoReturn:
        raise TypeError("an async query is read with `async for record in query` (and its "
                        "terminal operations awaited: `await query.count()`), not with `for`")


class Frames:
    """The sync side needs nothing here: a sync query iterates with ``for``."""
