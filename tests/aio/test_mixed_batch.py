"""Mixed batches on the async side (kinto_query._objects._async.mixed_batch): ``async with
client.batch() as batch:``, live on both backends, the server read raw; a gateway error after
the server applied a chunk; a cancellation while it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from kinto_query import (
    AlreadyExists,
    BatchError,
    BatchNotSent,
    BatchReport,
    NotFound,
    PreconditionFailed,
    RetryPolicy,
)
from kinto_query.aio import AsyncBatch, AsyncClient, AsyncGroup

from ..conftest import AUTH, raw, raw_get
from ..faultproxy import Fault, FaultProxy
from .sent import log_of

pytestmark = pytest.mark.anyio

TODO = "/buckets/b/collections/todo/records"
QUICK = RetryPolicy(sleep=lambda seconds: None)


def raw_batch(url: str, requests_: list[dict[str, Any]]) -> None:
    answer = raw("POST", url, "/batch", {"requests": requests_})
    answer.raise_for_status()
    assert all(r["status"] < 400 for r in answer.json()["responses"])


def seed(url: str) -> None:
    """Bucket b, collection todo holding old0..old9 (n = 0..9), written raw."""
    raw_batch(url, [{"method": "PUT", "path": "/buckets/b"},
                    {"method": "PUT", "path": "/buckets/b/collections/todo"}]
              + [{"method": "PUT", "path": f"{TODO}/old{n}", "body": {"data": {"n": n}}}
                 for n in range(10)])


def server_state(url: str) -> dict[str, Any]:
    """Every record of b/todo and b/new, by path, read raw."""
    records = {}
    for path in (TODO, "/buckets/b/collections/new/records"):
        if raw("GET", url, path).status_code == 200:
            records.update({f"{path}/{r['id']}": r for r in raw_get(url, path)["data"]})
    return records


async def mixed_calls(client: AsyncClient, batch: AsyncBatch) -> list[Any]:
    """40 calls of every kind across a new collection, a group and records."""
    bucket = client.bucket("b")
    todo, new = bucket.collection("todo"), bucket.collection("new")
    loaded = sorted([record async for record in todo], key=lambda r: r.id)
    for record in loaded[:5]:
        record.data.n += 100
    return ([batch.create(new), batch.create(AsyncGroup(bucket, "g", data={"members": ["x"]}))]
            + [batch.create(new.record({"id": f"r{n:02d}", "n": n})) for n in range(25)]
            + [batch.save(record) for record in loaded[:5]]
            + [batch.patch(todo.record(id=f"old{n}"), seen=True) for n in range(5, 8)]
            + [batch.delete(record) for record in loaded[8:]]
            + [batch.get(bucket.group("g")), batch.get(todo.record(id="old5"))])


def assert_as_the_server_holds(url: str, handles: list[Any]) -> None:
    held = server_state(url)
    assert {h.request.path for h in handles[2:27]} <= set(held)
    assert all(held[f"{TODO}/old{n}"]["n"] == n + 100 for n in range(5))
    assert all(held[f"{TODO}/old{n}"]["seen"] is True for n in range(5, 8))
    assert f"{TODO}/old8" not in held and f"{TODO}/old9" not in held
    # Objects updated from the answers (or the read-back): their versions are the server's.
    assert all(h.result().last_modified == held[h.request.path]["last_modified"]
               for h in handles[2:32])
    assert handles[-2].result().members == ["x"] and handles[-1].result().data.seen is True


@pytest.fixture
async def client(kinto_any_server: str) -> AsyncIterator[AsyncClient]:
    seed(kinto_any_server)
    async with AsyncClient(kinto_any_server, auth=AUTH) as client:
        yield client


async def test_a_mixed_batch_awaited_is_what_the_server_holds(
    client: AsyncClient, kinto_any_server: str,
) -> None:
    async with client.batch() as batch:
        handles = await mixed_calls(client, batch)
    assert isinstance(batch, AsyncBatch)
    assert batch.report.ok and batch.report.total == 39 and batch.report.chunks == 2
    assert batch.report.succeeded == [h.request.path.rsplit("/", 1)[-1] for h in handles
                                      if h.request is not None]
    assert_as_the_server_holds(kinto_any_server, handles)


async def test_each_failure_raises_what_the_request_raises_alone(
    client: AsyncClient, kinto_any_server: str,
) -> None:
    url = kinto_any_server
    todo = client.bucket("b").collection("todo")
    stale = await todo.get_record("old1")
    raw_batch(url, [{"method": "PATCH", "path": f"{TODO}/old1", "body": {"data": {"n": 9}}}])
    stale.data.n = 2
    with pytest.raises(BatchError) as caught:
        async with client.batch() as batch:
            exists = batch.create(todo.record({"id": "old0"}))
            conflict = batch.save(stale)
            missing = batch.delete(todo.record(id="nope"))
            gone_ok = batch.delete(todo.record(id="nope2"), missing_ok=True)
            kept = batch.create(todo.record({"id": "old2"}), exist_ok=True)
    assert caught.value.report is batch.report
    assert gone_ok.result() is None and batch.report.succeeded == ["nope2", "old2"]
    assert kept.result().data.n == 2  # read as it is, never overwritten
    with pytest.raises(AlreadyExists) as alone:
        await todo.record({"id": "old0"}).create()
    assert str(exists.exception()) == str(alone.value)
    error = conflict.exception()
    assert isinstance(error, PreconditionFailed) and error.existing is not None
    assert error.existing["n"] == 9
    assert isinstance(missing.exception(), NotFound)
    assert [(f.index, f.id) for f in batch.report.conflicts] == [(0, "old0"), (1, "old1")]
    assert [(f.index, f.id) for f in batch.report.missing] == [(2, "nope")]
    assert raw_get(url, f"{TODO}/old1")["data"]["n"] == 9


async def test_an_exception_in_the_block_sends_nothing(
    client: AsyncClient, kinto_any_server: str,
) -> None:
    todo = client.bucket("b").collection("todo")
    with pytest.raises(ZeroDivisionError):
        async with client.batch() as batch:
            made = batch.create(todo.record({"id": "never"}))
            1 / 0  # noqa: B018
    with pytest.raises(BatchNotSent, match="an exception left the batch's with block"):
        made.result()
    assert raw("GET", kinto_any_server, f"{TODO}/never").status_code == 404


# -- faults and cancellation: through the loopback proxy ----------------------------------------


@pytest.fixture
async def through_proxy(kinto_any_server: str) -> AsyncIterator[tuple[str, FaultProxy,
                                                                      AsyncClient]]:
    seed(kinto_any_server)
    with FaultProxy(kinto_any_server, seed=3, latency=0.02) as proxy:
        async with AsyncClient(proxy.url, auth=AUTH, retry=QUICK) as client:
            yield kinto_any_server, proxy, client


async def test_a_chunk_applied_then_lost_is_read_back_and_reported_as_the_server_holds_it(
    through_proxy: tuple[str, FaultProxy, AsyncClient],
) -> None:
    url, proxy, client = through_proxy
    proxy.fail_next(Fault.GATEWAY_AFTER, methods={"POST"}, path_contains="batch")
    async with client.batch() as batch:
        handles = await mixed_calls(client, batch)
    assert batch.report.ok and batch.report.total == 39
    assert_as_the_server_holds(url, handles)
    posts = [outcome for method, _, outcome in proxy.log if method == "POST"]
    assert posts == ["GATEWAY_AFTER", "forwarded", "forwarded"]  # lost, read back, 2nd chunk
    assert batch.report.requests_sent == 3  # none of the lost chunk sent again


async def test_a_cancellation_while_sent_settles_what_was_sent_and_carries_the_report(
    through_proxy: tuple[str, FaultProxy, AsyncClient],
) -> None:
    url, _, client = through_proxy
    todo = client.bucket("b").collection("todo")
    caught: list[BaseException] = []
    scope = anyio.CancelScope()

    def stop_after_the_first_chunk(report: BatchReport) -> None:
        scope.cancel()

    with scope:
        try:
            async with client.batch(progress=stop_after_the_first_chunk) as batch:
                handles = [batch.create(todo.record({"id": f"r{n:02d}", "n": n}))
                           for n in range(60)]
        except BaseException as error:
            caught.append(error)
            raise
    assert scope.cancelled_caught
    (error,) = caught
    assert isinstance(error, asyncio.CancelledError)
    assert error.report is batch.report  # type: ignore[attr-defined]
    report = batch.report
    await anyio.sleep(0.3)  # the proxy's requests upstream, sent before, end
    held = server_state(url)
    assert report.succeeded == [f"r{n:02d}" for n in range(25)]  # the first chunk
    assert all(h.result().last_modified == held[h.request.path]["last_modified"]
               for h in handles[:25])
    unknown = {f.id for f in report.unknown}  # the second, on its way: unknown, not guessed
    assert unknown == {f"r{n:02d}" for n in range(25, 50)}
    for handle in handles[25:50]:
        assert isinstance(handle.exception(), BatchError)
    for handle in handles[50:]:  # never sent: the batch stopped before them
        with pytest.raises(BatchNotSent, match="the batch stopped before it "
                                               r"\(CancelledError"):
            handle.result()
    assert {path.rsplit("/", 1)[-1] for path in held if "/new/" not in path} <= (
        {f"old{n}" for n in range(10)} | set(report.succeeded) | unknown)


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def test_cassette_async_with_sends_the_calls_at_the_end(
    kinto_async_client: AsyncClient,
) -> None:
    async with kinto_async_client as client:
        bucket = client.bucket("b")
        todo = bucket.collection("todo")
        sent = log_of(client)
        async with client.batch() as batch:
            made_bucket = batch.create(bucket)
            made_todo = batch.create(todo)
            milk = batch.create(todo.record({"id": "milk", "n": 1}))
            team = batch.create(AsyncGroup(bucket, "team", data={"members": ["bob"]}))
            assert sent == []  # nothing before the block ends
            with pytest.raises(BatchNotSent):
                milk.result()
        assert (made_bucket.result().id, made_todo.result().id) == ("b", "todo")
        assert milk.result().data.n == 1 and milk.result().last_modified is not None
        assert team.result().members == ["bob"]
        assert batch.report is not None and batch.report.succeeded == [
            "b", "todo", "milk", "team"]
        assert [m for m, _ in sent] == ["GET", "POST"]  # the limit read, then one batch
        record = milk.result()
        record.data.n = 2
        async with client.batch(raise_on_error=False) as second:
            saved = second.save(record)
            again = second.create(todo.record({"id": "milk"}))
            gone = second.delete(todo.record(id="ghost"))
            read = second.get(bucket.group("team"))
        assert saved.result().data.n == 2
        with pytest.raises(AlreadyExists, match="record 'milk' already exists"):
            again.result()
        with pytest.raises(NotFound, match="record 'ghost'"):
            gone.result()
        assert read.result().members == ["bob"]
        assert second.report is not None and second.report.succeeded == ["milk", "team"]
        held = [r.data.n async for r in todo.records()]
    assert held == [2]


async def test_cassette_send_raises_batch_error_and_a_failed_block_sends_nothing(
    kinto_async_client: AsyncClient,
) -> None:
    async with kinto_async_client as client:
        bucket = await client.bucket("b").create()
        todo = await bucket.create_collection("todo")
        sent = log_of(client)
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with client.batch() as dropped:
                dropped.create(todo.record({"id": "never"}))
                raise RuntimeError("changed my mind")
        assert sent == []
        batch = client.batch()
        batch.create(todo.record({"id": "one"}))
        batch.delete(todo.record(id="ghost"))
        with pytest.raises(BatchError, match=r"1 of 2 succeeded; 1 missing \['ghost'\]") as caught:
            await batch.send()
        assert caught.value.report.succeeded == ["one"]
        assert [r.id async for r in todo.records()] == ["one"]
    assert ("POST", "/batch") in sent
