"""Tests of _server/_blocking/history.py: a bucket's history as a lazy query of typed entries, and
its purge."""

from __future__ import annotations

import datetime

import pytest

from kinto_query import (
    Bucket,
    Client,
    Collection,
    Forbidden,
    HistoryEntry,
    HistoryQuery,
    InvalidQuery,
    InvalidResponse,
)

from ..conftest import RequestLog, batch_put, raw, raw_get

BASE = "http://localhost:8888/v1/buckets/b/history"

# -- pure -----------------------------------------------------------------------------------------


def test_history_builds_urls_like_record_queries(offline_client: Client) -> None:
    history = offline_client.bucket("b").history()
    assert isinstance(history, HistoryQuery)
    assert history.url == BASE
    query = (history.filter(resource_name="record", action="update", collection_id="todo")
             .since(1700000000000).before('"1800000000000"').sort("last_modified").limit(5))
    assert query.url == (f"{BASE}?resource_name=record&action=update&collection_id=todo"
                         "&_sort=last_modified&_since=1700000000000&_before=1800000000000"
                         "&_limit=5")
    assert history.exclude(action="delete").page_size(50).url == (
        f"{BASE}?not_action=delete&_limit=50")
    assert history[:3].url == f"{BASE}?_limit=3"
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert history.since(when).params == {"_since": "1704067200000"}
    assert history.url == BASE  # the builders left the original alone


def test_previous_takes_an_entry(offline_client: Client) -> None:
    with pytest.raises(TypeError, match=r"takes a HistoryEntry of this history, got str"):
        offline_client.bucket("b").history().previous("x")  # type: ignore[arg-type]


def test_what_history_cannot_do_is_not_offered(offline_client: Client) -> None:
    history = offline_client.bucket("b").history()
    assert not hasattr(history, "get") and not hasattr(history, "fields")
    with pytest.raises(InvalidQuery, match="already filtered"):
        history.filter(action="update").filter(action="create")


def test_an_entry_kinto_would_not_send_is_an_invalid_response() -> None:
    # Hand-written: a real Kinto always sends whole entries.
    with pytest.raises(InvalidResponse, match="not a Kinto history entry"):
        HistoryEntry.from_server({"id": "e1", "action": "create"}, "b")
    with pytest.raises(InvalidResponse, match="not a Kinto history entry"):
        HistoryEntry.from_server({"id": "e1", "last_modified": 1, "date": "yesterday",
                                  "user_id": "u", "action": "create", "resource_name": "record",
                                  "uri": "/buckets/b", "target": {"data": {}}}, "b")


# -- cassettes ------------------------------------------------------------------------------------


def _write_some_history(bucket: Bucket) -> Collection:
    todo = bucket.create_collection("todo")
    record = todo.create_record({"id": "r1", "title": "milk"})
    record.data.title = "oat milk"
    record.save()
    todo.delete_record("r1")
    return todo


def test_entries_are_typed_newest_first(bucket: Bucket, kinto_client: Client,
                                        request_log: RequestLog) -> None:
    _write_some_history(bucket)
    me = kinto_client.whoami().user_id
    request_log.clear()
    entries = list(bucket.history().filter(resource_name="record", collection_id="todo"))
    assert request_log.sent == [
        ("GET", "/buckets/shop/history?resource_name=record&collection_id=todo")]
    assert [e.action for e in entries] == ["delete", "update", "create"]
    deleted, updated, created = entries
    assert all(isinstance(e, HistoryEntry) for e in entries)
    assert {e.user_id for e in entries} == {me}
    assert {(e.bucket_id, e.collection_id, e.record_id, e.object_id) for e in entries} == {
        ("shop", "todo", "r1", "r1")}
    assert updated.uri == "/buckets/shop/collections/todo/records/r1"
    assert updated.data["title"] == "oat milk" and created.data["title"] == "milk"
    assert deleted.data["deleted"] is True
    assert me in updated.permissions["write"]
    assert updated.date.tzinfo is not None
    assert created.date <= updated.date <= deleted.date
    assert created.last_modified < updated.last_modified < deleted.last_modified


def test_the_version_before_a_change(bucket: Bucket, request_log: RequestLog) -> None:
    _write_some_history(bucket)
    history = bucket.history()
    update = history.filter(action="update").first()
    assert update is not None
    request_log.clear()
    before = history.previous(update)
    assert before is not None and before.action == "create"
    assert before.data["title"] == "milk" and update.data["title"] == "oat milk"
    assert request_log.sent == [(
        "GET", "/buckets/shop/history?uri=%2Fbuckets%2Fshop%2Fcollections%2Ftodo%2Frecords%2Fr1"
        f"&_sort=-last_modified&_before={update.last_modified}&_limit=1")]
    created = history.filter(action="create", resource_name="record").first()
    assert created is not None and history.previous(created) is None


def test_filters_since_before_and_count(bucket: Bucket) -> None:
    _write_some_history(bucket)
    history = bucket.history()
    everything = list(history)
    # The bucket, the collection, then the record three times.
    assert [e.resource_name for e in reversed(everything)] == [
        "bucket", "collection", "record", "record", "record"]
    assert history.count() == 5
    bucket_created = everything[-1]
    assert bucket_created.object_id == "shop" and bucket_created.bucket_id == "shop"
    after_bucket = history.since(bucket_created.last_modified)
    assert [e.resource_name for e in after_bucket] == ["record"] * 3 + ["collection"]
    assert after_bucket.count() == 4
    assert [e.action for e in history.before(everything[1].last_modified)] == [
        "create", "create", "create"]
    assert [e.action for e in history.exclude(action="create")] == ["delete", "update"]
    assert [e.action for e in history.sort("last_modified")[:2]] == ["create", "create"]


def test_purge(bucket: Bucket, request_log: RequestLog) -> None:
    _write_some_history(bucket)
    history = bucket.history()
    assert history.filter(action="delete").delete() == 1
    assert [e.action for e in history.filter(resource_name="record")] == ["update", "create"]
    request_log.clear()
    assert history.delete() == 4
    assert request_log.sent == [("DELETE", "/buckets/shop/history")]
    assert list(history) == []


# -- live -----------------------------------------------------------------------------------------


@pytest.fixture
def nine_records(todo: Collection, alice: Client) -> Bucket:
    """alice's bucket 'w' (from ``todo``) whose history also holds nine record creations in
    a collection 'nine'."""
    todo.bucket.create_collection("nine")
    batch_put(alice, "/buckets/w/collections/nine/records", ({"id": f"n{i}"} for i in range(9)))
    return todo.bucket


def test_a_three_page_history_costs_three_requests(nine_records: Bucket, alice: Client) -> None:
    log = RequestLog(alice)
    query = nine_records.history().filter(resource_name="record", collection_id="nine")
    query = query.page_size(3)
    ids = [entry.record_id for entry in query]
    assert sorted(ids) == [f"n{i}" for i in range(9)]  # type: ignore[type-var]
    assert [method for method, _ in log.sent] == ["GET"] * 3
    assert log.sent[0][1] == "/buckets/w/history?resource_name=record&collection_id=nine&_limit=3"
    assert all("_token=" in path for _, path in log.sent[1:])
    assert [len(page.items) for page in query.pages()] == [3, 3, 3]
    log.clear()
    assert query.count() == 9
    assert [method for method, _ in log.sent] == ["GET"] * 3  # no Total-Objects on history
    log.clear()
    assert query.delete() == 9
    assert [method for method, _ in log.sent] == ["DELETE"] * 3
    left = raw_get(alice.server_url, "/buckets/w/history?resource_name=record")["data"]
    assert sorted(e["record_id"] for e in left) == ["r1", "r2", "r3"]


def test_purge_reads_back_empty_raw(todo: Collection, kinto_fresh_server: str) -> None:
    history = todo.bucket.history()
    assert history.count() == 5  # the bucket, the collection, three records
    assert history.delete() == 5
    assert raw_get(kinto_fresh_server, "/buckets/w/history")["data"] == []


def test_purged_entries_are_not_handed_out_nor_counted(todo: Collection,
                                                       kinto_fresh_server: str) -> None:
    """After a purge Kinto sends tombstones of the purged entries to ``_since`` and
    ``last_modified`` filters: they are no entries."""
    newest = todo.bucket.history().first()  # history entries have timestamps of their own
    assert newest is not None
    start = newest.last_modified
    todo.create_record({"id": "h1"})
    todo.bucket.history().filter(record_id="h1").delete()
    todo.update_record("h1", {"x": 2})
    raw_since = raw_get(kinto_fresh_server, f"/buckets/w/history?_since={start}")["data"]
    assert any(obj.get("deleted") for obj in raw_since)  # what Kinto sends...
    entries = list(todo.bucket.history().since(start))  # ...and what we hand out
    assert [(e.action, e.record_id) for e in entries] == [("update", "h1")]
    assert todo.bucket.history().since(start).count() == 1
    assert todo.bucket.history().filter(last_modified__gt=start).count() == 1


def test_someone_else_may_not_read_nor_purge_it(todo: Collection, bob: Client,
                                               kinto_fresh_server: str) -> None:
    theirs = bob.bucket("w").history()
    with pytest.raises(Forbidden):
        list(theirs)
    with pytest.raises(Forbidden):
        theirs.delete()
    assert len(raw_get(kinto_fresh_server, "/buckets/w/history")["data"]) == 5


def test_history_records_who_did_what(todo: Collection, bob: Client, alice: Client) -> None:
    bucket = todo.bucket
    bucket.permissions.write += [bob.whoami().user_id or ""]
    bucket.save()
    bob.bucket("w").collection("todo").update_record("r1", {"status": "done"})
    update = bucket.history().filter(action="update", resource_name="record").first()
    assert update is not None
    assert update.user_id == bob.whoami().user_id != alice.whoami().user_id
    assert update.data["status"] == "done" and update.record_id == "r1"


def test_filters_on_both_backends(any_todo: Collection, kinto_any_server: str) -> None:
    todo = any_todo
    todo.update_record("r2", {"title": "t2"})
    todo.delete_record("r3")
    history = todo.bucket.history()
    record_changes = history.filter(resource_name="record", collection_id="todo")
    assert [(e.action, e.record_id) for e in record_changes.exclude(action="create")] == [
        ("delete", "r3"), ("update", "r2")]
    assert sorted(e.record_id or "" for e in record_changes.filter(action="create")) == [
        "r1", "r2", "r3"]
    raw_ids = [e["id"] for e in raw_get(kinto_any_server, "/buckets/w/history")["data"]]
    assert [e.id for e in history] == raw_ids
    parts = history.partition(3)
    assert sorted(e.id for part in parts for e in part) == sorted(raw_ids)
    newest = history.first()
    assert newest is not None
    assert [e.id for e in history.before(newest.last_modified)] == raw_ids[1:]


def test_purge_leaves_the_data_alone(todo: Collection, kinto_fresh_server: str) -> None:
    assert todo.bucket.history().delete() == 5
    assert raw("GET", kinto_fresh_server, "/buckets/w/collections/todo/records/r1").ok
    assert todo.count() == 3
