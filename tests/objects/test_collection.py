"""Tests of _objects/_blocking/collection.py: a collection as the query of its records, its records
one by one,
and bulk writes."""

from __future__ import annotations

import gc
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kinto_query import (
    AlreadyExists,
    BatchError,
    Bucket,
    Client,
    Collection,
    NotFound,
    PreconditionFailed,
    Query,
)

from ..conftest import (
    R1,
    R2,
    R3,
    TODO,
    RequestLog,
    own,
    put,
    raw,
    raw_get,
    raw_put_record,
    raw_read,
    raw_record,
)

BASE = "http://localhost:8888/v1/buckets/b/collections/todo/records"

# -- pure -----------------------------------------------------------------------------------------

# Collection.delete() deletes the collection itself (a Resource), not its records: the one
# Query method it does not stand for (collection.records().delete() does).
NOT_THE_QUERYS = {"delete"}


def test_every_query_method_is_reachable_from_collection() -> None:
    public = {name for name in dir(Query) if not name.startswith("_")}
    # Reachable: on Collection itself or on a base (the sync-only ones are CollectionFeatures').
    missing = sorted(name for name in public - NOT_THE_QUERYS if name not in dir(Collection))
    assert missing == []
    for dunder in ("__iter__", "__getitem__"):
        assert dunder in dir(Collection)


def test_collection_delete_is_the_documented_exception() -> None:
    assert "delete" in dir(Query)
    assert Collection.delete is not Query.delete
    assert "deletes the collection itself" in (Collection.__doc__ or "")


def test_collection_handle_is_the_unfiltered_query(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    assert todo.records().url == BASE
    assert todo.filter(status="done").url == f"{BASE}?status=done"
    assert todo.exclude(status="done").url == f"{BASE}?not_status=done"
    assert todo.sort("n").url == f"{BASE}?_sort=n"
    assert todo.fields("n").url == f"{BASE}?_fields=n"
    assert todo.limit(2).url == todo[:2].url == f"{BASE}?_limit=2"
    assert todo.page_size(2).url == f"{BASE}?_limit=2"
    assert todo.since(5).url == f"{BASE}?_since=5"
    assert todo.before(5).url == f"{BASE}?_before=5"


def test_a_record_of_another_collection_is_refused(offline_client: Client) -> None:
    bucket = offline_client.bucket("b")
    other = bucket.collection("other").record({"id": "r1"})
    with pytest.raises(ValueError, match="belongs to <Collection '/buckets/b/collections/other'>"):
        bucket.collection("todo").save_record(other)


# -- cassettes: one record at a time --------------------------------------------------------------


@pytest.fixture
def shop_todo(bucket: Bucket) -> Collection:
    return bucket.create_collection("todo")


def test_create_record_makes_a_uuid4_id(shop_todo: Collection) -> None:
    # The test kit draws it from a sequence seeded by the test's name, so that the replayed
    # request names the recorded id (the live seed test sees a real random one).
    made = shop_todo.create_record({"title": "milk"})
    assert uuid.UUID(made.id).version == 4
    assert shop_todo.get(made.id).data.title == "milk"


def test_create_record_with_an_id_in_its_data(shop_todo: Collection) -> None:
    seed_style = shop_todo.create_record(dict(id="XXX", status="done", title="Todo #1"))
    assert (seed_style.id, seed_style.data.status) == ("XXX", "done")


def test_create_record_of_an_existing_id_raises(shop_todo: Collection) -> None:
    shop_todo.create_record({"id": "XXX", "title": "Todo #1"})
    with pytest.raises(AlreadyExists):
        shop_todo.create_record({"id": "XXX", "title": "duplicate"})


def test_create_record_with_permissions(shop_todo: Collection) -> None:
    private = shop_todo.create_record(data={}, permissions={"read": ["group:groupid"]}, id="p1")
    assert private.permissions.read == ["/buckets/shop/groups/groupid"]


def test_delete_record_by_id_or_record(shop_todo: Collection) -> None:
    for record_id in ("a", "b", "p1"):
        shop_todo.create_record({"id": record_id})
    shop_todo.delete_record(id="a")
    shop_todo.delete_record(shop_todo.get_record(id="b"))
    assert sorted(r.id for r in shop_todo.get_records()) == ["p1"]


def test_delete_record_of_a_changed_record_is_refused(kinto_client: Client,
                                                      shop_todo: Collection) -> None:
    record = shop_todo.create_record({"id": "XXX", "title": "Todo #1"})
    put(kinto_client, "/buckets/shop/collections/todo/records/XXX", {"title": "theirs"})
    with pytest.raises(PreconditionFailed):
        shop_todo.delete_record(record)
    assert shop_todo.get("XXX").data.title == "theirs"


def test_delete_record_of_a_missing_id_raises(shop_todo: Collection) -> None:
    with pytest.raises(NotFound):
        shop_todo.delete_record(id="XXX")


# -- cassettes: bulk writes -----------------------------------------------------------------------


def test_create_records_in_chunks_of_batch_max_requests(shop_todo: Collection,
                                                        request_log: RequestLog) -> None:
    request_log.clear()
    report = shop_todo.create_records({"id": f"r{i:02d}", "n": i} for i in range(30))
    assert report.ok and len(report.succeeded) == 30
    batches = [path for method, path in request_log.sent if method == "POST"]
    assert batches == ["/batch", "/batch"]  # 25 + 5 (batch_max_requests read from GET /v1/)


def test_save_records_reports_a_record_changed_meanwhile(kinto_client: Client,
                                                         shop_todo: Collection) -> None:
    shop_todo.create_records({"id": f"r{i:02d}", "n": i} for i in range(30))
    records = sorted(shop_todo.get_records(), key=lambda r: r.data.n)
    for record in records:
        record.data.n += 100
    put(kinto_client, "/buckets/shop/collections/todo/records/r05", {"n": -1})
    with pytest.raises(BatchError) as caught:
        shop_todo.save_records(records)
    report = caught.value.report
    assert len(report.succeeded) == 29
    (conflict,) = report.conflicts
    assert (conflict.id, conflict.status, conflict.index) == ("r05", 412, 5)
    assert conflict.existing is not None and conflict.existing["n"] == -1
    assert str(caught.value) == (
        f"29 of 30 succeeded; 1 conflict ['r05'] ({conflict.message})"
    )
    assert records[6].data.n == 106 and shop_todo.get("r06").data.n == 106
    assert shop_todo.get("r05").data.n == -1


def test_delete_records_reports_the_missing(shop_todo: Collection) -> None:
    shop_todo.create_records({"id": f"r{i:02d}", "n": i} for i in range(5))
    report = shop_todo.delete_records(["r01", "r02", "nope"], raise_on_error=False)
    assert report.succeeded == ["r01", "r02"]
    assert [(m.id, m.status) for m in report.missing] == [("nope", 404)]
    assert shop_todo.count() == 3


# -- live: records one at a time ------------------------------------------------------------------


def test_get_keeps_permissions(todo: Collection, alice: Client, kinto_fresh_server: str) -> None:
    """get() is one request and keeps the permissions it received: no second GET for them."""
    user_id = raw_get(kinto_fresh_server, "/")["user"]["id"]
    log = RequestLog(alice)
    r = todo.get("r1")
    assert user_id in r.permissions.write
    assert log.methods == ["GET"]


def test_update_record_is_one_patch(todo: Collection, alice: Client) -> None:
    """update_record() merges with a single PATCH, without reading the record first."""
    log = RequestLog(alice)
    todo.update_record("r1", {"status": "done"})
    assert log.methods == ["PATCH"]


def test_update_record_keeps_other_fields(todo: Collection, kinto_fresh_server: str) -> None:
    """update_record() changes only the given fields."""
    todo.update_record("r1", {"status": "done"})
    assert own(raw_record(kinto_fresh_server, "r1")) == {**R1, "status": "done"}


def test_update_record_missing_raises_not_found(todo: Collection, kinto_fresh_server: str) -> None:
    """update_record() on a missing id raises NotFound and creates nothing."""
    with pytest.raises(NotFound):
        todo.update_record("nope", {"status": "done"})
    assert raw("GET", kinto_fresh_server, f"{TODO}/records/nope").status_code == 404


def test_save_record_force_overwrites_existing(todo: Collection, kinto_fresh_server: str) -> None:
    """save_record(dict, force=True) replaces an existing record instead of AlreadyExists."""
    todo.save_record({"id": "r1", "title": "forced"}, force=True)
    assert own(raw_record(kinto_fresh_server, "r1")) == {"title": "forced"}


def test_create_record_exist_ok_returns_existing(todo: Collection, kinto_fresh_server: str) -> None:
    """create_record(exist_ok=True) on an existing id returns it and changes nothing."""
    before = raw_record(kinto_fresh_server, "r1")
    record = todo.create_record({"id": "r1", "title": "other"}, exist_ok=True)
    assert record.data.title == "a"
    assert raw_record(kinto_fresh_server, "r1") == before


def test_delete_record_missing_ok(todo: Collection) -> None:
    """delete_record(missing_ok=True) on a missing id returns quietly."""
    todo.delete_record("nope", missing_ok=True)


def test_delete_record_missing_raises_not_found(todo: Collection) -> None:
    """delete_record() on a missing id raises NotFound by default."""
    with pytest.raises(NotFound):
        todo.delete_record("nope")


# -- live: bulk writes (the first four on both backends: memory and PostgreSQL) -------------------


def test_partial_list_save_records_keeps_other_fields(
    any_todo: Collection, kinto_any_server: str
) -> None:
    """save_records() of records listed with fields("title") keeps their other fields."""
    records = list(any_todo.fields("title"))
    for r in records:
        r.data.title += "!"
    any_todo.save_records(records)
    assert own(raw_record(kinto_any_server, "r1")) == {**R1, "title": "a!"}
    assert own(raw_record(kinto_any_server, "r2")) == {**R2, "title": "t!"}
    assert own(raw_record(kinto_any_server, "r3")) == {**R3, "title": "c!"}


def test_save_records_saves_data_and_permissions(
    any_todo: Collection, kinto_any_server: str
) -> None:
    """save_records() sends both the changed data and the granted read permission."""
    records = list(any_todo)
    assert len(records) == 3
    for r in records:
        r.data.title = f"new {r.id}"
        r.permissions.read.append("system.Everyone")
    report = any_todo.save_records(records)
    assert report.ok
    for record_id in ("r1", "r2", "r3"):
        assert raw_record(kinto_any_server, record_id)["title"] == f"new {record_id}"
        assert raw_read(kinto_any_server, f"{TODO}/records/{record_id}") == ["system.Everyone"]


def test_save_records_conflict_applies_nothing_of_that_record(
    any_todo: Collection, kinto_any_server: str
) -> None:
    """A record changed meanwhile gets neither its data nor its permissions; others land fully."""
    records = [any_todo.get("r1"), any_todo.get("r3")]
    for r in records:
        r.data.title = f"new {r.id}"
        r.permissions.read.append("system.Everyone")
    raw_put_record(kinto_any_server, "r3", {"title": "theirs"})
    report = any_todo.save_records(records, raise_on_error=False)
    assert raw_record(kinto_any_server, "r1")["title"] == "new r1"
    assert raw_read(kinto_any_server, f"{TODO}/records/r1") == ["system.Everyone"]
    assert [c.id for c in report.conflicts] == ["r3"]
    assert own(raw_record(kinto_any_server, "r3")) == {"title": "theirs"}
    assert "system.Everyone" not in raw_read(kinto_any_server, f"{TODO}/records/r3")


def test_save_records_reports_positions_in_the_input_with_unchanged_records_in_it(
    todo: Collection, kinto_fresh_server: str
) -> None:
    """A record with nothing to save sends nothing, but still counts in the positions."""
    unchanged, changed = todo.get("r1"), todo.get("r3")
    changed.data.title = "mine"
    raw_put_record(kinto_fresh_server, "r3", {"title": "theirs"})
    report = todo.save_records([unchanged, changed], raise_on_error=False)
    assert [(c.index, c.id) for c in report.conflicts] == [(1, "r3")]


def test_save_records_sends_a_json_patch_alone_in_order(
    any_todo: Collection, any_alice: Client, kinto_any_server: str
) -> None:
    """A partial record with a field removed (a JSON-Patch, which a batch cannot carry) is
    saved on its own between the batches of the others, and every record lands."""
    records = list(any_todo.sort("id").fields("title", "status"))
    for r in records:
        r.data.title += "!"
    del records[1].data.title  # r2: a removal, only a JSON-Patch expresses it
    log = RequestLog(any_alice)
    report = any_todo.save_records(records)
    assert report.ok and report.succeeded == ["r1", "r2", "r3"]
    assert [m for m in log.methods if m != "GET"] == ["POST", "PATCH", "POST"]
    assert own(raw_record(kinto_any_server, "r1")) == {**R1, "title": "a!"}
    assert own(raw_record(kinto_any_server, "r2")) == {"author": R2["author"]}
    assert own(raw_record(kinto_any_server, "r3")) == {**R3, "title": "c!"}


def test_create_records_sets_last_modified(todo: Collection) -> None:
    """create_records() updates each Record given with the server's last_modified."""
    recs = [todo.record({"id": f"c{i}", "title": "t"}) for i in range(3)]
    todo.create_records(recs)
    assert all(isinstance(r.last_modified, int) for r in recs)


def test_record_saves_after_create_records(todo: Collection, kinto_fresh_server: str) -> None:
    """A Record created through create_records() is then saved as an update, not a create."""
    recs = [todo.record({"id": f"c{i}", "title": "t"}) for i in range(3)]
    todo.create_records(recs)
    recs[0].data.title = "changed"
    recs[0].save()
    assert raw_record(kinto_fresh_server, "c0")["title"] == "changed"


def test_bulk_save_with_one_record_changed_meanwhile(team_todo: Collection, bob: Client) -> None:
    todo = team_todo
    todo.create_records({"id": f"r{i:02d}", "n": i} for i in range(64))
    records = todo.get_records()
    assert len(records) == 64
    elsewhere = bob.bucket("live").collection("todo").get_record(id="r42")
    elsewhere.data.n = -42
    elsewhere.save()
    for record in records:
        record.data.n += 1000
    with pytest.raises(BatchError) as caught:
        todo.save_records(records)
    report = caught.value.report
    assert [(c.id, c.existing and c.existing["n"]) for c in report.conflicts] == [("r42", -42)]
    assert len(report.succeeded) == 63 and report.requests_sent == 3
    on_server = {r.id: r.data.n for r in todo}
    assert on_server["r42"] == -42
    assert all(n == int(rid[1:]) + 1000 for rid, n in on_server.items() if rid != "r42")


def test_create_records_streams_its_input(team_todo: Collection) -> None:
    todo = team_todo

    def generate(count: int) -> Iterator[dict[str, Any]]:
        for i in range(count):
            yield {"id": f"g{i:05d}", "n": i, "body": f"{i:05d}" + "y" * 1000}

    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    report = todo.create_records(generate(3000))
    elapsed = time.perf_counter() - started
    _, streamed = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    gc.collect()
    tracemalloc.start()
    everything = list(generate(3000))
    _, whole = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del everything

    print(f"\ncreate_records: 3000 records in {elapsed:.1f} s ({3000 / elapsed:.0f}/s), "
          f"peak {streamed / 1e6:.2f} MB; the input as a list alone: {whole / 1e6:.2f} MB")
    assert report.ok and len(report.succeeded) == 3000 and report.requests_sent == 120
    assert todo.count() == 3000
    assert streamed < whole / 4


def test_missing_ok_does_not_hide_a_missing_collection(todo: Collection) -> None:
    """A typo in the collection is not "the record is already gone"."""
    typo = todo.bucket.collection("todoo")
    with pytest.raises(NotFound, match="collection 'todoo' not found"):
        typo.delete_record("r1", missing_ok=True)
    report = typo.delete_records(["r1"], missing_ok=True, raise_on_error=False)
    assert report.succeeded == []
    assert [failure.message for failure in report.failed] == [
        "collection 'todoo' not found in bucket 'w' (or the bucket does not exist)"]


# -- the public paths the command line uses: many records' permissions, conditional replaces -----


@pytest.mark.live
def test_permissions_of_many_records_are_read_in_batches(
    todo: Collection, alice: Client, bob: Client, kinto_fresh_server: str
) -> None:
    alice_id = raw_get(kinto_fresh_server, "/")["user"]["id"]
    raw("PATCH", kinto_fresh_server, f"{TODO}/records/r2",
        {"permissions": {"read": ["system.Everyone"]}}).raise_for_status()
    log = RequestLog(alice)
    ids = ["r1", "r2", "gone"] + ["r3"] * 30
    found = todo.permissions_of(ids)
    assert found[0] == {"write": [alice_id]}
    assert found[1] == {"read": ["system.Everyone"], "write": [alice_id]}
    assert found[2] == {}  # missing: nothing to show
    assert found[3:] == [{"write": [alice_id]}] * 30
    # The server's batch_max_requests (GET /v1/, once), then 33 reads in chunks of 25.
    assert log.sent[1:] == [("POST", "/batch")] * 2 and log.methods[0] == "GET"
    # bob may read r2 but writes none of them: Kinto shows him no permissions.
    assert bob.bucket("w").collection("todo").permissions_of(["r2", "r1"]) == [{}, {}]


@pytest.mark.live
def test_replace_records_replaces_existing_records_only(
    todo: Collection, kinto_fresh_server: str
) -> None:
    r1 = raw_record(kinto_fresh_server, "r1")
    stale = {**raw_record(kinto_fresh_server, "r3"), "title": "old"}
    raw_put_record(kinto_fresh_server, "r3", {**R3, "title": "changed meanwhile"})
    report = todo.replace_records([
        {**r1, "title": "A"},  # unchanged since its last_modified: replaced
        {"id": "r2", "title": "T"},  # no last_modified: replaced since it exists
        stale,  # changed since: left as it is
        {"id": "new", "title": "N"},  # missing: not created
    ], raise_on_error=False)
    assert report.succeeded == ["r1", "r2"]
    assert [f.id for f in report.conflicts] == ["r3", "new"]
    assert report.conflicts[0].existing["title"] == "changed meanwhile"  # type: ignore[index]
    assert report.conflicts[1].existing is None
    assert own(raw_record(kinto_fresh_server, "r1")) == {**R1, "title": "A"}
    assert own(raw_record(kinto_fresh_server, "r2")) == {"title": "T"}
    assert raw_record(kinto_fresh_server, "r3")["title"] == "changed meanwhile"
    assert raw("GET", kinto_fresh_server, f"{TODO}/records/new").status_code == 404


@pytest.mark.live
def test_replace_records_replaces_a_records_permissions_too(
    todo: Collection, kinto_fresh_server: str
) -> None:
    raw("PATCH", kinto_fresh_server, f"{TODO}/records/r1",
        {"permissions": {"read": ["system.Everyone"]}}).raise_for_status()
    raw("PATCH", kinto_fresh_server, f"{TODO}/records/r2",
        {"permissions": {"read": ["system.Everyone"]}}).raise_for_status()
    given = todo.record({"id": "r1", "title": "A"}, permissions={"read": ["account:ann"]})
    todo.replace_records([given, {"id": "r2", "title": "T"}])
    assert raw_read(kinto_fresh_server, f"{TODO}/records/r1") == ["account:ann"]
    assert raw_read(kinto_fresh_server, f"{TODO}/records/r2") == ["system.Everyone"]
    assert given.data.title == "A" and given.last_modified is not None


@pytest.mark.live
def test_each_page_carries_the_token_to_resume_after_it(todo: Collection) -> None:
    query = todo.sort("id").page_size(1).limit(2)
    first = next(iter(query.pages()))
    assert [record.id for record in first.items] == ["r1"]
    assert first.resume_token is not None
    # After a restart: the rest of the query (one more record, as limit(2) says), no more.
    assert [record.id for record in query.resume(first.resume_token)] == ["r2"]
    assert [page.resume_token is None for page in query.pages()] == [False, True]
    assert [record.id for record in query.resume(query.resume_token)] == ["r1", "r2"]


def test_replace_request_is_a_put_only_if_the_record_exists(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    known = todo.record({"id": "r1", "last_modified": 12, "title": "x"},
                        permissions={"read": ["system.Everyone"]})
    request = known.replace_request()
    assert (request.method, request.path) == ("PUT", "/buckets/b/collections/todo/records/r1")
    assert request.body == {"data": {"title": "x"}, "permissions": {"read": ["system.Everyone"]}}
    assert request.headers == {"If-Match": '"12"'}
    unknown = todo.record({"id": "r2"}).replace_request(permissions=False)
    assert unknown.body == {"data": {}} and unknown.headers == {"If-Match": "*"}
