"""Tests of _server/_async/changes_feed.py: ``collection.changes()`` and ``async for change in
collection.watch()`` on real Kinto servers; the records, URLs and errors are the sync ones, and
a watch ends cleanly when its task is cancelled (no task, no connection left)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kinto_query import Bucket, Client, NotFound, RetryPolicy
from kinto_query.aio import AsyncChanges, AsyncClient, AsyncCollection, AsyncRecord, AsyncWatch
from kinto_query.testing import KintoServer

from ..conftest import AUTH, R1, R2, R3, TODO, raw, raw_get, raw_put_record
from ..faultproxy import FaultProxy
from ..server.test_changes_feed import timestamp_of, writer
from .sent import LoggedClient

pytestmark = pytest.mark.anyio


def ids(records: list[AsyncRecord]) -> list[tuple[str, bool]]:
    return [(r.id, r.deleted) for r in records]


async def seeded(client: AsyncClient, url: str) -> AsyncCollection:
    """Bucket 'w', collection 'todo' holding r1, r2, r3 (R1, R2, R3), written raw."""
    bucket = await client.bucket("w").create(exist_ok=True)
    todo = await bucket.create_collection("todo")
    for record_id, data in (("r1", R1), ("r2", R2), ("r3", R3)):
        raw_put_record(url, record_id, data)
    return todo


@pytest.fixture
async def alice(kinto_fresh_server: str) -> AsyncIterator[LoggedClient]:
    async with LoggedClient(kinto_fresh_server, auth=AUTH) as client:
        yield client


@pytest.fixture
async def todo(alice: LoggedClient, kinto_fresh_server: str) -> AsyncCollection:
    todo = await seeded(alice, kinto_fresh_server)
    alice.clear()
    return todo


def test_changes_and_watch_build_the_sync_urls_without_a_request() -> None:
    todo = AsyncClient("http://localhost:8888/v1").bucket("b").collection("todo")
    changes = todo.changes(since='"1700000000000"')
    assert isinstance(changes, AsyncChanges)
    assert changes.url == ("http://localhost:8888/v1/buckets/b/collections/todo/records"
                           "?_sort=last_modified&_since=1700000000000")
    assert changes.url == Client("http://localhost:8888/v1").bucket("b").collection(
        "todo").changes(since='"1700000000000"').url
    watch = todo.watch(since=5, interval=2)
    assert isinstance(watch, AsyncWatch) and watch.timestamp == 5
    assert repr(watch) == "<AsyncWatch '/buckets/b/collections/todo' every 2 s timestamp=5>"
    with pytest.raises(ValueError, match="interval must be a number of seconds > 0, got 0"):
        todo.watch(interval=0)


# -- changes --------------------------------------------------------------------------------------


async def test_changes_since_are_updates_creations_and_tombstones(
        todo: AsyncCollection, alice: LoggedClient, kinto_fresh_server: str) -> None:
    everything = todo.changes()
    assert ids([r async for r in everything]) == [("r1", False), ("r2", False), ("r3", False)]
    assert everything.timestamp == timestamp_of(kinto_fresh_server, TODO)
    assert alice.sent == [("GET", f"{TODO}/records?_sort=last_modified")]
    with pytest.raises(RuntimeError, match="changes are read once"):
        [r async for r in everything]
    await todo.update_record("r2", {"title": "changed"})
    await todo.create_record({"id": "r4", "title": "new"})
    await todo.delete_record("r1")
    changes = todo.changes(since=everything.timestamp)
    got = [r async for r in changes]
    assert ids(got) == [("r2", False), ("r4", False), ("r1", True)]
    assert got[0].data.title == "changed" and got[0].data.author.name == "ann"
    assert changes.timestamp == timestamp_of(kinto_fresh_server, TODO) == got[2].last_modified
    alice.clear()
    idle = todo.changes(since=changes.timestamp)
    assert [r async for r in idle] == [] and idle.modified is False
    assert alice.sent == [("GET", f"{TODO}/records?_sort=last_modified&_since="
                                  f"{changes.timestamp}")]
    assert alice.requests[0].headers["If-None-Match"] == f'"{changes.timestamp}"'


async def test_paged_changes_and_an_interrupted_round(todo: AsyncCollection,
                                                      alice: LoggedClient) -> None:
    changes = todo.changes(page_size=1)
    assert [r.id async for r in changes] == ["r1", "r2", "r3"]
    assert changes.requests == 3 == len(alice.sent) and "_token=" in alice.sent[1][1]
    first = []
    halfway = todo.changes(page_size=2)
    async for record in halfway:
        first.append(record)
        if len(first) == 2:
            break
    assert not halfway.complete and halfway.timestamp == first[1].last_modified
    rest = [r.id async for r in todo.changes(since=halfway.timestamp)]
    assert [r.id for r in first] + rest == ["r1", "r2", "r3"]


async def test_timestamp_is_one_small_request(todo: AsyncCollection, alice: LoggedClient,
                                              kinto_fresh_server: str) -> None:
    assert await todo.timestamp() == timestamp_of(kinto_fresh_server, TODO)
    assert alice.sent == [("GET", f"{TODO}/records?_fields=id&_limit=1")]
    nothing = alice.bucket("w").collection("nothing")
    with pytest.raises(NotFound, match="collection 'nothing'"):
        await nothing.timestamp()
    with pytest.raises(NotFound, match="collection 'nothing'"):
        [r async for r in nothing.changes()]


# -- watch ----------------------------------------------------------------------------------------


async def test_watch_hands_out_what_is_written_while_watching(
        todo: AsyncCollection, alice: LoggedClient, kinto_fresh_server: str) -> None:
    watcher = todo.watch(interval=0.001)
    seen = []
    async for record in watcher:
        seen.append((record.id, record.deleted))
        if record.id == "r3" and not record.deleted:
            raw("PATCH", kinto_fresh_server, f"{TODO}/records/r1", {"data": {"n": 100}})
            raw("DELETE", kinto_fresh_server, f"{TODO}/records/r3")
        if record.deleted:
            watcher.stop()
    assert seen == [("r1", False), ("r2", False), ("r3", False), ("r1", False), ("r3", True)]
    assert watcher.stopped and watcher.timestamp == timestamp_of(kinto_fresh_server, TODO)
    assert [method for method, _ in alice.sent][:1] == ["GET"]
    assert alice.sent[0] == ("GET", f"{TODO}/records?_sort=last_modified")


async def test_an_idle_watch_costs_one_request_per_poll(todo: AsyncCollection,
                                                        alice: LoggedClient) -> None:
    since = await todo.timestamp()
    alice.clear()
    watcher = todo.watch(since=since, interval=0.05)
    loop = asyncio.get_running_loop()
    loop.call_later(0.6, watcher.stop)
    assert [r async for r in watcher] == []
    assert watcher.polls >= 5 and watcher.requests == watcher.polls == len(alice.sent)
    assert set(alice.sent) == {("GET", f"{TODO}/records?_sort=last_modified&_since={since}")}
    assert {r.headers["If-None-Match"] for r in alice.requests} == {f'"{since}"'}


async def test_stop_from_another_thread_or_an_event_ends_a_wait_at_once(
        todo: AsyncCollection) -> None:
    watcher = todo.watch(interval=60)
    threading.Timer(0.3, watcher.stop).start()
    started = time.monotonic()
    assert [r.id async for r in watcher] == ["r1", "r2", "r3"] and watcher.polls == 1
    assert time.monotonic() - started < 2
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, stop.set)
    shared = todo.watch(interval=60, stop_event=stop)
    assert len([r async for r in shared]) == 3 and shared.stopped


async def watch_forever(collection: AsyncCollection, got: list[str], **options: Any) -> None:
    async for record in collection.watch(**options):
        got.append(record.id)


async def test_a_cancelled_watch_ends_at_once_leaving_no_task(todo: AsyncCollection) -> None:
    tasks = asyncio.all_tasks()
    got: list[str] = []
    task = asyncio.create_task(watch_forever(todo, got, interval=60))
    await asyncio.sleep(0.5)  # the first poll done, waiting for the next one
    assert got == ["r1", "r2", "r3"]
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.5
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == tasks


async def test_a_watch_cancelled_during_a_poll_leaves_no_connection(
        kinto_fresh_server: str) -> None:
    async with AsyncClient(kinto_fresh_server, auth=AUTH) as setup:
        await seeded(setup, kinto_fresh_server)
    with FaultProxy(kinto_fresh_server, latency=2.0) as slow:
        async with AsyncClient(slow.url, auth=AUTH) as client:
            todo = client.bucket("w").collection("todo")
            tasks = asyncio.all_tasks()
            task = asyncio.create_task(watch_forever(todo, [], interval=60))
            await asyncio.sleep(0.3)  # the poll sent, its answer not back yet
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0)
            assert asyncio.all_tasks() == tasks
            # httpx keeps no connection for a request cancelled in flight (its pool).
            pool = client.transport.wire.client._transport._pool  # type: ignore[attr-defined]
            assert pool.connections == []


async def test_breaking_the_loop_leaves_no_task_and_a_resumable_timestamp(
        todo: AsyncCollection) -> None:
    tasks = asyncio.all_tasks()
    watcher = todo.watch(interval=0.001)
    async for record in watcher:
        if record.id == "r2":
            break
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == tasks
    assert watcher.timestamp == record.last_modified
    assert [r.id async for r in todo.changes(since=watcher.timestamp)] == ["r3"]


@pytest.mark.live
async def test_watch_honours_backoff_and_still_stops_at_once() -> None:
    """``Backoff: 30`` on every answer: the next poll waits 30 s, yet stop() ends that wait."""
    with KintoServer(settings={"backoff": 30}) as server:
        raw("PUT", server.url, "/buckets/w").raise_for_status()
        raw("PUT", server.url, TODO).raise_for_status()
        async with LoggedClient(server.url, auth=AUTH) as client:
            watcher = client.bucket("w").collection("todo").watch(interval=0.01)
            asyncio.get_running_loop().call_later(0.5, watcher.stop)
            started = time.monotonic()
            assert [r async for r in watcher] == []
            assert time.monotonic() - started < 2
            assert watcher.polls == 1 and len(client.sent) == 1
            assert 25 < client.transport.backoff_remaining <= 30


async def test_a_watch_with_a_second_writer_misses_nothing_and_repeats_nothing(
        kinto_any_server: str) -> None:
    url = kinto_any_server
    path = "/buckets/w/collections/feed"
    Bucket("w", client=Client(url, auth=AUTH), create=True).create_collection("feed")
    # As in the sync test: PostgreSQL may answer 500 to a read racing the first write.
    patient = RetryPolicy(statuses=frozenset({429, 500, 502, 503, 504}))
    writes: list[tuple[str, int, bool]] = []
    thread = threading.Thread(target=writer, args=(url, path, 150, writes, 7))
    async with AsyncClient(url, auth=AUTH, retry=patient) as client:
        watcher = client.bucket("w").collection("feed").watch(interval=0.1, page_size=2)

        def stop_when_caught_up() -> None:
            thread.join()
            final = timestamp_of(url, path)
            deadline = time.monotonic() + 60
            while watcher.timestamp != final and time.monotonic() < deadline:
                time.sleep(0.01)
            watcher.stop()

        mirror: dict[str, dict[str, Any]] = {}
        delivered: list[tuple[str, int, bool]] = []
        thread.start()
        threading.Thread(target=stop_when_caught_up).start()
        async for record in watcher:
            assert record.last_modified is not None
            delivered.append((record.id, record.last_modified, record.deleted))
            if record.deleted:
                mirror.pop(record.id, None)
            else:
                mirror[record.id] = {**record.data, "id": record.id,
                                     "last_modified": record.last_modified}
    stamps = [modified for _, modified, _ in delivered]
    assert watcher.timestamp == timestamp_of(url, path)
    assert stamps == sorted(set(stamps))  # nothing twice, in the order of the writes
    last = {record_id: (modified, deleted) for record_id, modified, deleted in writes}
    assert set(delivered) <= set(writes)
    assert {(i, m, d) for i, (m, d) in last.items()} <= set(delivered)
    assert mirror == {record["id"]: record for record in raw_get(url, f"{path}/records")["data"]}
    assert watcher.polls > 1 and watcher.requests > watcher.polls
