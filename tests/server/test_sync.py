"""Tests of _server/sync.py: Collection.sync() makes a collection hold a list, live on a real
Kinto."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from kinto_query import BatchError, Bucket, Client, Collection, RetryPolicy, SignerOwned, SyncReport
from kinto_query.testing import RemoteSettingsServer

from ..conftest import AUTH, R1, R2, R3, TODO, RequestLog, own, raw_get, raw_put_record
from ..faultproxy import Fault, FaultProxy

pytestmark = pytest.mark.live


def held(url: str, path: str = TODO) -> dict[str, dict[str, Any]]:
    """Every record of the collection as the server holds it, read raw."""
    return {r["id"]: r for r in raw_get(url, f"{path}/records")["data"]}


def test_sync_creates_updates_and_deletes(any_todo: Collection, kinto_any_server: str) -> None:
    url = kinto_any_server
    wanted = [{"id": "r1", **R1, "title": "A"}, {"id": "r2", **R2}, {"id": "r4", "title": "new"}]
    report = any_todo.sync(wanted, delete=True)
    assert (report.created, report.updated, report.deleted) == (("r4",), ("r1",), ("r3",))
    assert report.diff.unchanged == ("r2",) and report.ok
    assert report.summary() == "created 1, updated 1, deleted 1, unchanged 1"
    assert {i: own(r) for i, r in held(url).items()} == {
        "r1": {**R1, "title": "A"}, "r2": R2, "r4": {"title": "new"}}
    assert any_todo.diff(wanted).in_sync


def test_sync_keeps_what_the_list_lacks_unless_delete(any_todo: Collection,
                                                      kinto_any_server: str) -> None:
    report = any_todo.sync([{"id": "r1", **R1}, {"id": "r2", **R2, "n": 5}])
    assert report.updated == ("r2",) and report.deleted == () and report.kept == 1
    assert report.summary() == ("created 0, updated 1, deleted 0, unchanged 1, 1 not in the "
                                "list kept (delete=True deletes them)")
    assert set(held(kinto_any_server)) == {"r1", "r2", "r3"}


def test_a_change_between_scan_and_write_is_a_conflict_not_an_overwrite(
        any_todo: Collection, kinto_any_server: str) -> None:
    url = kinto_any_server
    diff = any_todo.diff([{"id": "r1", "title": "mine"}, {"id": "r2", "title": "mine"},
                          {"id": "r5", "title": "mine"}])
    raw_put_record(url, "r1", {"title": "theirs"})  # changed after the scan
    raw_put_record(url, "r5", {"title": "theirs"})  # created after the scan
    raw_put_record(url, "r3", {"title": "theirs"})  # changed after the scan, to be deleted
    with pytest.raises(BatchError) as caught:
        any_todo.sync(diff, delete=True)
    report = caught.value.report
    assert isinstance(report, SyncReport)
    assert [(c.id, c.status) for c in report.conflicts] == [("r5", 412), ("r1", 412), ("r3", 412)]
    assert report.conflicts[1].existing["title"] == "theirs"  # type: ignore[index]
    assert report.updated == ("r2",) and report.created == () and report.deleted == ()
    on_server = {i: r["title"] for i, r in held(url).items()}
    assert on_server == {"r1": "theirs", "r2": "mine", "r3": "theirs", "r5": "theirs"}


def test_nothing_to_change_sends_only_the_scan(any_todo: Collection, any_alice: Client) -> None:
    wanted = [{"id": "r1", **R1}, {"id": "r2", **R2}, {"id": "r3", **R3}]
    log = RequestLog(any_alice)
    report = any_todo.sync(wanted, delete=True)
    assert log.sent == [("GET", f"{TODO}/records")]
    assert report.report.requests_sent == 0 and report.ok and report.diff.in_sync


def test_a_sync_from_another_collections_query(any_todo: Collection, any_alice: Client,
                                               kinto_any_server: str) -> None:
    copy = any_todo.bucket.create_collection("copy")
    report = copy.sync(any_todo.filter(status="todo"))
    assert sorted(report.created) == ["r1", "r3"]
    assert {i: own(r) for i, r in held(kinto_any_server, "/buckets/w/collections/copy").items()
            } == {"r1": R1, "r3": R3}


def test_a_sync_of_5000_records_goes_in_batches_of_the_servers_limit(
        alice: Client, kinto_fresh_server: str) -> None:
    todo = Bucket("big", client=alice, create=True).create_collection("todo")
    limit = raw_get(kinto_fresh_server, "/")["settings"]["batch_max_requests"]
    wanted = [{"id": f"r{i:05d}", "n": i} for i in range(5000)]
    log = RequestLog(alice)
    report = todo.sync(wanted)
    assert len(report.created) == 5000 and report.ok
    assert log.sent.count(("POST", "/batch")) == report.report.requests_sent == 5000 // limit
    assert log.sent[0] == ("GET", "/buckets/big/collections/todo/records")
    for record in wanted[:60]:
        record["n"] = -1
    log.clear()
    again = todo.sync(wanted[:4990], delete=True)
    assert len(again.updated) == 60 and len(again.deleted) == 10
    assert len(again.diff.unchanged) == 4930
    batches = -(-70 // limit)
    assert log.sent == [("GET", "/buckets/big/collections/todo/records")] + [
        ("POST", "/batch")] * batches
    assert todo.count() == 4990 and todo.filter(n=-1).count() == 60


def test_a_503_on_a_batch_still_gives_an_exact_report(any_todo: Collection,
                                                      kinto_any_server: str) -> None:
    url = kinto_any_server
    with FaultProxy(url, seed=3) as proxy:
        quick = RetryPolicy(sleep=lambda seconds: None)
        todo = Client(proxy.url, auth=AUTH, retry=quick).bucket("w").collection("todo")
        wanted = [{"id": f"s{i:02d}", "n": i} for i in range(40)] + [{"id": "r1", "n": 0}]
        proxy.inject(Fault.UNAVAILABLE, methods={"POST"}, path_contains="batch", times=100)
        with pytest.raises(BatchError) as caught:
            todo.sync(wanted, delete=True)
    report = caught.value.report
    assert report.created == report.updated == report.deleted == ()
    assert len(report.failed) == 43 and not report.report.unknown
    assert "not applied after" in report.failed[0].message
    assert set(held(url)) == {"r1", "r2", "r3"}  # nothing reported done, nothing done

    with FaultProxy(url, seed=3) as proxy:
        todo = Client(proxy.url, auth=AUTH, retry=quick).bucket("w").collection("todo")
        proxy.inject(Fault.UNAVAILABLE, methods={"POST"}, path_contains="batch", times=1)
        report = todo.sync(wanted, delete=True)
        assert proxy.counts().get("UNAVAILABLE") == 1
    assert len(report.created) == 40 and report.updated == ("r1",)
    assert sorted(report.deleted) == ["r2", "r3"] and report.ok
    assert {i: r["n"] for i, r in held(url).items()} == {w["id"]: w["n"] for w in wanted}


def test_sync_the_workspace_then_review_and_sign(
        kinto_fresh_rs_server: RemoteSettingsServer) -> None:
    server = kinto_fresh_rs_server
    server.publish("regions", [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}])
    editor = Client(server.url, auth=("rs-editor", "rs-editor-password"))
    workspace = editor.bucket(server.source).collection("regions")
    wanted = [{"id": "fr", "name": "la France"}, {"id": "it", "name": "Italy"}]
    report = workspace.sync(wanted, delete=True)
    assert (report.created, report.updated, report.deleted) == (("it",), ("fr",), ("de",))
    assert workspace.request_review("regions from the source of truth").status == "to-review"
    reviewer = Client(server.url, auth=("rs-reviewer", "rs-reviewer-password"))
    assert reviewer.bucket(server.source).collection("regions").approve().status == "signed"
    published = requests.get(f"{server.url}/buckets/{server.destination}/collections/regions/"
                             "changeset?_expected=0", timeout=10).json()
    assert {r["id"]: r["name"] for r in published["changes"]} == {"fr": "la France",
                                                                  "it": "Italy"}
    assert workspace.diff(wanted).in_sync


def test_a_sync_of_a_destination_is_refused_before_any_write(
        kinto_fresh_rs_server: RemoteSettingsServer) -> None:
    server = kinto_fresh_rs_server
    server.publish("regions", [{"id": "fr", "name": "France"}])
    editor = Client(server.url, auth=("rs-editor", "rs-editor-password"))
    destination = editor.bucket(server.destination).collection("regions")
    log = RequestLog(editor)
    with pytest.raises(SignerOwned, match="main-workspace"):
        destination.sync([{"id": "fr", "name": "la France"}])
    assert ("POST", "/batch") not in log.sent
    published = raw_get(server.url, f"/buckets/{server.destination}/collections/regions/records")
    assert [r["name"] for r in published["data"]] == ["France"]


def test_fields_not_compared_are_kept_on_update(any_todo: Collection,
                                               kinto_any_server: str) -> None:
    """kinto-attachment's ``attachment`` (written raw here, as the plugin would) is neither
    compared nor dropped: the update carries the server's value over."""
    url = kinto_any_server
    meta = {"location": "f/1.pdf", "hash": "ab", "size": 3}
    raw_put_record(url, "r1", {**R1, "attachment": meta})
    diff = any_todo.diff([{"id": "r1", **R1}, {"id": "r2", **R2, "n": 1}, {"id": "r3", **R3}])
    assert set(diff.unchanged) == {"r1", "r3"}
    any_todo.sync([{"id": "r1", **R1, "title": "A"}])
    assert own(held(url)["r1"]) == {**R1, "title": "A", "attachment": meta}


def test_sync_on_another_key_keeps_ids_and_makes_new_ones(todo: Collection,
                                                          kinto_fresh_server: str) -> None:
    report = todo.sync([{**R1, "n": 9}, {"title": "z"}], key="title", delete=True)
    assert report.updated == ("r1",) and sorted(report.deleted) == ["r2", "r3"]
    (new_id,) = report.created
    assert new_id is not None and len(new_id) == 36  # a client-made UUID4
    assert {i: own(r) for i, r in held(kinto_fresh_server).items()} == {
        "r1": {**R1, "n": 9}, new_id: {"title": "z"}}
