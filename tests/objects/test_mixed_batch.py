"""Tests of _objects/_blocking/mixed_batch.py: ``with client.batch() as batch:`` any mix of writes
and reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kinto_query import (
    AlreadyExists,
    Batch,
    BatchError,
    BatchNotSent,
    BatchReport,
    Bucket,
    Client,
    Group,
    NotFound,
    PreconditionFailed,
    Request,
    RetryPolicy,
)

from ..conftest import AUTH, Answer, RequestLog, raw, raw_get, scripted_client
from ..faultproxy import Fault, FaultProxy

TODO = "/buckets/b/collections/todo/records"

# -- pure: what is sent, and when ------------------------------------------------------------------
# The scripted answers stand in for Kinto's so that what is sent can be checked without a server;
# what Kinto answers is checked by the live tests below.


def kinto_like(limit: int = 25) -> Any:
    """Answers as Kinto would to a batch where every request succeeds, ``GET /`` advertising
    ``batch_max_requests=limit``."""

    def answer(request: Request) -> Answer:
        if request.path == "/":
            return 200, {"settings": {"batch_max_requests": limit}}
        if request.path == "/batch":
            return 200, {"responses": [one(r["method"], r["path"], r.get("body"))
                                       for r in request.body["requests"]]}
        return 200, one(request.method, request.path, request.body)["body"]

    def one(method: str, path: str, body: Any) -> dict[str, Any]:
        data = dict((body or {}).get("data") or {}) if isinstance(body, dict) else {}
        data.update(id=path.rsplit("/", 1)[-1], last_modified=42)
        if method == "DELETE":
            data["deleted"] = True
        return {"status": 201 if method == "PUT" else 200, "path": f"/v1{path}", "headers": {},
                "body": {"data": data, "permissions": {"write": ["me"]}}}

    return answer


def subrequests(sent: list[Request]) -> list[tuple[str, str, dict[str, str], Any]]:
    return [(r["method"], r["path"], r["headers"], r.get("body"))
            for batch in sent if batch.path == "/batch" for r in batch.body["requests"]]


def test_nothing_is_sent_before_the_block_ends_then_the_single_writes_requests() -> None:
    client, transport = scripted_client(kinto_like())
    bucket = client.bucket("b")
    todo = bucket.collection("todo")
    loaded = todo.record(id="r2")
    loaded.take_answer({"data": {"id": "r2", "last_modified": 7, "n": 1}})
    loaded.data.n = 2
    with client.batch() as batch:
        batch.create(bucket, permissions={"read": ["system.Everyone"]})
        batch.create(Group(bucket, "g", data={"members": ["a"]}))
        batch.create(todo.record({"id": "r1", "n": 1}))
        batch.save(loaded)
        batch.patch(todo.record(id="r3"), status="done")
        batch.delete(todo.record(id="r4"), missing_ok=True)
        batch.get(todo.record(id="r5"))
        assert transport.sent == []
    none = "*"
    assert subrequests(transport.sent) == [
        ("PUT", "/buckets/b", {"If-None-Match": none},
         {"data": {}, "permissions": {"read": ["system.Everyone"]}}),
        ("PUT", "/buckets/b/groups/g", {"If-None-Match": none}, {"data": {"members": ["a"]}}),
        ("PUT", f"{TODO}/r1", {"If-None-Match": none}, {"data": {"n": 1}}),
        ("PUT", f"{TODO}/r2", {"If-Match": '"7"'}, {"data": {"n": 2}}),
        ("PATCH", f"{TODO}/r3", {}, {"data": {"status": "done"}}),
        ("DELETE", f"{TODO}/r4", {}, None),
        ("GET", f"{TODO}/r5", {}, None),
    ]
    assert [r.path for r in transport.sent] == ["/", "/batch"]
    assert batch.report.succeeded == ["b", "g", "r1", "r2", "r3", "r4", "r5"]


def test_a_result_asked_for_before_the_end_says_the_batch_is_not_sent() -> None:
    client, _ = scripted_client(kinto_like())
    with client.batch() as batch:
        made = batch.create(client.bucket("b").collection("todo").record({"id": "r1"}))
        with pytest.raises(BatchNotSent, match=f"PUT {TODO}/r1: not sent yet: results are "
                                               "there once the batch's with block ends"):
            made.result()
        with pytest.raises(BatchNotSent, match="report: not sent yet"):
            batch.report  # noqa: B018 - the property raises
    assert made.result().last_modified == 42


def test_an_exception_in_the_block_sends_nothing() -> None:
    client, transport = scripted_client(kinto_like())
    with pytest.raises(ZeroDivisionError), client.batch() as batch:
        made = batch.create(client.bucket("b"))
        1 / 0  # noqa: B018
    assert transport.sent == []
    with pytest.raises(BatchNotSent, match=r"an exception left the batch's with block, so "
                                           r"nothing was sent \(ZeroDivisionError\)"):
        made.result()
    with pytest.raises(BatchNotSent, match="already sent \\(or abandoned\\)"):
        batch.create(client.bucket("c"))
    assert isinstance(BatchNotSent("x"), RuntimeError)


def test_calls_on_a_batch_already_sent_are_refused() -> None:
    client, transport = scripted_client(kinto_like())
    with client.batch() as batch:
        batch.create(client.bucket("b"))
    with pytest.raises(BatchNotSent, match=r"start another with client\.batch\(\)"):
        batch.delete(client.bucket("b"))
    with pytest.raises(BatchNotSent):
        batch.send()
    assert len(transport.sent) == 2  # GET / and the one batch


def test_a_request_is_built_when_called_later_changes_are_not_sent() -> None:
    client, transport = scripted_client(kinto_like())
    record = client.bucket("b").collection("todo").record({"id": "r1", "tags": ["a"]})
    with client.batch() as batch:
        made = batch.create(record)
        record.data.tags.append("later")
    assert subrequests(transport.sent)[0][3] == {"data": {"tags": ["a"]}}
    # Then updated from the server's answer, as create_records() does.
    assert made.result() is record and record.last_modified == 42
    assert record.data.tags == ["a"]


def test_objects_of_another_client_and_other_things_are_refused() -> None:
    client, transport = scripted_client(kinto_like())
    other, _ = scripted_client(kinto_like())
    with client.batch() as batch:
        with pytest.raises(ValueError, match="belongs to another client than this batch's"):
            batch.create(other.bucket("b"))
        with pytest.raises(TypeError, match="buckets, collections, groups and records, not dict"):
            batch.delete({"id": "r1"})  # type: ignore[arg-type]
        loaded = client.bucket("b").collection("todo").record(id="r1")
        loaded.take_answer({"data": {"id": "r1", "last_modified": 3, "n": 1}})
        loaded.data.n = 5
        with pytest.raises(ValueError, match="unsaved changes that patch\\(\\) would drop"):
            batch.patch(loaded, title="x")
    assert transport.sent == [] and len(batch) == 0


def test_a_save_with_nothing_to_send_sends_nothing_and_numbering_follows_the_calls() -> None:
    def answer(request: Request) -> Answer:
        if request.path == "/batch":
            return 200, {"responses": [
                {"status": 404, "path": r["path"], "headers": {},
                 "body": {"code": 404, "errno": 110, "error": "Not Found",
                          "details": {"id": "zz", "resource_name": "record"}}}
                for r in request.body["requests"]]}
        return kinto_like()(request)

    client, transport = scripted_client(answer)
    todo = client.bucket("b").collection("todo")
    unchanged = todo.record(id="r1")
    unchanged.take_answer({"data": {"id": "r1", "last_modified": 3}})
    with client.batch(raise_on_error=False) as batch:
        saved = batch.save(unchanged)
        read = batch.get(todo.record(id="zz"))
    assert saved.request is None and saved.result() is unchanged
    assert [m["path"] for m in transport.sent[-1].body["requests"]] == [f"{TODO}/zz"]
    (missing,) = batch.report.missing
    assert (missing.index, missing.id, missing.status) == (1, "zz", 404)  # the call's position
    with pytest.raises(NotFound, match="record 'zz' not found \\(errno 110\\)"):
        read.result()


def test_chunks_follow_the_servers_batch_max_requests() -> None:
    client, transport = scripted_client(kinto_like(limit=3))
    todo = client.bucket("b").collection("todo")
    with client.batch() as batch:
        for n in range(7):
            batch.create(todo.record({"id": f"r{n}"}))
    assert [len(r.body["requests"]) if r.body else r.path for r in transport.sent] == [
        "/", 3, 3, 1]
    assert batch.report.chunks == 3 and batch.report.requests_sent == 3


def test_an_empty_batch_sends_nothing() -> None:
    client, transport = scripted_client(kinto_like())
    with client.batch() as batch:
        pass
    assert transport.sent == [] and batch.report.ok and batch.report.total == 0


def test_a_change_a_batch_cannot_carry_is_sent_alone_at_its_place() -> None:
    client, transport = scripted_client(kinto_like())
    todo = client.bucket("b").collection("todo")
    partial = todo.record(id="r2")
    partial.take_answer({"data": {"id": "r2", "last_modified": 7, "a": 1, "b": 2}},
                        fields=("a", "b"))
    del partial.data["b"]  # a merge cannot remove a field: a JSON-Patch
    with client.batch() as batch:
        batch.create(todo.record({"id": "r1"}))
        alone = batch.save(partial)
        batch.create(todo.record({"id": "r3"}))
    assert [(r.method, r.path) for r in transport.sent] == [
        ("GET", "/"), ("POST", "/batch"), ("PATCH", f"{TODO}/r2"), ("POST", "/batch")]
    assert alone.result() is partial and batch.report.succeeded == ["r1", "r2", "r3"]


def test_an_interrupted_batch_settles_what_was_sent_and_carries_its_report() -> None:
    client, _ = scripted_client(kinto_like(limit=2))
    todo = client.bucket("b").collection("todo")

    def stop(report: BatchReport) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught, client.batch(progress=stop) as batch:
        handles = [batch.create(todo.record({"id": f"r{n}"})) for n in range(5)]
    assert [h.result().id for h in handles[:2]] == ["r0", "r1"]
    with pytest.raises(BatchNotSent, match="not sent: the batch stopped before it "
                                           "\\(KeyboardInterrupt"):
        handles[2].result()
    assert caught.value.report is batch.report  # type: ignore[attr-defined]
    assert batch.report.succeeded == ["r0", "r1"]


# -- cassette: the common path -------------------------------------------------------------------


def test_a_mixed_batch_on_a_recorded_server(kinto_client: Client,
                                            request_log: RequestLog) -> None:
    shop = Bucket("shop", client=kinto_client, create=True)
    request_log.clear()
    todo = shop.collection("todo")
    with kinto_client.batch() as batch:
        made_todo = batch.create(todo, data={"title": "Todo"})
        staff = batch.create(Group(shop, "staff", data={"members": ["basicauth:bob"]}))
        milk = batch.create(todo.record({"id": "milk", "n": 1}))
        eggs = batch.create(todo.record({"id": "eggs", "n": 2}))
        batch.patch(todo.record(id="eggs"), n=3)
        deleted = todo.record(id="milk")
        gone = batch.delete(deleted)
        read = batch.get(shop.group("staff"))
    assert request_log.sent == [("GET", "/"), ("POST", "/batch")]  # server info, once
    assert made_todo.result().data.title == "Todo"
    assert staff.result().members == ["basicauth:bob"]
    assert milk.result().last_modified is not None and gone.result() is None
    assert deleted.deleted and not milk.result().deleted  # only the object deleted is marked
    assert eggs.result().data.n == 2  # its own answer: the patch came after
    assert read.result().permissions.write != []
    assert batch.report.succeeded == ["todo", "staff", "milk", "eggs", "eggs", "milk", "staff"]
    assert [(r.id, r.data.n) for r in todo] == [("eggs", 3)]


# -- live: both backends ---------------------------------------------------------------------------


def raw_batch(url: str, requests_: list[dict[str, Any]]) -> None:
    answer = requests.post(url + "/batch", json={"requests": requests_}, auth=AUTH, timeout=30)
    answer.raise_for_status()
    assert all(r["status"] < 400 for r in answer.json()["responses"])


def status_of(url: str, path: str) -> int:
    return raw("GET", url, path).status_code


def test_a_mixed_batch_of_60_operations_is_3_batches_and_the_server_agrees(
    kinto_any_server: str,
) -> None:
    url = kinto_any_server
    src = "/buckets/m/collections/c/records"
    raw_batch(url, [{"method": "PUT", "path": "/buckets/m"},
                    {"method": "PUT", "path": "/buckets/m/collections/c"}]
              + [{"method": "PUT", "path": f"{src}/r{n:02d}", "body": {"data": {"n": n}}}
                 for n in range(20)])
    client = Client(url, auth=AUTH)
    log = RequestLog(client)
    m = client.bucket("m").collection("c")
    loaded = sorted(m, key=lambda r: r.id)[:10]
    for record in loaded:
        record.data.n += 100
    log.clear()
    fresh = client.bucket("n")
    c2 = fresh.collection("c2")
    with client.batch() as batch:
        handles = [batch.create(fresh, permissions={"read": ["system.Authenticated"]}),
                   batch.create(c2),
                   batch.create(Group(fresh, "g", data={"members": ["basicauth:x"]})),
                   batch.create(Group(client.bucket("m"), "g2"))]
        handles += [batch.create(c2.record({"id": f"new{n:02d}", "n": n})) for n in range(20)]
        handles += [batch.save(record) for record in loaded]  # r00-r09
        handles += [batch.patch(m.record(id=f"r{n:02d}"), done=True) for n in range(10, 18)]
        handles += [batch.delete(m.record(id=f"r{n:02d}")) for n in (18, 19)]
        handles += [batch.delete(c2.record(id=f"new{n:02d}")) for n in range(6)]
        handles += [batch.get(c2.record(id=f"new{n:02d}")) for n in range(6, 16)]
    assert len(handles) == 60 and batch.report.ok
    # The measure: server info once (then cached), and 25 + 25 + 10 in 3 POST /batch.
    assert log.sent == [("GET", "/")] + [("POST", "/batch")] * 3
    assert batch.report.succeeded == [h.request.path.rsplit("/", 1)[-1]  # type: ignore[union-attr]
                                      for h in handles]
    # The server, read raw, holds exactly what the report says.
    assert raw_get(url, "/buckets/n")["permissions"]["read"] == ["system.Authenticated"]
    assert raw_get(url, "/buckets/n/groups/g")["data"]["members"] == ["basicauth:x"]
    assert status_of(url, "/buckets/m/groups/g2") == 200
    held = {r["id"]: r for r in raw_get(url, "/buckets/n/collections/c2/records")["data"]}
    assert sorted(held) == [f"new{n:02d}" for n in range(6, 20)]
    source = {r["id"]: r for r in raw_get(url, f"{src}")["data"]}
    assert [source[f"r{n:02d}"]["n"] for n in range(10)] == [n + 100 for n in range(10)]
    assert all(source[f"r{n:02d}"]["done"] is True for n in range(10, 18))
    assert "r18" not in source and "r19" not in source
    # Objects were updated from the answers: their versions are the server's.
    assert [r.last_modified for r in loaded] == [source[r.id]["last_modified"] for r in loaded]
    assert handles[50].result().data.n == 6 and handles[50].result().last_modified == (
        held["new06"]["last_modified"])


def test_each_failure_raises_what_the_request_raises_alone(kinto_any_server: str) -> None:
    url = kinto_any_server
    client = Client(url, auth=AUTH)
    todo = Bucket("b", client=client, create=True).create_collection("todo")
    stale = todo.create_record({"id": "r1", "n": 1})
    raw_batch(url, [{"method": "PATCH", "path": f"{TODO}/r1", "body": {"data": {"n": 9}}}])
    stale.data.n = 2
    before = stale.last_modified
    with pytest.raises(BatchError) as caught, client.batch() as batch:
        exists = batch.create(todo.record({"id": "r1"}))
        conflict = batch.save(stale)
        missing = batch.delete(todo.record(id="nope"))
        gone_ok = batch.delete(todo.record(id="nope2"), missing_ok=True)
        elsewhere = batch.create(client.bucket("b").collection("nope").record({"id": "x"}))
        read = batch.get(todo.record(id="nope3"))
    assert caught.value.report is batch.report
    assert str(caught.value) == batch.report.summary()
    assert gone_ok.result() is None and batch.report.succeeded == ["nope2"]
    with pytest.raises(AlreadyExists) as alone_exists:
        todo.record({"id": "r1"}).create()
    assert str(exists.exception()) == str(alone_exists.value)
    error = conflict.exception()
    assert isinstance(error, PreconditionFailed) and error.errno == 114
    body = batch.report.conflicts[1].body  # the item's answer, kept whole
    assert body is not None and body["errno"] == 114 and body["details"]["existing"]["n"] == 9
    assert error.existing is not None and error.existing["n"] == 9
    assert stale.last_modified == before and stale.data.n == 2  # not updated: it failed
    with pytest.raises(NotFound) as alone_missing:
        todo.record(id="nope").delete()
    assert str(missing.exception()) == str(alone_missing.value)
    assert "collection 'nope' not found" in str(elsewhere.exception())
    assert isinstance(read.exception(), NotFound)
    assert [(f.index, f.id) for f in batch.report.conflicts] == [(0, "r1"), (1, "r1")]
    assert [(f.index, f.id) for f in batch.report.missing] == [(2, "nope"), (5, "nope3")]
    assert [(f.index, f.id) for f in batch.report.failed] == [(4, "x")]
    assert raw_get(url, f"{TODO}/r1")["data"]["n"] == 9


def test_exist_ok_reads_the_existing_object_as_it_is(kinto_any_server: str) -> None:
    url = kinto_any_server
    raw_batch(url, [{"method": "PUT", "path": "/buckets/b",
                     "body": {"data": {"v": 1}, "permissions": {"read": ["system.Everyone"]}}}])
    client = Client(url, auth=AUTH)
    log = RequestLog(client)
    bucket = client.bucket("b")
    with client.batch() as batch:
        kept = batch.create(bucket, data={"v": 2}, permissions={"read": ["basicauth:x"]},
                            exist_ok=True)
        made = batch.create(bucket.collection("c"), exist_ok=True)
    assert kept.result().data.v == 1 and made.result().id == "c"
    assert bucket.permissions.read == ["system.Everyone"]
    assert bucket.save_request() is None  # nothing of ours left unsaved on it
    assert batch.report.ok and batch.report.succeeded == ["b", "c"]
    assert [method for method, _ in log.sent] == ["GET", "POST", "POST"]  # info, batch, read
    assert raw_get(url, "/buckets/b")["data"]["v"] == 1


# kinto-http.py's functional tests of batches (tests/test_functional.py), with our API.


def test_request_batching(kinto_any_server: str) -> None:
    client = Client(kinto_any_server, auth=AUTH)
    mozilla = client.bucket("mozilla")
    fonts = mozilla.collection("fonts")
    with client.batch() as batch:
        batch.create(mozilla)
        batch.create(fonts)
        r1 = batch.create(fonts.record({"foo": "bar"}, permissions={"read": ["natim"]}))
        r2 = batch.create(fonts.record({"bar": "baz"}, permissions={"read": ["account:alexis"]}))
    records = list(fonts)
    assert len(records) == 2
    assert [(r.id, r.data.to_dict()) for r in records] == [
        (r.result().id, r.result().data.to_dict()) for r in (r2, r1)]
    assert records[0].last_modified == r2.result().last_modified


def test_replication_batch(kinto_any_server: str) -> None:
    client = Client(kinto_any_server, auth=AUTH)
    origin = client.bucket("origin")
    with client.batch() as batch:
        batch.create(origin)
        batch.create(origin.collection("coll"))
        for n in range(10):
            batch.create(origin.collection("coll").record({"foo": "bar", "n": n}))
    assert sorted(r.data.n for r in origin.collection("coll")) == list(range(10))


# -- faults: a gateway error after the server applied a chunk --------------------------------------


@pytest.fixture
def through_proxy(kinto_any_server: str) -> Iterator[tuple[str, FaultProxy, Client]]:
    raw_batch(kinto_any_server, [
        {"method": "PUT", "path": "/buckets/b"},
        {"method": "PUT", "path": "/buckets/b/collections/todo"},
    ] + [{"method": "PUT", "path": f"{TODO}/old{n}", "body": {"data": {"n": n}}}
         for n in range(10)])
    with FaultProxy(kinto_any_server, seed=3) as proxy:
        quick = RetryPolicy(sleep=lambda seconds: None)
        yield kinto_any_server, proxy, Client(proxy.url, auth=AUTH, retry=quick)


def mixed_calls(client: Client, batch: Batch) -> list[Any]:
    """40 calls of every kind across a new collection, a group and records."""
    bucket = client.bucket("b")
    todo, new = bucket.collection("todo"), bucket.collection("new")
    loaded = sorted(todo, key=lambda r: r.id)
    for record in loaded[:5]:
        record.data.n += 100
    return ([batch.create(new), batch.create(Group(bucket, "g", data={"members": ["x"]}))]
            + [batch.create(new.record({"id": f"r{n:02d}", "n": n})) for n in range(25)]
            + [batch.save(record) for record in loaded[:5]]
            + [batch.patch(todo.record(id=f"old{n}"), seen=True) for n in range(5, 8)]
            + [batch.delete(record) for record in loaded[8:]]
            + [batch.get(bucket.group("g")), batch.get(todo.record(id="old5"))])


def server_state(url: str) -> dict[str, Any]:
    """What the server holds, read raw."""
    records = {}
    for path in (TODO, "/buckets/b/collections/new/records"):
        if status_of(url, path) == 200:
            records.update({f"{path}/{r['id']}": r for r in raw_get(url, path)["data"]})
    return records


def test_a_chunk_applied_then_lost_is_read_back_and_reported_as_the_server_holds_it(
    through_proxy: tuple[str, FaultProxy, Client],
) -> None:
    url, proxy, client = through_proxy
    proxy.fail_next(Fault.GATEWAY_AFTER, methods={"POST"}, path_contains="batch")
    with client.batch() as batch:
        handles = mixed_calls(client, batch)
    held = server_state(url)
    assert batch.report.ok and batch.report.total == 39
    assert {h.request.path for h in handles[2:27]} <= set(held)
    assert all(held[f"{TODO}/old{n}"]["n"] == n + 100 for n in range(5))
    assert all(held[f"{TODO}/old{n}"]["seen"] is True for n in range(5, 8))
    assert f"{TODO}/old8" not in held and f"{TODO}/old9" not in held
    # Objects updated from the read-back: their versions are the server's.
    assert all(h.result().last_modified == held[h.request.path]["last_modified"]
               for h in handles[2:32])
    assert handles[-2].result().members == ["x"] and handles[-1].result().data.seen is True
    posts = [line for line in proxy.log if line[0] == "POST"]
    assert [outcome for _, _, outcome in posts] == ["GATEWAY_AFTER", "forwarded", "forwarded"]
    # The lost chunk was read back (one batch of GETs), none of it sent again: 25 + 14 items.
    assert batch.report.requests_sent == 3


def test_a_chunk_never_applied_is_sent_again(
    through_proxy: tuple[str, FaultProxy, Client],
) -> None:
    url, proxy, client = through_proxy
    proxy.fail_next(Fault.RESET, methods={"POST"}, path_contains="batch")
    with client.batch() as batch:
        handles = mixed_calls(client, batch)
    held = server_state(url)
    assert batch.report.ok
    assert all(held[h.request.path]["last_modified"] == h.result().last_modified
               for h in handles[2:32])
    assert [outcome for method, _, outcome in proxy.log if method == "POST"] == [
        "RESET", "forwarded", "forwarded", "forwarded"]  # read back, resent, second chunk


def test_an_outcome_that_cannot_be_learned_is_unknown_never_saved(
    through_proxy: tuple[str, FaultProxy, Client],
) -> None:
    url, proxy, client = through_proxy
    todo = client.bucket("b").collection("todo")
    client.server_info()
    proxy.inject(Fault.GATEWAY_AFTER)  # every request applied, every answer lost
    record = todo.record({"id": "new", "n": 1})
    with pytest.raises(BatchError) as caught, client.batch() as batch:
        made = batch.create(record)
        patched = batch.patch(todo.record(id="old1"), n=11)
    report = caught.value.report
    assert report.succeeded == [] and [f.id for f in report.unknown] == ["new", "old1"]
    error = made.exception()
    assert isinstance(error, BatchError) and error.report.unknown[0].index == 0
    assert "reading it back answered 502" in str(error)
    assert isinstance(patched.exception(), BatchError)
    assert record.last_modified is None  # not updated: nobody said it succeeded
    held = server_state(url)  # the server applied both: unknown was the honest answer
    assert held[f"{TODO}/new"]["n"] == 1 and held[f"{TODO}/old1"]["n"] == 11
