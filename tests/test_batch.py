"""Tests of _batch.py: bulk writes through POST /batch, chunk by chunk, and their reports."""

from __future__ import annotations

from typing import Any

import pytest

from kinto_query import BatchError, BatchReport, Client, Collection, ItemFailure, Request
from kinto_query._batch import BatchItem, send_batch

from .conftest import Answer, scripted_client

PATH = "/buckets/b/collections/todo/records"

# -- the report's wording ------------------------------------------------------------------------


def report_of(succeeded: int, **failures: list[ItemFailure]) -> BatchReport:
    report = BatchReport()
    report.succeeded.extend(f"ok{i}" for i in range(succeeded))
    for kind, items in failures.items():
        getattr(report, kind).extend(items)
    return report


def failure(item_id: str, status: int, message: str) -> ItemFailure:
    return ItemFailure(0, item_id, status, message)


def test_summary_of_a_report_without_failures() -> None:
    report = report_of(3)
    assert report.ok
    assert report.summary() == "3 of 3 succeeded"
    assert repr(report) == "<BatchReport 3 of 3 succeeded>"


def test_summary_shows_the_message_all_failures_of_a_kind_share() -> None:
    report = report_of(1, failed=[failure("a", 404, "collection 'x' not found"),
                                  failure("b", 404, "collection 'x' not found")])
    assert report.summary() == (
        "1 of 3 succeeded; 2 failed ['a', 'b'] (collection 'x' not found)"
    )


def test_summary_shows_no_message_when_failures_differ() -> None:
    report = report_of(0, failed=[failure("a", 400, "bad title"), failure("b", 400, "bad n")])
    assert report.summary() == "0 of 2 succeeded; 2 failed ['a', 'b']"


def test_summary_lists_each_kind_with_its_own_message() -> None:
    report = report_of(
        2,
        conflicts=[failure("c", 412, "modified meanwhile")],
        missing=[failure("m1", 404, "record 'm1' not found"),
                 failure("m2", 404, "record 'm2' not found")],
    )
    assert report.summary() == (
        "2 of 5 succeeded; 1 conflict ['c'] (modified meanwhile); 2 missing ['m1', 'm2']"
    )


def test_summary_shows_five_ids_at_most() -> None:
    report = report_of(0, failed=[failure(f"f{i}", 500, "boom") for i in range(7)])
    assert report.summary() == (
        "0 of 7 succeeded; 7 failed ['f0', 'f1', 'f2', 'f3', 'f4', '...'] (boom)"
    )


def test_batch_error_reads_as_the_summary() -> None:
    report = report_of(1, conflicts=[failure("c", 412, "modified meanwhile")])
    error = BatchError(report)
    assert str(error) == report.summary()
    assert error.report is report


def test_batch_item_kind_is_named_by_its_path() -> None:
    assert BatchItem(Request("PUT", f"{PATH}/r1"), "r1").kind == "record"
    assert BatchItem(Request("PUT", "/buckets/b/groups/g"), "g").kind == "group"


# -- send_batch, scripted (no HTTP) -------------------------------------------------------------


def answer_everything(request: Request) -> Answer:
    if request.path == "/batch":
        return 200, {"responses": [
            {"status": 200, "path": r["path"], "headers": {},
             "body": {"data": {"id": r["path"].rsplit("/", 1)[-1]}}}
            for r in request.body["requests"]
        ]}
    return 200, {"data": {"id": request.path.rsplit("/", 1)[-1]}}


def put_item(record_id: str) -> BatchItem:
    return BatchItem(Request("PUT", f"{PATH}/{record_id}", {"data": {}}), record_id)


def json_patch_item(record_id: str) -> BatchItem:
    body = [{"op": "remove", "path": "/data/n"}]
    headers = {"Content-Type": "application/json-patch+json"}
    return BatchItem(Request("PATCH", f"{PATH}/{record_id}", body, headers), record_id)


def test_a_json_patch_item_is_sent_alone_at_its_place() -> None:
    _, transport = scripted_client(answer_everything)
    items = [put_item("a"), put_item("b"), json_patch_item("c"), put_item("d"), put_item("e")]
    report = send_batch(transport, items, chunk_size=25)
    sent = [(r.method, r.path) for r in transport.sent]
    assert sent == [("POST", "/batch"), ("PATCH", f"{PATH}/c"), ("POST", "/batch")]
    assert [[s["path"] for s in r.body["requests"]] for r in transport.sent if r.path == "/batch"
            ] == [[f"{PATH}/a", f"{PATH}/b"], [f"{PATH}/d", f"{PATH}/e"]]
    assert report.succeeded == ["a", "b", "c", "d", "e"]
    assert report.requests_sent == 3


def test_a_json_patch_item_that_fails_is_reported_at_its_index() -> None:
    def answer(request: Request) -> Answer:
        if request.method == "PATCH":
            return 412, {"errno": 114, "message": "modified meanwhile",
                         "details": {"existing": {"id": "c", "n": 1}}}
        return answer_everything(request)

    _, transport = scripted_client(answer)
    report = send_batch(transport, [put_item("a"), json_patch_item("c")], chunk_size=25)
    (conflict,) = report.conflicts
    assert (conflict.index, conflict.id, conflict.existing) == (1, "c", {"id": "c", "n": 1})
    assert report.succeeded == ["a"]


def test_chunks_hold_at_most_chunk_size_items() -> None:
    _, transport = scripted_client(answer_everything)
    report = send_batch(transport, (put_item(f"r{i}") for i in range(7)), chunk_size=3)
    assert [len(r.body["requests"]) for r in transport.sent] == [3, 3, 1]
    assert report.ok and report.total == 7


def test_on_success_receives_the_answer_body() -> None:
    _, transport = scripted_client(answer_everything)
    received: list[dict[str, Any]] = []
    item = BatchItem(Request("PUT", f"{PATH}/a", {"data": {}}), "a", received.append)
    send_batch(transport, [item], chunk_size=25)
    assert received == [{"data": {"id": "a"}}]


# -- live -----------------------------------------------------------------------------------------


def test_a_chunk_the_server_fails_is_never_reported_saved(team_todo: Collection) -> None:
    # A real 500: the memory backend fails on this like_ pattern (it builds a regex from it),
    # and answers the whole batch 500. Its earlier write may already be applied (the memory
    # backend has no transaction); on the retry it answers 412, and nothing is called saved.
    todo = team_todo
    todo.create_record({"id": "x", "title": "t"})
    path = "/buckets/live/collections/todo/records"
    items = [
        BatchItem(Request("PUT", f"{path}/new1", {"data": {}}, {"If-None-Match": "*"}), "new1"),
        BatchItem(Request("GET", f"{path}?like_title=("), "bad"),
    ]
    report = send_batch(todo.transport, items)
    assert report.succeeded == []
    assert [(f.id, f.status) for f in report.failed] == [("new1", 500), ("bad", 500)]
    assert "rolled back (tried twice)" in report.failed[0].message
    assert report.requests_sent == 2


def test_batch_error_names_missing_collection(todo: Collection, alice: Client) -> None:
    """create_records() into a missing collection says which collection was not found."""
    with pytest.raises(BatchError) as caught:
        alice.bucket("w").collection("nope").create_records([{"id": "x"}])
    message = str(caught.value)
    assert "collection 'nope'" in message
    assert "not found" in message
