"""Tests of aio.py: the async API's names, each the twin of a sync one."""

from __future__ import annotations

import pytest

import kinto_query
import kinto_query.aio as aio


def test_every_exported_name_is_there_and_async_twins_keep_the_sync_names() -> None:
    for name in aio.__all__:
        assert getattr(aio, name).__module__.startswith("kinto_query")
    # The async side's classes are not the sync ones, nor their subclasses (no thread pool
    # around the sync client): twins generated from one source.
    for name in ("AsyncClient", "AsyncCollection", "AsyncQuery", "AsyncTransport"):
        twin = getattr(kinto_query, name.removeprefix("Async"))
        assert not issubclass(getattr(aio, name), twin)


@pytest.mark.anyio
async def test_an_async_client_builds_what_the_sync_one_builds_without_a_request() -> None:
    async with aio.AsyncClient("http://kinto.test/v1", auth=("ann", "pw")) as client:
        records = client.bucket("b").collection("c").records().filter(status="done")
        sync = kinto_query.Client("http://kinto.test/v1").bucket("b").collection("c")
        assert records.url == sync.records().filter(status="done").url
        assert repr(client) == "<AsyncClient 'http://kinto.test/v1', auth=BasicAuth('ann', '***')>"
