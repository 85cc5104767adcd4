"""Tests of _objects/_blocking/record.py: a record of a collection, and how it saves, patches and
loads."""

from __future__ import annotations

import uuid

import pytest

from kinto_query import Client, Collection, InvalidId, NotFound, PreconditionFailed, Record

from ..conftest import R1, RequestLog, own, put, raw_put_record, raw_record

# -- pure -----------------------------------------------------------------------------------------


@pytest.fixture
def shop_todo(offline_client: Client) -> Collection:
    return offline_client.bucket("b").collection("todo")


def test_record_keeps_id_and_timestamp_apart_from_data(shop_todo: Collection) -> None:
    record = shop_todo.record({"id": "r1", "last_modified": 5, "title": "milk",
                               "author": {"name": "a"}})
    assert (record.id, record.last_modified) == ("r1", 5)
    assert record.data.to_dict() == {"title": "milk", "author": {"name": "a"}}


def test_record_is_bound_to_its_collection(shop_todo: Collection) -> None:
    record = shop_todo.record(id="r1")
    assert record.collection is shop_todo
    assert record.path == "/buckets/b/collections/todo/records/r1"
    assert repr(record) == "<Record 'r1' last_modified=None>"


def test_record_id_must_match_its_data(shop_todo: Collection) -> None:
    with pytest.raises(ValueError, match="differs from data"):
        shop_todo.record({"id": "a"}, id="b")


def test_record_id_must_be_valid(shop_todo: Collection) -> None:
    with pytest.raises(InvalidId):
        shop_todo.record({"id": "no/slash"})


def test_new_record_gets_a_client_made_uuid4(shop_todo: Collection) -> None:
    record = shop_todo.record({"title": "milk"})
    assert uuid.UUID(record.id).version == 4


def test_record_constructor_takes_the_collection_first(shop_todo: Collection) -> None:
    record = Record(shop_todo, {"title": "milk"}, id="r1", permissions={"read": ["bob"]})
    assert (record.id, record.data.title, record.permissions.read) == ("r1", "milk", ["bob"])


def test_tombstone_from_the_server_is_deleted(shop_todo: Collection) -> None:
    record = Record.from_server(shop_todo, {"id": "r1", "last_modified": 7, "deleted": True})
    assert record.deleted and record.data.to_dict() == {}
    assert repr(record) == "<Record 'r1' deleted last_modified=7>"


# -- cassettes ------------------------------------------------------------------------------------


@pytest.fixture
def recorded_todo(kinto_client: Client) -> Collection:
    """Collection 'todo' of bucket 'shop' holding record XXX, on this test's cassette."""
    put(kinto_client, "/buckets/shop")
    put(kinto_client, "/buckets/shop/collections/todo")
    put(kinto_client, "/buckets/shop/collections/todo/records/XXX",
        {"status": "done", "title": "Todo #1"})
    return kinto_client.bucket("shop").collection("todo")


def test_record_loaded_carries_data_and_permissions(recorded_todo: Collection) -> None:
    record = recorded_todo.get_record(id="XXX")
    assert record.data.title == "Todo #1" and record.permissions.write


def test_changed_record_saves(recorded_todo: Collection) -> None:
    record = recorded_todo.get_record(id="XXX")
    record.data.title = "Todo #2"
    record.data["done"] = True
    recorded_todo.save_record(record)
    assert recorded_todo.get("XXX").data.to_dict() == {"status": "done", "title": "Todo #2",
                                                       "done": True}


def test_unchanged_record_sends_nothing(recorded_todo: Collection,
                                        request_log: RequestLog) -> None:
    record = recorded_todo.get_record(id="XXX")
    request_log.clear()
    record.save()  # nothing changed: nothing sent
    assert request_log.sent == []


def test_record_changed_meanwhile_is_refused(kinto_client: Client,
                                             recorded_todo: Collection) -> None:
    record = recorded_todo.get_record(id="XXX")
    put(kinto_client, "/buckets/shop/collections/todo/records/XXX", {"title": "theirs"})
    record.data.title = "ours"
    with pytest.raises(PreconditionFailed) as caught:
        record.save()
    assert caught.value.existing is not None and caught.value.existing["title"] == "theirs"
    assert recorded_todo.get("XXX").data.title == "theirs"


def test_record_refresh_takes_the_servers_version(kinto_client: Client,
                                                  recorded_todo: Collection) -> None:
    record = recorded_todo.get_record(id="XXX")
    put(kinto_client, "/buckets/shop/collections/todo/records/XXX", {"title": "theirs"})
    record.data.title = "ours"
    record.refresh()
    assert record.data.title == "theirs"


def test_record_delete(recorded_todo: Collection) -> None:
    record = recorded_todo.get_record(id="XXX")
    record.delete()
    assert record.deleted
    with pytest.raises(NotFound):
        recorded_todo.get("XXX")


# -- live -----------------------------------------------------------------------------------------


def test_two_clients_save_the_same_record(team_todo: Collection, bob: Client) -> None:
    todo = team_todo
    todo.create_record({"id": "r1", "title": "start"})
    mine = todo.get_record(id="r1")
    theirs = bob.bucket("live").collection("todo").get_record(id="r1")
    theirs.data.title = "bob wins"
    theirs.save()
    mine.data.title = "alice loses"
    with pytest.raises(PreconditionFailed) as caught:
        mine.save()
    assert caught.value.existing is not None
    assert caught.value.existing["title"] == "bob wins"
    assert todo.get("r1").data.title == "bob wins"


def test_partial_get_save_keeps_other_fields(todo: Collection, kinto_fresh_server: str) -> None:
    """A record loaded with fields("title") and saved must not lose its other fields."""
    r = todo.fields("title").get("r1")
    r.data.title = "x"
    r.save()
    assert own(raw_record(kinto_fresh_server, "r1")) == {"title": "x", "status": "todo", "n": 1}


def test_partial_get_save_sends_one_patch(todo: Collection, alice: Client) -> None:
    """Saving a partially loaded record is exactly one PATCH (no PUT, no extra GET)."""
    r = todo.fields("title").get("r1")
    log = RequestLog(alice)
    r.data.title = "x"
    r.save()
    assert log.methods == ["PATCH"]


def test_partial_nested_field_save_keeps_siblings(
    todo: Collection, kinto_fresh_server: str
) -> None:
    """fields("author.name") then save() keeps author.age and the top-level fields."""
    r = todo.fields("author.name").get("r2")
    r.data.author.name = "bob"
    r.save()
    saved = raw_record(kinto_fresh_server, "r2")
    assert saved["author"] == {"name": "bob", "age": 3}
    assert saved["title"] == "t"


def test_partial_save_of_a_removed_field_removes_only_it(
    todo: Collection, kinto_fresh_server: str
) -> None:
    """A field deleted from a fields()-loaded record is removed; the others stay."""
    r = todo.fields("title", "status").get("r1")
    del r.data.status
    r.save()
    assert own(raw_record(kinto_fresh_server, "r1")) == {"title": "a", "n": 1}


def test_patch_is_one_conditional_patch(todo: Collection, alice: Client) -> None:
    """Record.patch() sends one PATCH with If-Match on the version loaded."""
    rec = todo.get("r1")
    old = rec.last_modified
    log = RequestLog(alice)
    rec.patch(status="done")
    assert log.methods == ["PATCH"]
    assert log.requests[0].headers["If-Match"] == f'"{old}"'


def test_patch_updates_record_and_server(todo: Collection, kinto_fresh_server: str) -> None:
    """Record.patch({...}) merges on the server and updates the Record's data and version."""
    rec = todo.get("r1")
    rec.patch({"status": "done"})
    saved = raw_record(kinto_fresh_server, "r1")
    assert own(saved) == {**R1, "status": "done"}
    assert rec.data.status == "done"
    assert rec.last_modified == saved["last_modified"]


def test_patch_refused_when_changed_meanwhile(todo: Collection, kinto_fresh_server: str) -> None:
    """Record.patch() on a record changed meanwhile raises PreconditionFailed, writes nothing."""
    rec = todo.get("r1")
    raw_put_record(kinto_fresh_server, "r1", {"title": "theirs"})
    with pytest.raises(PreconditionFailed):
        rec.patch(status="done")
    assert own(raw_record(kinto_fresh_server, "r1")) == {"title": "theirs"}


def test_load_fetches_only_what_is_missing_and_keeps_unsaved_changes(
    todo: Collection, alice: Client, kinto_fresh_server: str
) -> None:
    """load(): one GET for a handle, none once loaded; a listed record's permissions (a page
    does not carry them) are fetched without dropping its unsaved data; refresh() drops it."""
    log = RequestLog(alice)
    record = todo.record(id="r1")
    assert record.load() is record
    assert own(record.data.to_dict()) == R1
    record.load()
    assert log.methods == ["GET"]
    listed = next(iter(todo.filter(id="r1")))
    listed.data.title = "mine"
    log.clear()
    listed.load()
    assert log.methods == ["GET"] and listed.data.title == "mine"
    assert listed.permissions.write  # loaded: alice's
    listed.refresh()
    assert listed.data.title == R1["title"]
