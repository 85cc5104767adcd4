"""Tests of the async objects (_async/resource, record, bucket, group, collection): the seed
README's object flow awaited, against real Kinto servers, checked with raw HTTP; the errors
are the sync ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kinto_query import (
    AlreadyExists,
    Client,
    Collection,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Record,
)
from kinto_query.aio import (
    AsyncBucket,
    AsyncClient,
    AsyncCollection,
    AsyncGroup,
    AsyncRecord,
    NotLoaded,
)

from ..conftest import AUTH, R1, R2, TODO, own, raw, raw_get, raw_put_record, raw_record
from .sent import log_of

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(kinto_fresh_server: str) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(kinto_fresh_server, auth=AUTH) as client:
        yield client


@pytest.fixture
async def any_client(kinto_any_server: str) -> AsyncIterator[AsyncClient]:
    """alice on a fresh server of each backend in turn (memory, then PostgreSQL)."""
    async with AsyncClient(kinto_any_server, auth=AUTH) as client:
        yield client


async def seeded(client: AsyncClient, url: str) -> AsyncCollection:
    """Bucket 'w', collection 'todo' holding r1 and r2 (R1, R2), written raw."""
    bucket = await client.bucket("w").create(exist_ok=True)
    todo = await bucket.create_collection("todo")
    raw_put_record(url, "r1", R1)
    raw_put_record(url, "r2", R2)
    return todo


# -- pure -----------------------------------------------------------------------------------------


def test_handles_send_nothing_and_name_their_class() -> None:
    bucket = AsyncClient("http://localhost:8888/v1").bucket("b")
    todo = bucket.collection("todo")
    assert repr(bucket) == "<AsyncBucket '/buckets/b'>"
    assert repr(todo) == "<AsyncCollection '/buckets/b/collections/todo'>"
    assert repr(bucket.group("g")) == "<AsyncGroup '/buckets/b/groups/g'>"
    assert bucket.get_collection("todo").path == todo.path
    assert todo.filter(status="done").url == (
        "http://localhost:8888/v1/buckets/b/collections/todo/records?status=done")
    assert bucket.collections().sort("id").url == (
        "http://localhost:8888/v1/buckets/b/collections?_sort=id")
    record = todo.record({"id": "r1", "title": "milk"})
    assert isinstance(record, AsyncRecord)
    assert record.data.title == "milk"  # a new record's data is there: nothing to load
    assert repr(record) == "<AsyncRecord 'r1' last_modified=None>"


def test_reading_what_is_not_loaded_says_to_await_load() -> None:
    record = AsyncClient().bucket("b").collection("todo").record(id="r1")
    with pytest.raises(NotLoaded, match=r"data is not loaded: `await record.load\(\)` first"):
        record.data  # noqa: B018 - the read is the test
    with pytest.raises(NotLoaded, match=r"permissions is not loaded: `await record.load\(\)`"):
        record.permissions  # noqa: B018
    group = AsyncClient().bucket("b").group("g")
    with pytest.raises(NotLoaded, match=r"`await group.load\(\)` first"):
        group.members  # noqa: B018


def test_a_constructor_cannot_create() -> None:
    with pytest.raises(TypeError, match=r"await bucket.create\(exist_ok=True\)"):
        AsyncBucket("b", server_url="http://localhost:8888/v1", create=True)


def test_the_sync_objects_have_the_features_not_yet_async() -> None:
    # The records a sync query builds are the whole sync Record (attachments included)...
    todo = Client().bucket("b").collection("todo")
    built = Record.page_factory(todo)({"id": "r1", "last_modified": 1}, None, None)
    assert type(built) is Record and callable(built.attach)
    assert hasattr(Collection, "sync") and hasattr(Collection, "to_arrow")
    # Those converted since are on both sides, written once (Arrow, pandas and Dask too).
    assert callable(AsyncCollection.to_arrow) and callable(AsyncCollection.to_dask_bag)
    assert callable(AsyncRecord.attach) and callable(AsyncBucket.history)
    assert callable(AsyncCollection.watch) and callable(AsyncCollection.save_records)
    assert callable(AsyncCollection.sync) and callable(AsyncCollection.changeset)


# -- live -----------------------------------------------------------------------------------------


async def test_the_seed_readme_flow_awaited(client: AsyncClient, kinto_fresh_server: str) -> None:
    url = kinto_fresh_server
    bucket = client.bucket("payments")
    await bucket.create(exist_ok=True)
    assert raw("GET", url, "/buckets/payments").status_code == 200

    collection = await bucket.create_collection("receipts")
    assert isinstance(collection, AsyncCollection)
    assert bucket.get_collection("receipts").path == collection.path

    record = await collection.create_record(dict(id="XXX", status="done", title="Todo #1"))
    assert record.last_modified == raw_get(url, f"{collection.path}/records/XXX")["data"][
        "last_modified"]
    records = await collection.get_records()
    assert [(r.id, r.data.title) for r in records] == [("XXX", "Todo #1")]

    got = await collection.get_record("XXX")
    got.data.title = "Todo #2"
    await collection.save_record(got)
    assert raw_get(url, f"{collection.path}/records/XXX")["data"]["title"] == "Todo #2"
    got.data.status = "archived"
    await got.save()  # the alternative use
    assert raw_get(url, f"{collection.path}/records/XXX")["data"]["status"] == "archived"

    await collection.delete_record(id="XXX")
    assert raw("GET", url, f"{collection.path}/records/XXX").status_code == 404

    shared = await collection.create_record(data={}, permissions={"read": ["group:groupid"]})
    assert raw_get(url, f"{collection.path}/records/{shared.id}")["permissions"]["read"] == [
        "/buckets/payments/groups/groupid"]

    await bucket.load()
    friends = ["natim", "niko", "mat", "tarek"]
    bucket.permissions.write += friends
    bucket.permissions.create_collection += friends
    await bucket.save()
    permissions = raw_get(url, "/buckets/payments")["permissions"]
    assert set(friends) <= set(permissions["write"])
    assert sorted(permissions["collection:create"]) == sorted(friends)

    await bucket.delete_collection("receipts")
    assert raw("GET", url, collection.path).status_code == 404


async def test_load_fetches_once_and_keeps_unsaved_changes(
        client: AsyncClient, kinto_fresh_server: str) -> None:
    todo = await seeded(client, kinto_fresh_server)
    record = todo.record(id="r1")
    assert await record.load() is record
    assert own(record.data.to_dict()) == R1 and record.last_modified is not None
    assert record.permissions.write  # alice wrote it
    record.data.title = "mine"
    await record.load()  # both known: nothing fetched, nothing dropped
    assert record.data.title == "mine"
    await record.refresh()  # drops it
    assert record.data.title == R1["title"]


async def test_records_of_a_query_load_their_permissions(
        client: AsyncClient, kinto_fresh_server: str) -> None:
    todo = await seeded(client, kinto_fresh_server)
    listed = [record async for record in todo.records().sort("id")]
    assert [record.id for record in listed] == ["r1", "r2"]
    assert all(isinstance(record, AsyncRecord) for record in listed)
    first = listed[0]
    assert own(first.data.to_dict()) == R1  # a page carries the data...
    with pytest.raises(NotLoaded, match="permissions is not loaded"):
        first.permissions  # noqa: B018 - ... not the permissions
    await first.load()
    assert first.permissions.write == raw_get(kinto_fresh_server, f"{TODO}/records/r1")[
        "permissions"]["write"]


async def test_create_exist_ok_loads_the_existing_one_unchanged(
        client: AsyncClient, kinto_fresh_server: str) -> None:
    todo = await seeded(client, kinto_fresh_server)
    before = raw_record(kinto_fresh_server, "r1")
    with pytest.raises(AlreadyExists) as caught:
        await todo.create_record({"id": "r1", "title": "other"})
    assert caught.value.existing is not None and caught.value.existing["title"] == R1["title"]
    record = await todo.create_record({"id": "r1", "title": "other"}, exist_ok=True)
    assert record.data.title == R1["title"] and record.last_modified == before["last_modified"]
    assert raw_record(kinto_fresh_server, "r1") == before
    again = await client.bucket("w").create_collection("todo", exist_ok=True)
    assert again.last_modified is not None
    with pytest.raises(AlreadyExists):
        await client.bucket("w").create_collection("todo")


async def test_delete_missing_ok(client: AsyncClient, kinto_fresh_server: str) -> None:
    todo = await seeded(client, kinto_fresh_server)
    with pytest.raises(NotFound):
        await todo.delete_record(id="nope")
    await todo.delete_record(id="nope", missing_ok=True)
    record = await todo.get_record("r1")
    await record.delete()
    assert record.deleted
    assert raw("GET", kinto_fresh_server, f"{TODO}/records/r1").status_code == 404
    await todo.record(id="r1").delete(missing_ok=True)
    # A missing bucket answers 403 (Kinto cannot tell it from a forbidden one).
    with pytest.raises(Forbidden):
        await client.bucket("ghost").delete()
    await client.bucket("ghost").delete(missing_ok=True)
    with pytest.raises(NotFound):
        await client.bucket("w").delete_collection("ghost")
    await client.bucket("w").delete_collection("ghost", missing_ok=True)


async def test_a_save_over_a_newer_version_fails_as_in_sync(
        any_client: AsyncClient, kinto_any_server: str) -> None:
    todo = await seeded(any_client, kinto_any_server)
    record = await todo.get_record("r1")
    raw_put_record(kinto_any_server, "r1", {**R1, "title": "theirs"})
    record.data.title = "mine"
    with pytest.raises(PreconditionFailed) as caught:
        await record.save()
    assert not isinstance(caught.value, AlreadyExists)
    assert caught.value.existing is not None and caught.value.existing["title"] == "theirs"
    assert raw_record(kinto_any_server, "r1")["title"] == "theirs"
    with pytest.raises(PreconditionFailed):
        await record.delete()
    stale = await todo.get_record("r2")
    raw_put_record(kinto_any_server, "r2", {**R2, "title": "theirs"})
    with pytest.raises(PreconditionFailed):
        await stale.patch(title="mine")
    await record.save(force=True)
    assert raw_record(kinto_any_server, "r1")["title"] == "mine"


async def test_permissions_saved_and_read_back_raw(
        any_client: AsyncClient, kinto_any_server: str) -> None:
    todo = await seeded(any_client, kinto_any_server)
    record = await todo.get_record("r1")
    record.permissions.read += ["system.Everyone", "system.Everyone"]
    await record.save()
    assert raw_get(kinto_any_server, f"{TODO}/records/r1")["permissions"]["read"] == [
        "system.Everyone"]
    # Someone else changes the data meanwhile: a change of permissions alone is re-applied
    # on the server's current version, not refused.
    raw_put_record(kinto_any_server, "r1", {**R1, "title": "theirs"})
    record.permissions.read.remove("system.Everyone")
    record.permissions.write += ["system.Authenticated"]
    await record.save()
    answer = raw_get(kinto_any_server, f"{TODO}/records/r1")
    assert "read" not in answer["permissions"] or answer["permissions"]["read"] == []
    assert "system.Authenticated" in answer["permissions"]["write"]
    assert answer["data"]["title"] == "theirs"


async def test_groups_and_collections_of_a_bucket(
        client: AsyncClient, kinto_fresh_server: str) -> None:
    bucket = await client.bucket("w").create(exist_ok=True)
    await bucket.create_collection("b-todo", data={"title": "B"})
    await bucket.create_collection("a-todo")
    group = await bucket.create_group("team", ["alice", "bob", "alice"])
    assert isinstance(group, AsyncGroup) and group.members == ["alice", "bob"]
    assert raw_get(kinto_fresh_server, "/buckets/w/groups/team")["data"]["members"] == [
        "alice", "bob"]
    group.members.append("carol")
    await group.save()
    assert raw_get(kinto_fresh_server, "/buckets/w/groups/team")["data"]["members"] == [
        "alice", "bob", "carol"]
    listed = [collection async for collection in bucket.collections().sort("id")]
    assert [(c.id, c.data.get("title")) for c in listed] == [("a-todo", None), ("b-todo", "B")]
    assert [g.id async for g in bucket.groups()] == ["team"]
    loaded = await bucket.group("team").load()
    assert loaded.members == ["alice", "bob", "carol"]
    await bucket.delete_group("team")
    with pytest.raises(NotFound):
        await bucket.delete_group("team")
    await bucket.delete_group("team", missing_ok=True)


async def test_update_record_patches_without_reading(
        client: AsyncClient, kinto_fresh_server: str) -> None:
    todo = await seeded(client, kinto_fresh_server)
    record = await todo.update_record("r1", {"status": "done"})
    assert own(raw_record(kinto_fresh_server, "r1")) == {**R1, "status": "done"}
    assert record.data.status == "done"
    with pytest.raises(NotFound):
        await todo.update_record("nope", {"status": "done"})


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def test_cassette_bucket_create_load_save_patch_delete(
    kinto_async_client: AsyncClient,
) -> None:
    async with kinto_async_client as client:
        sent = log_of(client)
        bucket = await client.bucket("shop").create()
        with pytest.raises(AlreadyExists, match=r"bucket 'shop' already exists \(pass "
                                                r"exist_ok=True"):
            await client.bucket("shop").create()
        same = await client.bucket("shop").create(exist_ok=True)
        assert same.last_modified == bucket.last_modified  # loaded as it is, not rewritten
        bucket.data.city = "Lyon"
        await bucket.save()
        await bucket.patch(open=True)
        handle = await client.bucket("shop").load()
        assert (handle.data.city, handle.data.open) == ("Lyon", True)
        assert handle.permissions.write[0].startswith("basicauth:")
        await same.refresh()  # drops nothing, reads the latest
        assert same.last_modified == bucket.last_modified
        await bucket.delete()
        with pytest.raises(Forbidden):  # a missing bucket is a 403 to its former owner
            await client.bucket("shop").delete()
        await client.bucket("shop").delete(missing_ok=True)
    assert sent == [
        ("PUT", "/buckets/shop"), ("PUT", "/buckets/shop"), ("PUT", "/buckets/shop"),
        ("GET", "/buckets/shop"),  # exist_ok: the existing one loaded
        ("PUT", "/buckets/shop"), ("PATCH", "/buckets/shop"), ("GET", "/buckets/shop"),
        ("GET", "/buckets/shop"), ("DELETE", "/buckets/shop"), ("DELETE", "/buckets/shop"),
        ("DELETE", "/buckets/shop"), ("GET", "/buckets/shop"),  # missing_ok: is it there?
    ]


async def test_cassette_collections_and_groups_of_a_bucket(
    kinto_async_client: AsyncClient,
) -> None:
    async with kinto_async_client as client:
        bucket = await client.bucket("w").create()
        todo = await bucket.create_collection("todo", data={"kind": "list"})
        assert isinstance(todo, AsyncCollection) and todo.data.kind == "list"
        again = await bucket.create_collection("todo", exist_ok=True)
        assert again.last_modified == todo.last_modified
        with pytest.raises(AlreadyExists, match="collection 'todo' already exists"):
            await bucket.create_collection("todo")
        group = await bucket.create_group("team", ["bob", "bob", "carol"])
        assert isinstance(group, AsyncGroup) and group.members == ["bob", "carol"]
        loaded = await bucket.group("team").load()
        assert loaded.members == ["bob", "carol"]
        assert [c.id async for c in bucket.collections()] == ["todo"]
        assert [g.id async for g in bucket.groups()] == ["team"]
        await bucket.delete_group("team")
        with pytest.raises(NotFound):
            await bucket.delete_group("team")
        await bucket.delete_group("team", missing_ok=True)
        await bucket.delete_collection("todo")
        with pytest.raises(NotFound, match="collection 'todo'"):
            await bucket.delete_collection("todo")
        await bucket.delete_collection("todo", missing_ok=True)
        assert [c.id async for c in bucket.collections()] == []
        with pytest.raises(NotFound):
            await bucket.collection("todo").load()


async def test_cassette_records_one_by_one(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        bucket = await client.bucket("w").create()
        todo = await bucket.create_collection("todo")
        sent = log_of(client)
        made = await todo.create_record({"title": "milk"})  # an id the recorder draws
        r1 = await todo.create_record({"id": "r1", "title": "bread", "status": "todo"})
        with pytest.raises(AlreadyExists, match="record 'r1' already exists"):
            await todo.create_record({"id": "r1", "title": "other"})
        kept = await todo.create_record({"id": "r1", "title": "other"}, exist_ok=True)
        assert kept.data.title == "bread" and kept.last_modified == r1.last_modified
        read = await todo.get_record("r1")
        assert isinstance(read, AsyncRecord) and read.data.status == "todo"
        read.data.status = "done"
        await todo.save_record(read)
        patched = await todo.update_record("r1", {"n": 2})
        assert (patched.data.status, patched.data.n) == ("done", 2)
        # r1 changed since `kept` was read: its save is refused, the server's version shown.
        kept.data.title = "mine"
        with pytest.raises(PreconditionFailed) as stale:
            await kept.save()
        assert not isinstance(stale.value, AlreadyExists)
        assert stale.value.existing is not None and stale.value.existing["n"] == 2
        await todo.save_record(kept, force=True)
        listed = sorted((r.id, r.data.title) for r in await todo.get_records())
        assert listed == sorted([(made.id, "milk"), ("r1", "mine")])
        timestamp = await todo.timestamp()
        assert timestamp == max(r.last_modified or 0 for r in await todo.get_records())
        await todo.delete_record("r1")
        with pytest.raises(NotFound, match="record 'r1'"):
            await todo.delete_record(id="r1")
        await todo.delete_record(id="r1", missing_ok=True)
        await made.delete()
        assert made.deleted
        await todo.record(id=made.id).delete(missing_ok=True)
        assert await todo.get_records() == []
    records = f"{TODO}/records"
    assert sent[:4] == [("PUT", f"{records}/{made.id}"), ("PUT", f"{records}/r1"),
                        ("PUT", f"{records}/r1"), ("PUT", f"{records}/r1")]
    assert ("PATCH", f"{records}/r1") in sent
