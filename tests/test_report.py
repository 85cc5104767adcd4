"""Tests of _report.py: how each item of a bulk write is filed (pure)."""

from __future__ import annotations

from typing import Any

from kinto_query import BatchReport, Request
from kinto_query._report import BatchItem

PATH = "/buckets/b/collections/c/records"


def item(record_id: str, method: str = "PUT", **headers: str) -> BatchItem:
    return BatchItem(Request(method, f"{PATH}/{record_id}", {"data": {}}, headers), record_id)


def not_found(resource_name: str, object_id: str) -> dict[str, Any]:
    return {"code": 404, "errno": 111, "details": {"id": object_id, "resource_name": resource_name}}


def test_a_success_is_filed_and_handed_to_the_item() -> None:
    received: list[dict[str, Any]] = []
    report = BatchReport()
    report.answer(0, BatchItem(Request("PUT", f"{PATH}/a"), "a", received.append), 201,
                  {"data": {"id": "a"}})
    assert report.succeeded == ["a"] and received == [{"data": {"id": "a"}}]
    assert report.ok


def test_a_create_that_met_an_existing_object_is_a_conflict_saying_so() -> None:
    report = BatchReport()
    report.answer(3, item("a", **{"If-None-Match": "*"}), 412,
                  {"errno": 114, "details": {"existing": {"id": "a"}}})
    (conflict,) = report.conflicts
    assert (conflict.index, conflict.existing) == (3, {"id": "a"})
    assert conflict.message.startswith("record 'a' already exists")


def test_a_missing_record_is_missing_but_a_missing_collection_is_a_failure() -> None:
    report = BatchReport()
    report.answer(0, item("a"), 404, not_found("record", "a"))
    report.answer(1, item("b"), 404, not_found("collection", "c"))
    assert [f.id for f in report.missing] == ["a"]
    assert [f.message for f in report.failed] == [
        "collection 'c' not found in bucket 'b' (or the bucket does not exist)"]


def test_missing_ok_accepts_only_the_object_itself_gone() -> None:
    report = BatchReport()
    gone = BatchItem(Request("DELETE", f"{PATH}/a"), "a", missing_ok=True)
    report.answer(0, gone, 404, not_found("record", "a"))
    report.answer(1, gone, 404, not_found("collection", "c"))
    assert report.succeeded == ["a"] and len(report.failed) == 1


def test_the_summary_names_ids_and_the_shared_reason() -> None:
    report = BatchReport()
    report.saved(0, item("a"), None)
    for n in range(7):
        report.lose(n, item(f"u{n}"), "no answer")
    assert report.summary() == (
        "1 of 8 succeeded; 7 unknown ['u0', 'u1', 'u2', 'u3', 'u4', '...'] (no answer)")
    assert not report.ok


def test_succeeded_at_gives_each_succeeded_items_input_position() -> None:
    report = BatchReport()
    item = BatchItem(Request("PUT", "/buckets/b/collections/c/records/a"), "a")
    report.answer(2, item, 200, {})
    report.answer(0, item, 412, {})
    assert report.succeeded_at == [2] and report.succeeded == ["a"]
