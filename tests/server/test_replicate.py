"""Tests of _server/_blocking/replicate.py: copying a collection to another one, on another server
or the same,
incrementally with ``since``, through faults, resumed from the report's ``timestamp``."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kinto_query import (
    BatchError,
    Bucket,
    Client,
    Collection,
    ItemFailure,
    ReplicationError,
    ReplicationReport,
    RetryPolicy,
    replicate,
)
from kinto_query.testing import KintoServer

from ..conftest import AUTH, RequestLog, batch_put, raw
from ..faultproxy import Fault, FaultProxy

SOURCE = "/buckets/w/collections/todo"
COPY = "/buckets/copy/collections/todo"
# Fast, few retries: the faults below are meant to stop a run, not to be ridden out.
IMPATIENT = RetryPolicy(attempts=2, backoff=0.0, max_wait=0.0, total=10.0)


def contents(url: str, path: str, *, server_fields: tuple[str, ...] = ()
             ) -> dict[str, dict[str, Any]]:
    """The records of a collection as the server has them, read raw, without the fields the
    server adds (``last_modified``, and ``server_fields``)."""
    answer = raw("GET", url, f"{path}/records")
    answer.raise_for_status()
    assert "Next-Page" not in answer.headers
    left_out = ("last_modified", *server_fields)
    return {r["id"]: {k: v for k, v in r.items() if k not in left_out}
            for r in answer.json()["data"]}


def timestamp_of(url: str, path: str) -> int:
    answer = raw("GET", url, f"{path}/records?_limit=1")
    answer.raise_for_status()
    return int(answer.headers["ETag"].strip('"'))


def last_modified(url: str, path: str, record_id: str) -> int:
    answer = raw("GET", url, f"{path}/records/{record_id}")
    answer.raise_for_status()
    return int(answer.json()["data"]["last_modified"])


def source_of(client: Client, count: int, **collection: Any) -> Collection:
    """Bucket w, collection todo holding r000..r<count-1>, each {"n": i, "title": ...}."""
    todo = Bucket("w", client=client, create=True).create_collection("todo", **collection)
    batch_put(client, f"{SOURCE}/records",
              ({"id": f"r{i:03d}", "n": i, "title": f"task {i}"} for i in range(count)))
    return todo


@pytest.fixture(scope="module")
def second_server() -> Iterator[str]:
    """Another Kinto (memory backend), which validates records against a collection's
    JSON schema, for copies from one server to another."""
    with KintoServer(settings={"experimental_collection_schema_validation": "true"}) as server:
        yield server.url


@pytest.fixture
def backup(second_server: str) -> str:
    requests.post(second_server + "/__flush__", timeout=10).raise_for_status()
    return second_server


# -- pure -----------------------------------------------------------------------------------------


def test_the_report_says_what_was_copied_and_where_to_go_on() -> None:
    report = ReplicationReport(created=3, updated=1, deleted=2, read=6, timestamp=42,
                               complete=True)
    assert report.ok
    assert repr(report) == ('<ReplicationReport read 6 changes: 3 created, 1 updated, '
                            '2 deleted; next since=42>')
    stopped = ReplicationReport(created=1, read=3, timestamp=7, stopped_by="the target did "
                                "not apply every change",
                                failed=[ItemFailure(1, "r1", 400, "invalid"),
                                        ItemFailure(2, "r2", None, "not sent")])
    assert not stopped.ok
    assert stopped.summary() == (
        "read 3 changes: 1 created, 0 updated, 0 deleted; 2 failed ['r1', 'r2'] (invalid); "
        'stopped (the target did not apply every change): resume with since=7')
    error = ReplicationError(stopped)
    assert isinstance(error, BatchError) and str(error) == stopped.summary()


def test_misuse_is_refused_before_any_request(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    again = Client(offline_client.transport.server_url).bucket("b").collection("todo")
    with pytest.raises(ValueError, match="source and target are the same collection"):
        replicate(todo, again)
    with pytest.raises(TypeError, match="target is str"):
        replicate(todo, "b/backup")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size must be a whole number >= 1, got 0"):
        replicate(todo, offline_client.bucket("b").collection("backup"), chunk_size=0)


def test_a_chunk_size_above_the_server_limit_is_refused(alice: Client) -> None:
    source = Bucket("src", client=alice, create=True).create_collection("todo")
    source.create_records({"id": f"r{i}"} for i in range(3))
    log = RequestLog(alice)
    with pytest.raises(ValueError, match="above the server's limit of 25"):
        replicate(source, alice.bucket("dst").collection("todo"), chunk_size=1000)
    assert [m for m in log.methods if m != "GET"] == []  # nothing written
    with pytest.raises(ValueError, match="above the server's limit of 25"):
        source.create_records([{"id": "x"}], chunk_size=26)


# -- live: between two servers --------------------------------------------------------------------


def test_a_collection_is_copied_to_another_server(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    """kinto-http's replication tests (bucket and collection created if missing, with the
    source's data and permissions; records sent), with our API."""
    source = source_of(alice, 60, data={"title": "Todos"},
                       permissions={"read": ["system.Authenticated"]})
    target_client = Client(backup, auth=AUTH)
    log = RequestLog(target_client)
    report = replicate(source, target_client.bucket("copy").collection("todo"))
    assert (report.read, report.created, report.updated, report.deleted) == (60, 60, 0, 0)
    assert report.ok and report.complete and report.failed == []
    assert report.timestamp == timestamp_of(kinto_fresh_server, SOURCE)
    assert report.requests == 3  # 25 + 25 + 10 records, one POST /batch each
    assert [m for m, _ in log.sent].count("POST") == 3
    assert contents(backup, COPY) == contents(kinto_fresh_server, SOURCE)
    copied = raw("GET", backup, COPY).json()
    assert copied["data"]["title"] == "Todos"
    assert "system.Authenticated" in copied["permissions"]["read"]


def test_since_copies_updates_creations_and_deletions(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    source = source_of(alice, 30)
    target_client = Client(backup, auth=AUTH)
    target = target_client.bucket("copy").collection("todo")
    first = replicate(source, target)
    source.update_record("r001", {"title": "renamed"})
    source.delete_records(["r002", "r003"])
    source.create_record({"id": "r100", "n": 100})
    source.create_record({"id": "gone"}).delete()  # the target never had it
    report = replicate(source, target, since=first.timestamp)
    assert (report.read, report.created, report.updated, report.deleted) == (5, 1, 1, 3)
    assert report.ok and report.timestamp == timestamp_of(kinto_fresh_server, SOURCE)
    assert contents(backup, COPY) == contents(kinto_fresh_server, SOURCE)
    assert "r002" not in contents(backup, COPY)
    # Nothing changed since: the source answers 304, nothing is written.
    source_log, target_log = RequestLog(alice), RequestLog(target_client)
    idle = replicate(source, target, since=report.timestamp)
    assert (idle.read, idle.requests, idle.timestamp) == (0, 0, report.timestamp)
    assert source_log.methods == ["GET"] and target_log.sent == [("GET", COPY)]


def test_a_record_the_target_refuses_stops_the_run_and_resuming_goes_on(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    """The target's collection has a JSON schema that r015 breaks: the run stops after the
    window holding it, the report names it, and once the schema is fixed the copy resumes."""
    source = Bucket("w", client=alice, create=True).create_collection("todo")
    batch_put(alice, f"{SOURCE}/records", ({"id": f"r{i:03d}", "n": "fifteen" if i == 15 else i}
                                           for i in range(40)))
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    target_client = Client(backup, auth=AUTH)
    target = Bucket("copy", client=target_client, create=True).create_collection(
        "todo", data={"schema": schema})
    with pytest.raises(ReplicationError) as caught:
        replicate(source, target, page_size=10)
    report = caught.value.report
    assert isinstance(report, ReplicationReport)
    assert (report.read, report.created, report.complete) == (25, 24, False)
    (failure,) = report.failed
    assert (failure.id, failure.status, failure.index) == ("r015", 400, 15)
    assert "n" in failure.message
    # Every change before r015's was applied (and the rest of its window too).
    assert report.timestamp == last_modified(kinto_fresh_server, SOURCE, "r014")
    assert "stopped (the target did not apply every change)" in str(caught.value)
    raw("PATCH", backup, COPY, {"data": {"schema": {"type": "object"}}}).raise_for_status()
    resumed = replicate(source, target, since=report.timestamp)
    assert resumed.ok and (resumed.read, resumed.created, resumed.updated) == (25, 16, 9)
    # Kinto stamps each record it validated with the schema's version ("schema").
    assert contents(backup, COPY, server_fields=("schema",)) == contents(kinto_fresh_server,
                                                                         SOURCE)


# -- live: between two collections of one server --------------------------------------------------


def test_a_collection_is_copied_to_another_bucket_of_the_same_server(
    alice: Client, kinto_fresh_server: str
) -> None:
    """kinto-http's test_replication: 10 records from origin/coll to destination/coll."""
    origin = Bucket("origin", client=alice, create=True).create_collection("coll")
    origin.create_records({"foo": "bar", "n": n} for n in range(10))
    destination = alice.bucket("destination").collection("coll")
    report = replicate(origin, destination)
    assert len(destination.get_records()) == 10 and report.created == 10
    assert contents(kinto_fresh_server, "/buckets/destination/collections/coll") == contents(
        kinto_fresh_server, "/buckets/origin/collections/coll")


def test_an_existing_target_collection_is_left_as_it_is(alice: Client,
                                                        kinto_fresh_server: str) -> None:
    source = source_of(alice, 3, data={"title": "source"})
    target = Bucket("w", client=alice).create_collection("mirror", data={"title": "mine"})
    target.create_record({"id": "r001", "n": -1, "extra": True})
    log = RequestLog(alice)
    report = replicate(source, target)
    assert (report.created, report.updated) == (2, 1)
    mirror = "/buckets/w/collections/mirror"
    assert [m for m, path in log.sent if path == mirror] == ["GET"]  # exists: not created
    assert raw("GET", kinto_fresh_server, mirror).json()["data"]["title"] == "mine"
    assert contents(kinto_fresh_server, mirror) == contents(kinto_fresh_server, SOURCE)


def test_chunks_in_flight_at_once_copy_the_same(alice: Client, kinto_fresh_server: str) -> None:
    source = source_of(alice, 130)
    windows: list[int] = []
    report = replicate(source, alice.bucket("w").collection("copy"), concurrency=2,
                       progress=lambda report: windows.append(report.read))
    assert report.ok and report.created == 130 and report.requests == 6
    assert windows == [50, 100, 130]  # windows of two chunks of 25
    assert contents(kinto_fresh_server, "/buckets/w/collections/copy") == contents(
        kinto_fresh_server, SOURCE)


def test_memory_holds_a_window_not_the_collection(alice: Client) -> None:
    source = Bucket("w", client=alice, create=True).create_collection("todo")

    def generate() -> Iterator[dict[str, Any]]:
        for i in range(600):
            yield {"id": f"g{i:04d}", "n": i, "body": f"{i:04d}" + "y" * 1000}

    batch_put(alice, f"{SOURCE}/records", generate())
    target = alice.bucket("w").collection("copy")
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    report = replicate(source, target, page_size=100)
    elapsed = time.perf_counter() - started
    _, streamed = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    tracemalloc.start()
    everything = source.get_records()
    _, whole = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del everything
    print(f"\nreplicate: 600 records in {elapsed:.1f} s, peak {streamed / 1e6:.2f} MB; "
          f"the records as a list: {whole / 1e6:.2f} MB")
    assert report.ok and report.created == 600 and report.requests == 24
    assert target.count() == 600
    assert streamed < whole / 3


def test_an_interrupt_carries_the_report(alice: Client, kinto_fresh_server: str) -> None:
    source = source_of(alice, 60)

    def interrupt(report: ReplicationReport) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        replicate(source, alice.bucket("w").collection("copy"), progress=interrupt)
    report = caught.value.report  # type: ignore[attr-defined]
    assert (report.read, report.created, report.complete) == (25, 25, False)
    assert report.timestamp == last_modified(kinto_fresh_server, SOURCE, "r024")


# -- live: faults ----------------------------------------------------------------------------------


def test_a_target_lost_midway_stops_the_run_and_resuming_completes_it(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    source = source_of(alice, 120)
    with FaultProxy(backup) as proxy:
        target = Client(proxy.url, auth=AUTH, retry=IMPATIENT).bucket("copy").collection("todo")

        def lose_the_target(report: ReplicationReport) -> None:
            if report.read == 50:  # after two windows: every POST /batch gets no answer
                proxy.inject(Fault.RESET, methods={"POST"})

        with pytest.raises(ReplicationError) as caught:
            replicate(source, target, progress=lose_the_target)
        report = caught.value.report
        assert isinstance(report, ReplicationReport)
        assert (report.read, report.created, report.complete) == (75, 50, False)
        assert [f.id for f in report.failed] == [f"r{i:03d}" for i in range(50, 75)]
        assert report.timestamp == last_modified(kinto_fresh_server, SOURCE, "r049")
        assert set(contents(backup, COPY)) == {f"r{i:03d}" for i in range(50)}
        assert proxy.counts()["RESET"] >= 2  # the batch, then reading it back
        proxy.clear()
        resumed = replicate(source, target, since=report.timestamp)
    assert resumed.ok and (resumed.read, resumed.created) == (70, 70)
    assert contents(backup, COPY) == contents(kinto_fresh_server, SOURCE)


def test_a_batch_applied_but_answered_502_is_read_back_not_resent(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    source = source_of(alice, 60)
    with FaultProxy(backup) as proxy:
        target = Client(proxy.url, auth=AUTH, retry=IMPATIENT).bucket("copy").collection("todo")
        proxy.inject(Fault.GATEWAY_AFTER, methods={"POST"}, path_contains="/batch", times=1)
        report = replicate(source, target)
        batches = [path for method, path, _ in proxy.log if method == "POST"]
    assert report.ok and report.read == 60
    # The first chunk landed but its answer was lost: read back, found, not sent again.
    assert (report.created, report.updated) == (35, 25)
    assert len(batches) == 4 and report.requests == 4
    assert contents(backup, COPY) == contents(kinto_fresh_server, SOURCE)


def test_a_target_answering_garbage_before_copying_is_a_replication_error(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    """The target's first answer (its limits, or its collection) is cut short: the run stops
    with a ReplicationError whose report says why, not a bare InvalidResponse."""
    source = source_of(alice, 10)
    with FaultProxy(backup) as proxy:
        target = Client(proxy.url, auth=AUTH, retry=IMPATIENT).bucket("copy").collection("todo")
        proxy.fail_next(Fault.GARBLED_AFTER, methods={"GET"})
        with pytest.raises(ReplicationError) as caught:
            replicate(source, target)
        report = caught.value.report
        assert isinstance(report, ReplicationReport)
        assert (report.read, report.complete) == (0, False)
        assert "preparing the target failed" in (report.stopped_by or "")
        resumed = replicate(source, target, since=report.timestamp)
    assert resumed.ok and contents(backup, COPY) == contents(kinto_fresh_server, SOURCE)


def test_a_source_lost_midway_stops_after_applying_what_was_read(
    alice: Client, kinto_fresh_server: str, backup: str
) -> None:
    source_of(alice, 50)
    target = Client(backup, auth=AUTH).bucket("copy").collection("todo")
    with FaultProxy(kinto_fresh_server) as proxy:
        flaky = Client(proxy.url, auth=AUTH, retry=None).bucket("w").collection("todo")
        proxy.inject(Fault.RESET, methods={"GET"}, path_contains="_token=")  # pages 2 and on
        with pytest.raises(ReplicationError, match="reading the source failed") as caught:
            replicate(flaky, target, page_size=20)
        report = caught.value.report
        assert isinstance(report, ReplicationReport)
        assert (report.read, report.created, report.complete) == (20, 20, False)
        assert report.failed == []
        assert report.timestamp == last_modified(kinto_fresh_server, SOURCE, "r019")
        proxy.clear()
        resumed = replicate(flaky, target, since=report.timestamp, page_size=20)
    assert resumed.ok and resumed.created == 30
    assert contents(backup, COPY) == contents(kinto_fresh_server, SOURCE)


# -- cassettes -------------------------------------------------------------------------------------


def test_replicate_round_trip(kinto_client: Client, bucket: Bucket) -> None:
    source = bucket.create_collection("src")
    source.create_records({"id": f"t{i:02d}", "n": i} for i in range(30))
    target = bucket.collection("dst")
    first = replicate(source, target)
    assert (first.created, first.requests, first.ok) == (30, 2, True)
    source.update_record("t01", {"n": -1})
    source.delete_record("t02")
    second = replicate(source, target, since=first.timestamp)
    assert (second.read, second.updated, second.deleted) == (2, 1, 1)
    assert second.timestamp == source.timestamp()
    assert target.count() == 29 and target.get("t01").data.n == -1


def test_the_replication_is_logged(kinto_client: Client, bucket: Bucket,
                                   caplog: pytest.LogCaptureFixture) -> None:
    """kinto-http's test_logger_outputs_replication_information, with our API."""
    source = bucket.create_collection("coll")
    target = bucket.collection("copy")
    with caplog.at_level("INFO", logger="kinto_query"):
        replicate(source, target)
    origin = kinto_client.server_url
    assert (f"replicating {origin}/buckets/shop/collections/coll to "
            f"{origin}/buckets/shop/collections/copy since None") in caplog.messages
    assert any(m.startswith(f"replication of {origin}/buckets/shop/collections/coll: read 0 "
                            "changes: 0 created") for m in caplog.messages)
