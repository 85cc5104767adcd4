"""Tests of _server/replication.py: the report of a replication and how a window is filed."""

from __future__ import annotations

import pytest

from kinto_query import Client, Request
from kinto_query._report import BatchItem, BatchReport
from kinto_query._server.replication import Change, ReplicationReport, check_pair, file_window


def test_a_window_counts_in_order_and_the_timestamp_stops_at_a_failure() -> None:
    window = [Change(BatchItem(Request("PUT", f"/r/{n}"), f"r{n}"), 10 + n, n == 2)
              for n in range(4)]
    batch = BatchReport()
    batch.succeeded.extend(["r0", "r2", "r3"])
    batch.created.append("r0")
    report = ReplicationReport(read=4)
    file_window(window, batch, 100, report)
    assert (report.created, report.updated, report.deleted) == (1, 1, 1)
    assert report.timestamp == 10  # r1 failed: going on from r0 misses nothing
    assert [(f.index, f.id, f.message) for f in report.failed] == [(101, "r1", "not sent")]
    assert not report.ok and "stopped (incomplete): resume with since=10" in report.summary()


def test_replicating_a_collection_onto_itself_is_refused() -> None:
    from kinto_query import Collection

    todo = Client("http://kinto.test/v1").bucket("b").collection("todo")
    with pytest.raises(ValueError, match="the same collection"):
        check_pair(todo, todo, Collection)
    with pytest.raises(TypeError, match="copies a Collection into a Collection"):
        check_pair(todo, "b/todo", Collection)
