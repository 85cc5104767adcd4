"""Tests of _queries/_async/query.py and _queries/_async/scan.py: the async query on real Kinto
servers.

Records are seeded raw (the sync client's batch, not the code under test); what was sent is
read from a loopback proxy's log (``tests/faultproxy.py``, no fault unless one is injected),
so the assertions hold whatever HTTP client the async side uses.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from kinto_query import Bucket, Client, IncompleteScan, InvalidQuery, NotFound
from kinto_query._queries._async.query import AsyncQuery
from kinto_query._wire._async.transport import AsyncTransport
from kinto_query.aio import AsyncClient, AsyncCollection, AsyncRecord

from ..conftest import AUTH, TODO, batch_put, raw_get
from ..faultproxy import Fault, FaultProxy
from .sent import log_of

pytestmark = pytest.mark.anyio

RECORDS = "/buckets/b/collections/c/records"
IDS = [f"r{i:02d}" for i in range(30)]


def records(transport: AsyncTransport, path: str = RECORDS) -> AsyncQuery[dict[str, Any]]:
    """The query of a collection's records as plain objects, built as a collection builds it."""
    return AsyncQuery(transport, path, lambda obj, fields, permissions: obj,
                      item_path=lambda record_id: f"{path}/{record_id}")


def seed(url: str, count: int = 30) -> None:
    client = Client(url, auth=AUTH)
    Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, RECORDS, ({"id": f"r{i:02d}", "n": i, "even": i % 2 == 0}
                                for i in range(count)))


@pytest.fixture
def thirty(kinto_fresh_server: str) -> str:
    """30 records r00..r29 in b/c (``n``: their number, ``even``) on a fresh server."""
    seed(kinto_fresh_server)
    return kinto_fresh_server


@pytest.fixture
def proxy(thirty: str) -> Iterator[FaultProxy]:
    """A loopback proxy to ``thirty``: its ``log`` is what was sent."""
    with FaultProxy(thirty) as proxy:
        yield proxy


@pytest.fixture
async def transport(proxy: FaultProxy) -> AsyncIterator[AsyncTransport]:
    """An async transport through ``proxy``, as alice, with no retries."""
    transport = AsyncTransport(proxy.url, auth=AUTH, retry=None)
    yield transport
    await transport.aclose()


def sent(proxy: FaultProxy) -> list[tuple[str, str]]:
    return [(method, target) for method, target, _outcome in proxy.log]


# -- building: pure, no await, the same URLs as the sync side -------------------------------------


async def test_builders_are_pure_and_their_urls_those_of_the_sync_query() -> None:
    transport = AsyncTransport("http://localhost:8888/v1", auth=AUTH)
    try:
        query = records(transport).filter(status="done").sort("-n").fields("title")[:10]
        synced = Client("http://localhost:8888/v1", auth=AUTH).bucket("b").collection("c")
        assert query.url == synced.filter(status="done").sort("-n").fields("title")[:10].url
        assert query.url == ("http://localhost:8888/v1/buckets/b/collections/c/records"
                             "?status=done&_sort=-n&_fields=title&_limit=10")
        assert query.dicts().url == query.url
        assert query.resume(query.resume_token).url == query.url
        with pytest.raises(InvalidQuery, match="slices take no step"):
            records(transport)[::2]
        with pytest.raises(InvalidQuery, match="index must be an integer >= 0"):
            records(transport)[-1]  # refused at once, before anything is awaited
        with pytest.raises(TypeError, match="no truth value"):
            bool(query)
    finally:
        await transport.aclose()


# -- reading -----------------------------------------------------------------------------------


async def test_iteration_returns_the_records_and_sends_the_url_shown(
    transport: AsyncTransport, proxy: FaultProxy
) -> None:
    query = records(transport).filter(even=True).sort("-n")
    got = [record async for record in query]
    assert [r["id"] for r in got] == [f"r{i:02d}" for i in range(28, -1, -2)]
    assert all(r["even"] is True and isinstance(r["last_modified"], int) for r in got)
    assert sent(proxy) == [("GET", f"/v1{RECORDS}?even=true&_sort=-n")]
    assert query.url == f"{proxy.url}{RECORDS}?even=true&_sort=-n"


async def test_paging_across_several_pages(transport: AsyncTransport, proxy: FaultProxy) -> None:
    query = records(transport).sort("id").page_size(7)
    pages = [page async for page in query.pages()]
    assert [len(page.items) for page in pages] == [7, 7, 7, 7, 2]
    assert [r["id"] for page in pages for r in page.items] == IDS
    assert [page.next_page is None for page in pages] == [False] * 4 + [True]
    assert pages[-1].resume_token is None
    targets = [target for _method, target in sent(proxy)]
    assert targets[0] == f"/v1{RECORDS}?_sort=id&_limit=7"
    assert len(targets) == 5 and all("_token=" in target for target in targets[1:])
    # Each page's token goes on after it: the rest of the scan, nothing twice.
    rest = [r["id"] async for r in records(transport).resume(pages[1].resume_token or "")]
    assert rest == IDS[14:]


async def test_limit_and_slices(transport: AsyncTransport, proxy: FaultProxy) -> None:
    query = records(transport).sort("id").page_size(4)
    assert [r["id"] async for r in query.limit(6)] == IDS[:6]
    assert [r["id"] async for r in query[5:11]] == IDS[5:11]
    assert (await query[12])["id"] == "r12"
    with pytest.raises(IndexError, match="no result at index 30"):
        await query[30]
    proxy.log.clear()
    assert [r async for r in query[3:3]] == [] and sent(proxy) == []  # nothing to ask


async def test_count_exists_first_get(transport: AsyncTransport, proxy: FaultProxy) -> None:
    query = records(transport)
    assert await query.count() == 30
    assert await query.filter(even=True).count() == 15
    assert await query.filter(n__gte=25)[1:].count() == 4
    assert sent(proxy)[0] == ("HEAD", f"/v1{RECORDS}")
    assert await query.filter(n=3).exists() is True
    assert await query.filter(n=99).exists() is False
    first = await query.sort("-n").first()
    assert first is not None and first["id"] == "r29"
    assert await query.filter(n=99).first() is None
    got = await query.fields("n").get("r07")
    assert got["id"] == "r07" and got["n"] == 7 and "even" not in got
    assert sent(proxy)[-1] == ("GET", f"/v1{RECORDS}/r07?_fields=n")
    with pytest.raises(NotFound):
        await query.get("nope")
    with pytest.raises(InvalidQuery, match="ignores filters"):
        await query.filter(n=1).get("r01")


async def test_count_of_a_missing_collection_says_why(transport: AsyncTransport) -> None:
    missing = records(transport, "/buckets/b/collections/nope/records")
    with pytest.raises(NotFound):
        await missing.count()
    with pytest.raises(NotFound):
        [r async for r in missing]


async def test_delete_follows_pages(thirty: str, transport: AsyncTransport,
                                    proxy: FaultProxy) -> None:
    query = records(transport).filter(even=False)
    assert await query.delete() == 15
    left = raw_get(thirty, RECORDS)["data"]
    assert sorted(r["id"] for r in left) == IDS[::2]
    assert sent(proxy) == [("DELETE", f"/v1{RECORDS}?even=false")]
    with pytest.raises(InvalidQuery, match="remove limit"):
        await query.limit(3).delete()


async def test_dicts_hand_out_what_the_server_sent(transport: AsyncTransport) -> None:
    plain = [r async for r in records(transport).sort("id").dicts()[:2]]
    assert [set(r) for r in plain] == [{"id", "last_modified", "n", "even"}] * 2


async def test_a_string_where_numbers_are_warns_from_the_first_page(
    transport: AsyncTransport, caplog: pytest.LogCaptureFixture
) -> None:
    assert [r async for r in records(transport).filter(n="3")] == []
    assert [r.getMessage() for r in caplog.records if r.name == "kinto_query"] == [
        "filter(n='3') matched nothing: '3' was sent as a string (values mean what you "
        "wrote); if the field holds numbers, write filter(n=3)"]


async def test_since_brings_tombstones_partitions_leave_them_out(
    thirty: str, transport: AsyncTransport
) -> None:
    query = records(transport)
    newest = await query.sort("-last_modified").first()
    assert newest is not None
    assert await query.filter(n__in=[1, 2]).delete() == 2
    changed = [r async for r in query.since(newest["last_modified"])]
    assert sorted((r["id"], r.get("deleted")) for r in changed) == [("r01", True), ("r02", True)]
    parts = await query.partition(3)
    ids = sorted([r["id"] for part in parts async for r in part])
    assert ids == [i for i in IDS if i not in ("r01", "r02")]  # no tombstone in a part


# -- failures: IncompleteScan, resumed on either side ------------------------------------------


async def test_a_failed_scan_resumes_with_nothing_missing_and_nothing_twice(
    transport: AsyncTransport, proxy: FaultProxy
) -> None:
    query = records(transport).sort("id").page_size(10)
    seen: list[str] = []
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    with pytest.raises(IncompleteScan) as caught:
        async for record in query:
            seen.append(record["id"])
    assert caught.value.delivered == len(seen) == 10
    assert "503" in str(caught.value)
    seen.extend([r["id"] async for r in query.resume(caught.value)])
    assert seen == IDS


async def test_a_reset_mid_scan_resumes_keeping_the_limit(
    transport: AsyncTransport, proxy: FaultProxy
) -> None:
    query = records(transport).sort("id").page_size(10).limit(25)
    seen: list[str] = []
    proxy.inject(Fault.RESET, methods={"GET"}, path_contains="_token", times=1)
    with pytest.raises(IncompleteScan) as caught:
        async for page in query.pages():
            seen.extend(r["id"] for r in page.items)
    seen.extend([r["id"] async for r in query.resume(caught.value.resume_token)])
    assert seen == IDS[:25]


async def test_a_token_resumes_on_the_other_side(transport: AsyncTransport,
                                                 proxy: FaultProxy) -> None:
    """An async scan's failure resumes in sync code, and a sync one's in async code."""
    synced = Client(proxy.url, auth=AUTH, retry=None).bucket("b").collection("c")
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    seen: list[str] = []
    with pytest.raises(IncompleteScan) as caught:
        async for record in records(transport).sort("id").page_size(10):
            seen.append(record["id"])
    seen.extend(record.id for record in synced.sort("id").page_size(10).resume(caught.value))
    assert seen == IDS

    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    seen = []
    with pytest.raises(IncompleteScan) as caught_sync:
        seen.extend(record.id for record in synced.sort("id").page_size(10))
    seen.extend([r["id"] async for r in records(transport).resume(caught_sync.value)])
    assert seen == IDS


async def test_an_error_on_the_first_page_is_raised_as_is(transport: AsyncTransport,
                                                         proxy: FaultProxy) -> None:
    proxy.fail_next(Fault.UNAVAILABLE)
    with pytest.raises(Exception) as caught:
        [r async for r in records(transport)]
    assert not isinstance(caught.value, IncompleteScan)
    assert "503" in str(caught.value)


# -- prefetch: an asyncio task one page ahead, gone when the consumer stops ---------------------


def started(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The tasks alive now that were not ``before`` (the test runner's own tasks were)."""
    return asyncio.all_tasks() - before


async def _settle() -> None:
    for _ in range(5):  # what a finalized generator schedules runs on the next turns
        await asyncio.sleep(0)


async def test_prefetch_reads_the_same_records_one_page_ahead(
    transport: AsyncTransport, proxy: FaultProxy
) -> None:
    before = asyncio.all_tasks()
    query = records(transport).sort("id").page_size(10).prefetch()
    pages = query.pages()
    first = await anext(pages)
    await asyncio.sleep(0.3)  # the consumer works on page 1: page 2 is fetched meanwhile
    assert len(sent(proxy)) == 2 and [r["id"] for r in first.items] == IDS[:10]
    rest = [r["id"] async for page in pages for r in page.items]
    assert rest == IDS[10:] and len(sent(proxy)) == 3
    assert [r["id"] async for r in query] == IDS
    assert started(before) == set()


async def test_a_consumer_that_stops_leaves_no_task(transport: AsyncTransport,
                                                    proxy: FaultProxy) -> None:
    before = asyncio.all_tasks()
    query = records(transport).sort("id").page_size(5).prefetch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with aclosing(query.__aiter__()) as items:
            async for record in items:
                assert record["id"] == "r00"
                break
        assert started(before) == set()  # closed: the fetch ahead was cancelled and awaited
        async for _record in query:
            break  # no aclosing: the generator is finalized by the event loop
        gc.collect()
        await _settle()
        assert started(before) == set()
    assert len(sent(proxy)) <= 4  # never more than one page ahead


async def test_a_cancelled_consumer_leaves_no_task(transport: AsyncTransport,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    before = asyncio.all_tasks()
    query = records(transport).sort("id").page_size(3).prefetch()
    seen: list[str] = []

    async def consume() -> None:
        async for record in query:
            seen.append(record["id"])
            await asyncio.sleep(0.05)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _settle()
    gc.collect()
    assert started(before) == set()
    assert 0 < len(seen) < 30 and seen == IDS[:len(seen)]
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_a_timeout_around_the_loop_leaves_no_task(transport: AsyncTransport,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """anyio's cancel scopes (as FastAPI's and Starlette's code has) cancel every await within
    them, the prefetch's clean-up included: it still leaves nothing behind."""
    before = asyncio.all_tasks()
    seen: list[str] = []
    with anyio.move_on_after(0.4) as scope:
        async for record in records(transport).sort("id").page_size(3).prefetch():
            seen.append(record["id"])
            await anyio.sleep(0.05)
    assert scope.cancelled_caught and 0 < len(seen) < 30
    await _settle()
    gc.collect()
    await _settle()
    assert started(before) == set()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_a_failure_with_prefetch_is_an_incomplete_scan_where_it_happened(
    transport: AsyncTransport, proxy: FaultProxy
) -> None:
    before = asyncio.all_tasks()
    query = records(transport).sort("id").page_size(10).prefetch()
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    seen: list[str] = []
    with pytest.raises(IncompleteScan) as caught:
        async for record in query:
            seen.append(record["id"])
    assert seen == IDS[:10] and caught.value.delivered == 10
    assert [r["id"] async for r in query.resume(caught.value)] == IDS[10:]
    assert started(before) == set()


# -- partition: parts complete and disjoint, on both backends ----------------------------------


async def test_partitions_are_disjoint_and_together_the_whole(kinto_any_server: str) -> None:
    seed(kinto_any_server, 60)
    transport = AsyncTransport(kinto_any_server, auth=AUTH)
    try:
        query = records(transport).filter(even=True)
        parts = await query.partition(4)
        assert 1 < len(parts) <= 4
        ids = [r["id"] for part in parts async for r in part]
        assert sorted(ids) == [f"r{i:02d}" for i in range(0, 60, 2)]
        assert len(ids) == len(set(ids))  # disjoint
        assert sum([await part.count() for part in parts]) == 30
        assert await query.partition(1) == [query]  # nothing to split: no request
        with pytest.raises(InvalidQuery, match="splits a whole query"):
            await query.limit(5).partition(2)
    finally:
        await transport.aclose()


async def test_partition_of_an_empty_query_is_itself(kinto_fresh_server: str) -> None:
    seed(kinto_fresh_server, 0)
    transport = AsyncTransport(kinto_fresh_server, auth=AUTH)
    try:
        query = records(transport)
        parts = await query.partition(3)
        assert len(parts) == 1 and parts[0].url == query.url
    finally:
        await transport.aclose()


def test_a_plain_for_over_an_async_query_says_to_use_async_for() -> None:
    path = "/buckets/b/collections/c/records"
    query = AsyncQuery(AsyncTransport("http://kinto.test/v1"), path, lambda obj, fields, _: obj,
                       item_path=lambda record_id: f"{path}/{record_id}")
    for attempt in (lambda: [r for r in query[:3]], lambda: list(query)):
        with pytest.raises(TypeError, match="is read with `async for record in query`"):
            attempt()
    with pytest.raises(TypeError):  # not a search of q[0], q[1]... without end either
        assert 1 in query


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def _seeded_todo(client: AsyncClient) -> AsyncCollection:
    """Bucket 'w', collection 'todo' holding t0..t4 (status done for even n), written through
    the client: on replay, the cassette holds these writes too."""
    bucket = await client.bucket("w").create()
    todo = await bucket.create_collection("todo")
    for n in range(5):
        await todo.create_record(
            {"id": f"t{n}", "n": n, "status": "done" if n % 2 == 0 else "todo"})
    return todo


async def test_cassette_scans_counts_and_lookups(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        todo = await _seeded_todo(client)
        sent = log_of(client)
        done = todo.filter(status="done").sort("n")
        assert [r.id async for r in done] == ["t0", "t2", "t4"]
        assert await done.count() == 3
        assert await done.exists() is True
        assert await todo.filter(status="gone").exists() is False
        first = await done.first()
        assert first is not None and isinstance(first, AsyncRecord) and first.data.n == 0
        assert await todo.filter(status="gone").first() is None
        assert (await done[1]).id == "t2"
        with pytest.raises(IndexError, match="query has no result at index 7"):
            await done[7]
        one = await todo.records().get("t3")
        assert (one.data.status, one.permissions.write[0][:10]) == ("todo", "basicauth:")
        with pytest.raises(NotFound, match="record 'nope'"):
            await todo.records().get("nope")
        plain = [d async for d in todo.sort("-n").fields("n").dicts()]
        assert [(d["id"], d["n"]) for d in plain] == [(f"t{n}", n) for n in (4, 3, 2, 1, 0)]
        assert all(set(d) == {"id", "n", "last_modified"} for d in plain)
    records = f"{TODO}/records"
    assert sent[:4] == [("GET", f"{records}?status=done&_sort=n"),
                        ("HEAD", f"{records}?status=done"),
                        ("GET", f"{records}?status=done&_sort=n&_limit=1"),
                        ("GET", f"{records}?status=gone&_limit=1")]
    assert ("GET", f"{records}/t3") in sent and ("GET", f"{records}/nope") in sent


async def test_cassette_pages_resume_and_partition(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        todo = await _seeded_todo(client)
        query = todo.sort("n").page_size(2)
        pages = [page async for page in query.pages()]
        assert [[r.id for r in page.items] for page in pages] == [
            ["t0", "t1"], ["t2", "t3"], ["t4"]]
        assert pages[0].next_page is not None and pages[-1].next_page is None
        # A scan stopped after the first page goes on from its token: nothing lost, nothing
        # twice.
        token = pages[0].resume_token
        assert token is not None
        rest = [r.id async for r in query.resume(token)]
        assert rest == ["t2", "t3", "t4"]
        parts = await todo.records().partition(2)
        assert len(parts) == 2
        seen = [[r.id async for r in parts[0]], [r.id async for r in parts[1]]]
        assert sorted(seen[0] + seen[1]) == [f"t{n}" for n in range(5)]
        assert not set(seen[0]) & set(seen[1])
        assert [r.id async for r in todo.records().sort("n")] == [f"t{n}" for n in range(5)]


async def test_cassette_query_delete(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        todo = await _seeded_todo(client)
        sent = log_of(client)
        deleted = await todo.filter(status="done").delete()
        left = [r.id async for r in todo.records().sort("n")]
        assert await todo.filter(status="gone").delete() == 0
    assert deleted == 3 and left == ["t1", "t3"]
    assert sent[0] == ("DELETE", f"{TODO}/records?status=done")
