"""Tests of _queries/frames.py: a plain for over an async query fails at once; and the Arrow, pandas
and Dask outputs, written once in the async source, are on both sides with one signature
(the sync ones as they always were, the async ones awaited or iterated with async for)."""

from __future__ import annotations

import inspect

import pytest

from kinto_query import Client
from kinto_query.aio import AsyncClient

OUTPUTS = ("iter_batches", "to_arrow", "to_pandas", "to_dask_bag", "to_dask_dataframe")


def test_the_outputs_are_on_both_sides_with_one_signature() -> None:
    sync = Client("http://kinto.test/v1").bucket("b").collection("c")
    async_ = AsyncClient("http://kinto.test/v1").bucket("b").collection("c")
    for owner_sync, owner_async in ((sync, async_), (sync.records(), async_.records())):
        for name in OUTPUTS:
            plain, awaited = getattr(owner_sync, name), getattr(owner_async, name)
            assert (inspect.signature(plain).parameters
                    == inspect.signature(awaited).parameters), name
            assert not inspect.iscoroutinefunction(plain)
            assert not inspect.isgeneratorfunction(awaited)  # no sync generator on aio
    assert inspect.isasyncgenfunction(async_.records().iter_batches)
    assert inspect.iscoroutinefunction(async_.records().to_arrow)
    assert inspect.isgeneratorfunction(sync.records().iter_batches)


def test_a_plain_for_over_an_async_query_is_a_type_error() -> None:
    async_ = AsyncClient("http://kinto.test/v1").bucket("b").collection("c").records()
    with pytest.raises(TypeError, match="async for record in query"):
        iter(async_)
