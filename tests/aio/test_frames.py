"""Arrow, pandas and Dask output of an async query (written once in _async/query.py, the
page-to-batch conversion in _arrow.py, the Dask parts in _dask.py), checked against the sync
side on the same collection of a real Kinto: the same tables, frames and requests.

What was sent is read from loopback proxies' logs (``tests/faultproxy.py``, no fault set).
"""

from __future__ import annotations

import asyncio
import pickle
import re
import sys
from collections.abc import Iterator
from contextlib import aclosing
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from kinto_query import Bucket, Client, ConfigurationError, RetryPolicy, SchemaMismatch
from kinto_query.aio import AsyncClient

from ..conftest import AUTH, batch_put
from ..faultproxy import FaultProxy
from ..queries.test_arrow import varied
from .sent import LoggedClient

pytestmark = pytest.mark.anyio

PATH = "/buckets/b/collections/c/records"


def record_gets(proxy: FaultProxy) -> list[str]:
    """The targets of the GETs of records the proxy saw, in order, each ``_token`` as
    ``<token>`` (Kinto puts a nonce of its own in each)."""
    return [re.sub(r"_token=[^&]*", "_token=<token>", target) for method, target, _ in proxy.log
            if method == "GET" and "/records" in target]


@pytest.fixture
def proxy(kinto_any_server: str) -> Iterator[FaultProxy]:
    """b/c holding ``varied(i)`` for 30 records, on each backend in turn, behind a proxy."""
    client = Client(kinto_any_server, auth=AUTH)
    Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, PATH, (varied(i) for i in range(30)))
    with FaultProxy(kinto_any_server) as proxy:
        yield proxy


def sync_and_async(url: str, **options: Any) -> tuple[Any, AsyncClient]:
    return Client(url, auth=AUTH, **options), AsyncClient(url, auth=AUTH, **options)


# -- Arrow and pandas: the sync side's tables, from the same requests --------------------------


async def test_tables_and_frames_equal_the_sync_ones_from_the_same_requests(
        proxy: FaultProxy) -> None:
    sync, aclient = sync_and_async(proxy.url, retry=None)
    schema = pa.schema([("id", pa.string()), ("n", pa.float64()), ("title", pa.string())])
    async with aclient:
        for build in (lambda c: c.bucket("b").collection("c").page_size(7),
                      lambda c: c.bucket("b").collection("c").filter(n__gt=3).fields("title")
                      .sort("-id").page_size(10)):
            proxy.log.clear()
            expected = build(sync).to_arrow()
            sync_sent = record_gets(proxy)
            proxy.log.clear()
            table = await build(aclient).to_arrow()
            assert record_gets(proxy) == sync_sent and len(sync_sent) > 1  # paged alike
            assert table.equals(expected) and table.schema == expected.schema
            assert (await build(aclient).to_arrow(schema)).equals(build(sync).to_arrow(schema))
            pd.testing.assert_frame_equal(await build(aclient).to_pandas(),
                                          build(sync).to_pandas())
        # The collection's own methods are its records query's, as on the sync side.
        todo = aclient.bucket("b").collection("c")
        assert (await todo.to_arrow()).num_rows == 30


async def test_batches_arrive_one_per_page_as_each_page_is_read(proxy: FaultProxy) -> None:
    async with AsyncClient(proxy.url, auth=AUTH, retry=None) as client:
        query = client.bucket("b").collection("c").sort("id").page_size(12)
        sizes = []
        async with aclosing(query.iter_batches()) as batches:
            async for batch in batches:
                # Streamed: when a batch is handed out, only its page has been fetched.
                sizes.append(batch.num_rows)
                assert len(record_gets(proxy)) == len(sizes)
                assert batch.column("id")[0].as_py() == f"r{12 * (len(sizes) - 1):03d}"
        assert sizes == [12, 12, 6]
        # Stopped after the first batch: no further page is read.
        proxy.log.clear()
        async with aclosing(query.iter_batches()) as batches:
            await anext(batches)
        assert len(record_gets(proxy)) == 1


async def test_a_mismatch_says_what_the_sync_side_says(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=AUTH)
    Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, PATH, [{"id": "r1", "v": 1}, {"id": "r2", "v": "two"}])
    sync_query = client.bucket("b").collection("c").sort("id")
    with pytest.raises(SchemaMismatch) as expected:
        sync_query.to_arrow()
    async with AsyncClient(kinto_fresh_server, auth=AUTH) as aclient:
        with pytest.raises(SchemaMismatch) as raised:
            await aclient.bucket("b").collection("c").sort("id").to_arrow()
    assert str(raised.value) == str(expected.value) and "field 'v'" in str(raised.value)


async def test_a_missing_extra_is_the_sync_sides_error_before_any_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens there: a request would be a connection error, not this one.
    sync, aclient = sync_and_async("http://127.0.0.1:9/v1", retry=None)
    sync_todo, todo = sync.bucket("b").collection("c"), aclient.bucket("b").collection("c")

    def message(call: Any) -> str:
        with pytest.raises(ConfigurationError) as raised:
            call()
        return str(raised.value)

    async def amessage(call: Any) -> str:
        with pytest.raises(ConfigurationError) as raised:
            await call()
        return str(raised.value)

    async with aclient:
        monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails
        assert await amessage(todo.to_arrow) == message(sync_todo.to_arrow)
        assert (await amessage(lambda: anext(todo.iter_batches()))
                == message(lambda: next(sync_todo.iter_batches()))
                == "Arrow and pandas output needs pyarrow: pip install 'kinto_query[arrow]'")
        monkeypatch.setitem(sys.modules, "pandas", None)
        assert await amessage(todo.to_pandas) == message(sync_todo.to_pandas)
        monkeypatch.setitem(sys.modules, "dask.bag", None)
        monkeypatch.setitem(sys.modules, "dask.dataframe", None)
        bag = await amessage(lambda: todo.to_dask_bag(2))
        assert bag == message(lambda: sync_todo.to_dask_bag(2)) and "[dask]" in bag
        assert (await amessage(lambda: todo.to_dask_dataframe(2))
                == message(lambda: sync_todo.to_dask_dataframe(2)))


# -- Dask: the sync side's graph, read by sync code in Dask's threads ---------------------------


@pytest.fixture
def heads(proxy: FaultProxy, kinto_any_server: str) -> Iterator[list[FaultProxy]]:
    """Two ways to one Kinto (as two web heads on one database): ``proxy`` and another."""
    with FaultProxy(kinto_any_server) as other:
        yield [proxy, other]


def compute(collection: Any) -> Any:
    import dask

    # Dask's threads, out of the event loop, as the async guide says to.
    return asyncio.to_thread(dask.compute, *collection if isinstance(collection, tuple)
                             else (collection,), scheduler="threads")


async def test_a_dask_bag_and_dataframe_are_the_sync_ones(heads: list[FaultProxy]) -> None:
    servers = [head.url for head in heads]
    sync = Client(heads[0].url, auth=AUTH).bucket("b").collection("c").page_size(8)
    async with AsyncClient(heads[0].url, auth=AUTH) as aclient:
        todo = aclient.bucket("b").collection("c").page_size(8)
        for head in heads:
            head.log.clear()
        sync.to_dask_bag(3, servers=servers)
        sync_sent = [target for _, target, _ in heads[0].log]
        heads[0].log.clear()
        bag = await todo.to_dask_bag(3, servers=servers)
        # Built with partition(3)'s two requests only, through the query's own server: the
        # sync side's.
        assert [len(head.log) for head in heads] == [2, 0]
        assert [target for _, target, _ in heads[0].log] == sync_sent
        assert bag.npartitions == 3
        (parts,) = await compute(bag.to_delayed())
        assert sorted(obj["id"] for part in parts for obj in part) == [
            f"r{i:03d}" for i in range(30)]
        # Part i read through server i % 2, its own last_modified range in its URLs.
        async_parts = await todo._scan_parts(3, servers)
        for i, part in enumerate(async_parts):
            low = part.state.filters[-2][1]
            through = record_gets(heads[i % 2])
            assert any(f"min_last_modified={low}&" in target for target in through)
            assert not any(f"min_last_modified={low}&" in target
                           for target in record_gets(heads[1 - i % 2]))
        # The parts are the sync side's: same configurations, same states.
        sync_parts = sync._scan_parts(3, servers)
        assert [(p.config, p.path, p.state) for p in async_parts] == [
            (p.config, p.path, p.state) for p in sync_parts]
        frame = await todo.to_dask_dataframe(3, servers=servers)
        expected = sync.to_dask_dataframe(3, servers=servers)
        assert list(frame.columns) == list(expected.columns)
        (computed, sync_computed) = await compute((frame, expected))
        assert len(computed) == 30
        pd.testing.assert_frame_equal(computed.sort_values("id").reset_index(drop=True),
                                      sync_computed.sort_values("id").reset_index(drop=True))


async def test_the_async_clients_configuration_travels_without_its_wire(
        heads: list[FaultProxy]) -> None:
    retry = RetryPolicy(attempts=2, backoff=0.01)
    options: dict[str, Any] = {"auth": AUTH, "headers": {"X-Team": "a"},
                               "timeout": (3.0, 7.0), "deadline": 40.0, "retry": retry,
                               "user_agent": "mine/1.0"}
    # An httpx client of our own (LoggedClient's wire): a worker cannot use it, and needs not.
    async with LoggedClient(heads[0].url, **options) as aclient:
        todo = aclient.bucket("b").collection("c")
        (part, *_) = await todo.records()._scan_parts(2, None)
        config = part.config
        assert (config.auth, config.headers, config.timeout, config.deadline, config.retry,
                config.user_agent) == (AUTH, {"X-Team": "a"},
                                       (3.0, 7.0), 40.0, retry, "mine/1.0")
        assert config.wire is None and config.session is None
        sync = Client(heads[0].url, **options).bucket("b").collection("c")
        assert config == sync.records()._scan_parts(2, None)[0].config
        # Plain values: it travels to a worker process, credentials included, never shown.
        assert pickle.loads(pickle.dumps(part)).config.auth == AUTH
        assert AUTH[1] not in repr(part) and AUTH[1] not in repr(config)
        bag = await todo.to_dask_bag(2)
        frame = await todo.to_dask_dataframe(2)
        keys = [*bag.__dask_graph__().keys(), *frame.__dask_graph__().keys()]
        assert keys and all(AUTH[1] not in str(key) and AUTH[0] not in str(key)
                            for key in keys)
        (objects,) = await compute(bag)
        assert len(objects) == 30
