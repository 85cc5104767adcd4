"""Tests of _server/_blocking/changes_feed.py: changes since a timestamp, the collection timestamp,
watching."""

from __future__ import annotations

import datetime
import json
import random
import threading
import time
from typing import Any

import pytest
import requests

from kinto_query import (
    Bucket,
    Client,
    Collection,
    InvalidQuery,
    InvalidResponse,
    NotFound,
    Record,
    RetryPolicy,
)
from kinto_query.testing import KintoServer

from ..conftest import AUTH, TODO, RequestLog, Script, put, raw, raw_get

BASE = "http://localhost:8888/v1/buckets/b/collections/todo/records"


def ids(records: list[Record]) -> list[tuple[str, bool]]:
    return [(r.id, r.deleted) for r in records]


def timestamp_of(url: str, path: str) -> int:
    """The collection's timestamp, from its ETag as a raw GET of its records sees it."""
    answer = raw("GET", url, f"{path}/records?_limit=1")
    answer.raise_for_status()
    return int(answer.headers["ETag"].strip('"'))


# -- pure -----------------------------------------------------------------------------------------


def test_changes_are_asked_oldest_first_since_the_timestamp(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    assert todo.changes().url == f"{BASE}?_sort=last_modified"
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for since, value in ((1767225600000, "1767225600000"), ('"1767225600000"', "1767225600000"),
                         (when, "1767225600000")):
        changes = todo.changes(since=since)
        assert changes.url == f"{BASE}?_sort=last_modified&_since={value}"
        assert changes.timestamp == int(value)  # nothing read yet: where it starts
    assert todo.changes(since=5, page_size=100).url == (
        f"{BASE}?_sort=last_modified&_since=5&_limit=100")
    assert todo.changes().timestamp is None
    assert repr(todo.changes(since=5)) == '<Changes since=5 timestamp=5>'


@pytest.mark.parametrize("since", ["abc", -1, 1.5, datetime.datetime(2026, 1, 1)])
def test_a_bad_since_is_refused_before_any_request(offline_client: Client, since: Any) -> None:
    todo = offline_client.bucket("b").collection("todo")
    with pytest.raises(InvalidQuery):
        todo.changes(since=since)
    with pytest.raises(InvalidQuery):
        todo.watch(since=since)


@pytest.mark.parametrize("interval", [-1, 0, "5", True])
def test_watch_refuses_an_interval_that_is_not_seconds(offline_client: Client,
                                                       interval: Any) -> None:
    with pytest.raises(ValueError, match="interval must be a number of seconds"):
        offline_client.bucket("b").collection("todo").watch(interval=interval)


# -- hand-written answers: what a real Kinto sends only in a race, or never --------------------


def page(items: list[dict[str, Any]], etag: str | None, next_page: str | None = None,
         ) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if etag is not None:
        headers["ETag"] = etag
    if next_page is not None:
        headers["Next-Page"] = next_page
    return 200, headers, json.dumps({"data": items}).encode()


def scripted_todo(url: str) -> Collection:
    return Client(url, auth=AUTH).bucket("b").collection("todo")


def test_a_change_newer_than_the_first_etag_ends_the_round(scripted: tuple[str, Script]) -> None:
    """Kinto reads the timestamp before the records: a write landing in between is on the
    first page, after the ETag. It is left for the next round, and so is the rest."""
    url, script = scripted
    rest = f"{url}/buckets/b/collections/todo/records?_sort=last_modified&_token=x"
    script.answers = [page([{"id": "a", "last_modified": 10}, {"id": "b", "last_modified": 15},
                            {"id": "c", "last_modified": 25}], '"20"', rest)]
    changes = scripted_todo(url).changes()
    assert [r.id for r in changes] == ["a", "b"]
    assert (changes.timestamp, changes.complete, changes.requests) == (20, True, 1)
    assert len(script.seen) == 1  # the Next-Page was not followed


def test_changes_out_of_order_are_an_invalid_response(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [page([{"id": "a", "last_modified": 10}, {"id": "b", "last_modified": 5}],
                           '"20"')]
    changes = scripted_todo(url).changes()
    with pytest.raises(InvalidResponse, match=r"out of order \(5 after 10\)"):
        list(changes)
    assert changes.timestamp == 10  # a handed-out change is not taken back


def test_an_answer_without_an_etag_is_an_invalid_response(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [page([{"id": "a", "last_modified": 10}], None)]
    with pytest.raises(InvalidResponse, match="no collection timestamp in the ETag"):
        list(scripted_todo(url).changes())


def test_changes_are_read_once(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [page([], '"20"')]
    changes = scripted_todo(url).changes()
    assert list(changes) == []
    with pytest.raises(RuntimeError, match=r"changes\.timestamp"):
        iter(changes)


# -- live: changes and timestamp ------------------------------------------------------------------


def test_changes_without_since_are_every_record_and_the_collection_etag(
    todo: Collection, kinto_fresh_server: str
) -> None:
    todo.create_record({"id": "gone"}).delete()
    changes = todo.changes()
    assert ids(list(changes)) == [("r1", False), ("r2", False), ("r3", False)]  # no tombstone
    assert changes.timestamp == timestamp_of(kinto_fresh_server, TODO)
    assert changes.complete and changes.requests == 1


def test_changes_since_are_updates_creations_and_tombstones(
    todo: Collection, kinto_fresh_server: str
) -> None:
    before = todo.changes()
    list(before)
    todo.update_record("r2", {"title": "changed"})
    todo.create_record({"id": "r4", "title": "new"})
    todo.delete_record("r1")
    changes = todo.changes(since=before.timestamp)
    got = list(changes)
    assert ids(got) == [("r2", False), ("r4", False), ("r1", True)]
    assert got[0].data.title == "changed" and got[0].data.author.name == "ann"
    assert dict(got[2].data) == {} and got[2].last_modified is not None
    assert changes.timestamp == timestamp_of(kinto_fresh_server, TODO) == got[2].last_modified


def test_an_unchanged_collection_costs_one_request_answered_304(
    todo: Collection, alice: Client
) -> None:
    etag = todo.changes()
    list(etag)
    log = RequestLog(alice)
    changes = todo.changes(since=etag.timestamp)
    assert list(changes) == []
    assert changes.modified is False and changes.timestamp == etag.timestamp
    assert log.sent == [("GET", f"{TODO}/records?_sort=last_modified&_since="
                                f"{etag.timestamp}")]
    assert log.requests[0].headers["If-None-Match"] == f'"{etag.timestamp}"'


def test_paged_changes_follow_next_page(todo: Collection, alice: Client) -> None:
    log = RequestLog(alice)
    changes = todo.changes(page_size=1)
    assert [r.id for r in changes] == ["r1", "r2", "r3"]
    assert changes.requests == 3 == len(log.sent)
    assert "_token=" in log.sent[1][1]


def test_writes_landing_while_paging_come_once_in_the_next_round(
    todo: Collection, kinto_fresh_server: str
) -> None:
    """r1 is read; then r2 (not read yet) is changed, r3 deleted, r4 created and r1 changed
    again: this round ends with r1, the next one brings each of the four writes once."""
    seen: list[tuple[str, int | None]] = []
    changes = todo.changes(page_size=1)
    for record in changes:
        seen.append((record.id, record.last_modified))
        if record.id == "r1":
            raw("PATCH", kinto_fresh_server, f"{TODO}/records/r2", {"data": {"n": 22}})
            raw("DELETE", kinto_fresh_server, f"{TODO}/records/r3")
            raw("PUT", kinto_fresh_server, f"{TODO}/records/r4", {"data": {"n": 4}})
            raw("PATCH", kinto_fresh_server, f"{TODO}/records/r1", {"data": {"n": 11}})
    assert [i for i, _ in seen] == ["r1"]
    following = todo.changes(since=changes.timestamp)
    got = list(following)
    assert ids(got) == [("r2", False), ("r3", True), ("r4", False), ("r1", False)]
    assert (got[0].data.n, got[3].data.n) == (22, 11)
    seen += [(r.id, r.last_modified) for r in got]
    assert len(set(seen)) == len(seen) == 5
    assert list(todo.changes(since=following.timestamp)) == []


def test_an_interrupted_round_resumes_with_nothing_missed_or_repeated(todo: Collection) -> None:
    changes = todo.changes(page_size=2)
    first = []
    for record in changes:
        first.append(record)
        if len(first) == 2:
            break
    assert not changes.complete and changes.timestamp == first[1].last_modified
    rest = todo.changes(since=changes.timestamp)
    assert [r.id for r in first] + [r.id for r in rest] == ["r1", "r2", "r3"]


def test_timestamp_is_one_small_request_for_the_collection_etag(
    alice: Client, kinto_fresh_server: str
) -> None:
    """kinto-http's test_records_timestamp_retrieval, with our API."""
    payments = Bucket("mozilla", client=alice, create=True).create_collection("payments")
    record = payments.create_record({"foo": "bar"}, permissions={"read": ["account:alexis"]})
    log = RequestLog(alice)
    assert payments.timestamp() == record.last_modified
    assert log.sent == [("GET", "/buckets/mozilla/collections/payments/records"
                                "?_fields=id&_limit=1")]
    assert payments.timestamp() == timestamp_of(kinto_fresh_server,
                                                "/buckets/mozilla/collections/payments")


def test_timestamp_and_changes_of_a_missing_collection_raise_not_found(alice: Client) -> None:
    nothing = Bucket("w", client=alice, create=True).collection("nothing")
    with pytest.raises(NotFound, match="collection 'nothing' not found"):
        nothing.timestamp()
    with pytest.raises(NotFound, match="collection 'nothing' not found"):
        list(nothing.changes())


# -- live: watch ----------------------------------------------------------------------------------


def stop_after(watcher: Any, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, watcher.stop)
    timer.start()
    return timer


def test_watching_an_unchanged_collection_costs_one_request_per_poll(
    todo: Collection, alice: Client
) -> None:
    etag = f'"{todo.timestamp()}"'
    log = RequestLog(alice)
    watcher = todo.watch(since=etag, interval=0.05)
    stop_after(watcher, 0.6)
    assert list(watcher) == []
    assert watcher.polls >= 5 and watcher.requests == watcher.polls == len(log.sent)
    since = etag.strip('"')
    assert set(log.sent) == {("GET", f"{TODO}/records?_sort=last_modified&_since={since}")}
    assert {r.headers["If-None-Match"] for r in log.requests} == {etag}
    assert watcher.timestamp == int(since) and watcher.stopped


def test_stop_from_another_thread_ends_a_wait_at_once(todo: Collection) -> None:
    threads = threading.active_count()
    watcher = todo.watch(interval=60)
    stop_after(watcher, 0.3)
    started = time.monotonic()
    got = [r.id for r in watcher]
    assert got == ["r1", "r2", "r3"] and watcher.polls == 1
    assert time.monotonic() - started < 2
    time.sleep(0.05)  # the timer thread ends right after calling stop()
    assert threading.active_count() == threads


def test_breaking_the_loop_leaves_no_thread_and_a_resumable_etag(todo: Collection) -> None:
    threads = threading.active_count()
    watcher = todo.watch(interval=0.001)
    for record in watcher:
        if record.id == "r2":
            break
    assert threading.active_count() == threads
    assert watcher.timestamp == record.last_modified
    assert [r.id for r in todo.changes(since=watcher.timestamp)] == ["r3"]


def test_stop_inside_the_loop_stops_after_this_change(todo: Collection) -> None:
    watcher = todo.watch(interval=0.001)
    got = []
    for record in watcher:
        got.append(record.id)
        watcher.stop()
    assert got == ["r1"] and watcher.timestamp == todo.get("r1").last_modified


def test_a_shared_stop_event_stops_the_watch(todo: Collection) -> None:
    stop = threading.Event()
    watcher = todo.watch(interval=60, stop_event=stop)
    threading.Timer(0.2, stop.set).start()
    assert len(list(watcher)) == 3 and watcher.stopped


@pytest.mark.live
def test_watch_honours_backoff_and_still_stops_at_once() -> None:
    """A real Kinto sending ``Backoff: 30`` on every answer: after the first poll, the next
    waits 30 s (not the 0.01 s interval), yet stop() ends that wait at once."""
    with KintoServer(settings={"backoff": 30}) as server:
        raw("PUT", server.url, "/buckets/w").raise_for_status()
        raw("PUT", server.url, TODO).raise_for_status()
        client = Client(server.url, auth=AUTH)
        todo = client.bucket("w").collection("todo")
        log = RequestLog(client)
        watcher = todo.watch(interval=0.01)
        stop_after(watcher, 0.5)
        started = time.monotonic()
        assert list(watcher) == []
        assert time.monotonic() - started < 2
        assert watcher.polls == 1 and len(log.sent) == 1
        assert 25 < client.transport.backoff_remaining <= 30


# -- live, both backends: a second writer while watching ------------------------------------------


def writer(url: str, path: str, operations: int, log: list[tuple[str, int, bool]],
           seed: int) -> None:
    """Creates, updates and deletes records of 12 ids at random, as fast as the server goes;
    ``log`` gets (id, last_modified, deleted) of every write, from the server's answers."""
    rng = random.Random(seed)
    alive: set[str] = set()
    with requests.Session() as session:
        session.auth = AUTH
        for n in range(operations):
            record_id = f"p{rng.randrange(12):02d}"
            if record_id not in alive:
                answer = session.put(f"{url}{path}/records/{record_id}",
                                     json={"data": {"n": n}}, timeout=30)
                alive.add(record_id)
            elif rng.random() < 0.7:
                answer = session.patch(f"{url}{path}/records/{record_id}",
                                       json={"data": {"n": n}}, timeout=30)
            else:
                answer = session.delete(f"{url}{path}/records/{record_id}", timeout=30)
                alive.discard(record_id)
            answer.raise_for_status()
            data = answer.json()["data"]
            log.append((record_id, data["last_modified"], data.get("deleted") is True))


def test_a_watch_with_a_second_writer_misses_nothing_and_repeats_nothing(
    any_alice: Client, kinto_any_server: str
) -> None:
    url = kinto_any_server
    path = "/buckets/w/collections/feed"
    Bucket("w", client=any_alice, create=True).create_collection("feed")
    # Kinto 26.5 on PostgreSQL answers 500 (errno 999) to a read of a collection that never
    # had a record while its first one is written (its timestamp is not there yet): a read
    # is safe to retry, and a watcher starting on a new collection may meet that race.
    patient = RetryPolicy(statuses=frozenset({429, 500, 502, 503, 504}))
    feed = Client(url, auth=AUTH, retry=patient).bucket("w").collection("feed")
    writes: list[tuple[str, int, bool]] = []
    thread = threading.Thread(target=writer, args=(url, path, 150, writes, 7))
    watcher = feed.watch(interval=0.1, page_size=2)  # small pages: writes land between them

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
    for record in watcher:
        assert record.last_modified is not None
        delivered.append((record.id, record.last_modified, record.deleted))
        if record.deleted:
            mirror.pop(record.id, None)
        else:
            mirror[record.id] = {**record.data, "id": record.id,
                                 "last_modified": record.last_modified}
    stamps = [modified for _, modified, _ in delivered]
    print(f"\n{len(writes)} writes, {len(delivered)} changes in {watcher.polls} polls, "
          f"{watcher.requests} requests")
    assert watcher.timestamp == timestamp_of(url, path)
    # Nothing twice, and in the order of the writes.
    assert stamps == sorted(set(stamps))
    # Nothing missed: the last write of every id was handed out, and only real writes were.
    last = {record_id: (modified, deleted) for record_id, modified, deleted in writes}
    assert set(delivered) <= set(writes)
    assert {(i, m, d) for i, (m, d) in last.items()} <= set(delivered)
    # The mirror built from the changes is the collection, read raw.
    server = raw_get(url, f"{path}/records")["data"]
    assert mirror == {record["id"]: record for record in server}
    assert watcher.polls > 1 and watcher.requests > watcher.polls  # paged rounds happened


# -- cassettes -------------------------------------------------------------------------------------


def test_changes_round_trip(kinto_client: Client, bucket: Bucket) -> None:
    todo = bucket.create_collection("todo")
    todo.create_records({"id": f"t{i}", "n": i} for i in range(3))
    everything = todo.changes()
    assert [r.id for r in everything] == ["t0", "t1", "t2"]
    assert everything.timestamp == todo.timestamp()
    todo.update_record("t1", {"n": 10})
    todo.delete_record("t0")
    changes = todo.changes(since=everything.timestamp)
    assert [(r.id, r.deleted, r.data.get("n")) for r in changes] == [
        ("t1", False, 10), ("t0", True, None)]
    idle = todo.changes(since=changes.timestamp)
    assert list(idle) == [] and idle.modified is False and idle.timestamp == changes.timestamp


def test_watch_hands_out_what_is_written_while_watching(kinto_client: Client,
                                                        bucket: Bucket) -> None:
    todo = bucket.create_collection("todo")
    todo.create_records({"id": f"t{i}", "n": i} for i in range(2))
    log = RequestLog(kinto_client)
    watcher = todo.watch(interval=0.001)
    seen = []
    for record in watcher:
        seen.append((record.id, record.deleted))
        if record.id == "t1" and not record.deleted and len(seen) == 2:
            put(kinto_client, "/buckets/shop/collections/todo/records/t0", {"n": 100})
            todo.delete_record("t1")
        if record.deleted:
            watcher.stop()
    assert seen == [("t0", False), ("t1", False), ("t0", False), ("t1", True)]
    assert watcher.polls == 2
    assert [method for method, _ in log.sent] == ["GET", "PUT", "DELETE", "GET"]
    idle = todo.changes(since=watcher.timestamp)
    assert list(idle) == [] and idle.modified is False
