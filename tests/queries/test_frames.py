"""Tests of _queries/frames.py: Arrow, pandas and Dask are the sync queries' (the async side has
none
yet, and a plain for over an async query fails at once)."""

from __future__ import annotations

import pytest

from kinto_query import Client
from kinto_query.aio import AsyncClient


def test_the_output_methods_are_the_sync_sides() -> None:
    sync = Client("http://kinto.test/v1").bucket("b").collection("c").records()
    async_ = AsyncClient("http://kinto.test/v1").bucket("b").collection("c").records()
    for name in ("to_arrow", "iter_batches", "to_pandas", "to_dask_bag"):
        assert callable(getattr(sync, name)) and not hasattr(async_, name)
    with pytest.raises(TypeError, match="async for record in query"):
        iter(async_)
