"""Tests of _server/_async/history.py: a bucket's history awaited (``async for entry in
bucket.history()``), on real Kinto servers; the entries and errors are the sync ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kinto_query import Client, Forbidden, HistoryEntry, InvalidQuery, NotEnabled
from kinto_query.aio import AsyncBucket, AsyncClient, AsyncHistoryQuery
from kinto_query.testing import KintoServer

from ..conftest import AUTH, batch_put, raw_get
from .sent import LoggedClient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def alice(kinto_fresh_server: str) -> AsyncIterator[LoggedClient]:
    async with LoggedClient(kinto_fresh_server, auth=AUTH) as client:
        yield client


async def some_history(client: AsyncClient) -> AsyncBucket:
    """Bucket 'shop': its creation, collection 'todo', record r1 created, updated, deleted."""
    bucket = await client.bucket("shop").create()
    todo = await bucket.create_collection("todo")
    record = await todo.create_record({"id": "r1", "title": "milk"})
    await record.load()
    record.data.title = "oat milk"
    await record.save()
    await record.delete()
    return bucket


def test_history_builds_the_sync_urls_without_a_request() -> None:
    history = AsyncClient("http://localhost:8888/v1").bucket("b").history()
    assert isinstance(history, AsyncHistoryQuery)
    assert history.filter(resource_name="record").since(1700000000000).limit(5).url == (
        "http://localhost:8888/v1/buckets/b/history?resource_name=record"
        "&_since=1700000000000&_limit=5")
    assert not hasattr(history, "get") and not hasattr(history, "fields")
    with pytest.raises(InvalidQuery, match="already filtered"):
        history.filter(action="update").filter(action="create")


async def test_entries_are_typed_newest_first(alice: LoggedClient) -> None:
    bucket = await some_history(alice)
    me = (await alice.whoami()).user_id
    alice.clear()
    history = bucket.history().filter(resource_name="record", collection_id="todo")
    entries = [entry async for entry in history]
    assert alice.sent == [("GET", "/buckets/shop/history?resource_name=record&collection_id=todo")]
    assert all(isinstance(e, HistoryEntry) for e in entries)
    assert [(e.action, e.record_id, e.user_id) for e in entries] == [
        ("delete", "r1", me), ("update", "r1", me), ("create", "r1", me)]
    deleted, updated, created = entries
    assert updated.uri == "/buckets/shop/collections/todo/records/r1"
    assert updated.data["title"] == "oat milk" and created.data["title"] == "milk"
    assert deleted.data["deleted"] is True
    assert created.last_modified < updated.last_modified < deleted.last_modified


async def test_previous_first_count_and_purge(alice: LoggedClient,
                                              kinto_fresh_server: str) -> None:
    bucket = await some_history(alice)
    history = bucket.history()
    update = await history.filter(action="update").first()
    assert update is not None
    alice.clear()
    before = await history.previous(update)
    assert before is not None and (before.action, before.data["title"]) == ("create", "milk")
    assert alice.sent == [(
        "GET", "/buckets/shop/history?uri=%2Fbuckets%2Fshop%2Fcollections%2Ftodo%2Frecords%2Fr1"
        f"&_sort=-last_modified&_before={update.last_modified}&_limit=1")]
    with pytest.raises(TypeError, match="takes a HistoryEntry of this history, got str"):
        await history.previous("x")  # type: ignore[arg-type]
    assert await history.count() == 5  # bucket, collection, the record thrice
    assert await history.filter(action="delete").delete() == 1
    alice.clear()
    assert await history.delete() == 4
    assert alice.sent == [("DELETE", "/buckets/shop/history")]
    assert raw_get(kinto_fresh_server, "/buckets/shop/history")["data"] == []
    assert [e async for e in history] == []


async def test_pages_count_and_partition(alice: LoggedClient, kinto_fresh_server: str) -> None:
    bucket = await alice.bucket("w").create()
    await bucket.create_collection("nine")
    batch_put(Client(kinto_fresh_server, auth=AUTH), "/buckets/w/collections/nine/records",
              ({"id": f"n{i}"} for i in range(9)))
    query = bucket.history().filter(resource_name="record").page_size(3)
    alice.clear()
    assert [len(page.items) async for page in query.pages()] == [3, 3, 3]
    assert alice.sent[0] == ("GET", "/buckets/w/history?resource_name=record&_limit=3")
    assert all("_token=" in path for _, path in alice.sent[1:]) and len(alice.sent) == 3
    alice.clear()
    assert await query.count() == 9
    assert [method for method, _ in alice.sent] == ["GET"] * 3  # no Total-Objects on history
    raw_ids = [e["id"] for e in raw_get(kinto_fresh_server, "/buckets/w/history")["data"]]
    parts = await bucket.history().partition(3)
    assert len(parts) == 3
    assert sorted([e.id for part in parts async for e in part]) == sorted(raw_ids)


async def test_someone_else_may_not_read_nor_purge_it(alice: LoggedClient,
                                                      kinto_fresh_server: str) -> None:
    await some_history(alice)
    async with AsyncClient(kinto_fresh_server, auth=("bob", "hunter22")) as bob:
        theirs = bob.bucket("shop").history()
        with pytest.raises(Forbidden):
            [e async for e in theirs]
        with pytest.raises(Forbidden):
            await theirs.delete()
    assert len(raw_get(kinto_fresh_server, "/buckets/shop/history")["data"]) == 5


@pytest.mark.live
async def test_a_server_without_the_plugin_says_so() -> None:
    with KintoServer(settings={"includes": "kinto.plugins.default_bucket"}) as server:
        async with AsyncClient(server.url, auth=AUTH) as client:
            bucket = await client.bucket("b").create()
            with pytest.raises(NotEnabled) as caught:
                [e async for e in bucket.history()]
            assert str(caught.value) == (
                "GET /v1/buckets/b/history -> 404 Not Found: this server has no "
                "history plugin (turned on by kinto.plugins.history in kinto.includes) "
                "(errno 111)")
            with pytest.raises(NotEnabled, match="history plugin"):
                await bucket.history().count()
            with pytest.raises(NotEnabled, match="history plugin"):
                await bucket.history().delete()


async def test_history_on_both_backends(kinto_any_server: str) -> None:
    async with AsyncClient(kinto_any_server, auth=AUTH) as client:
        bucket = await some_history(client)
        raw_ids = [e["id"] for e in raw_get(kinto_any_server, "/buckets/shop/history")["data"]]
        assert [e.id async for e in bucket.history()] == raw_ids
        newest = await bucket.history().first()
        assert newest is not None and newest.id == raw_ids[0]
        earlier = bucket.history().before(newest.last_modified)
        assert [e.id async for e in earlier] == raw_ids[1:]
