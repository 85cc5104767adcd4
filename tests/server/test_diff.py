"""Tests of _server/diff.py: what turns the records a collection holds into a list (pure)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from kinto_query import InvalidId, InvalidRecords, RecordsDiff, diff_records


def test_server_fields_and_order_are_not_differences() -> None:
    current = [{"id": "a", "last_modified": 10, "schema": 5, "n": 1, "tags": ["x"]},
               {"id": "b", "last_modified": 11, "attachment": {"location": "f"}, "t": "b"}]
    wanted = [{"t": "b", "id": "b"}, {"tags": ["x"], "n": 1, "id": "a", "last_modified": 99}]
    diff = diff_records(current, wanted)
    assert diff.unchanged == ("a", "b") and diff.in_sync
    assert diff.counts == {"create": 0, "update": 0, "delete": 0, "unchanged": 2}


def test_ignore_empty_compares_schema_and_attachment() -> None:
    diff = diff_records([{"id": "a", "last_modified": 1, "schema": 5}], [{"id": "a"}], ignore=())
    assert [(c.id, c.changed, c.last_modified) for c in diff.to_update] == [("a", ("schema",), 1)]


def test_creates_updates_deletes_with_nested_paths() -> None:
    current = [{"id": "a", "last_modified": 1, "author": {"name": "ann", "age": 3}, "n": 1},
               {"id": "b", "last_modified": 2, "n": 2},
               {"id": "gone", "deleted": True, "last_modified": 3}]
    wanted = [{"id": "a", "author": {"name": "bob", "age": 3}, "n": 1.0},
              {"id": "b", "n": 2}, {"id": "c", "n": 3}]
    diff = diff_records(current, wanted)
    assert [r["id"] for r in diff.to_create] == ["c"]
    assert [(c.id, c.changed) for c in diff.to_update] == [("a", ("author.name", "n"))]
    assert diff.to_update[0].current["last_modified"] == 1
    assert diff.to_delete == () and diff.unchanged == ("b",)  # the tombstone is skipped
    assert str(diff).splitlines() == ["1 to create, 1 to update, 0 to delete, 1 unchanged",
                                      "+ c", "~ a: author.name, n"]


def test_values_compare_as_the_json_the_server_stores() -> None:
    current = [{"id": "a", "last_modified": 1, "day": "2024-01-02", "flag": 1}]
    diff = diff_records(current, [{"id": "a", "day": datetime.date(2024, 1, 2), "flag": True}])
    assert [c.changed for c in diff.to_update] == [("flag",)]


def test_duplicate_ids_in_the_list_are_refused() -> None:
    with pytest.raises(InvalidRecords, match=r'two records with id "r1" \(records 0 and 2\)'):
        diff_records([], [{"id": "r1"}, {"id": "r2"}, {"id": "r1", "n": 1}])


def test_a_record_without_id_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidRecords, match=r"record 1 of the list has no 'id'.*key="):
        diff_records([], [{"id": "r1"}, {"title": "no id"}])
    with pytest.raises(InvalidId):
        diff_records([], [{"id": "a.b"}])


def test_the_current_side_is_read_once_as_it_streams() -> None:
    seen: list[str] = []

    def pages() -> Iterator[dict[str, Any]]:
        for i in range(3):
            seen.append(f"r{i}")
            yield {"id": f"r{i}", "last_modified": i}

    diff = diff_records(pages(), [{"id": "r1"}])
    assert seen == ["r0", "r1", "r2"]
    assert [r["id"] for r in diff.to_delete] == ["r0", "r2"] and diff.unchanged == ("r1",)


def test_key_matches_on_another_field() -> None:
    current = [{"id": "x1", "last_modified": 1, "name": "fr", "label": "France"},
               {"id": "x2", "last_modified": 2, "name": "de", "label": "Germany"},
               {"id": "x3", "last_modified": 3, "label": "no name"}]
    wanted = [{"name": "fr", "label": "la France"}, {"name": "de", "label": "Germany"},
              {"name": "it", "label": "Italy"}]
    diff = diff_records(current, wanted, key="name")
    assert [(c.id, c.changed) for c in diff.to_update] == [("x1", ("label",))]
    assert diff.to_create == ({"name": "it", "label": "Italy"},)
    assert [r["id"] for r in diff.to_delete] == ["x3"] and diff.unchanged == ("x2",)
    assert '+ name="it"' in str(diff)


def test_key_refuses_ambiguity() -> None:
    with pytest.raises(InvalidRecords, match=r"the collection holds two records with name \"fr\""):
        diff_records([{"id": "a", "name": "fr"}, {"id": "b", "name": "fr"}], [{"name": "fr"}],
                     key="name")
    with pytest.raises(InvalidRecords, match="has id 'z' in the list but 'a' in the collection"):
        diff_records([{"id": "a", "name": "fr"}], [{"id": "z", "name": "fr"}], key="name")
    with pytest.raises(InvalidRecords, match="give each record a 'name' field"):
        diff_records([], [{"id": "a"}], key="name")
    with pytest.raises(ValueError, match="not compared"):
        diff_records([], [], key="last_modified")


def test_describe_limits_each_kind() -> None:
    diff = diff_records([], [{"id": f"r{i:02d}"} for i in range(12)])
    text = diff.describe(limit=2)
    assert text.splitlines() == ["12 to create, 0 to update, 0 to delete, 0 unchanged",
                                 "+ r00", "+ r01", "+ ... and 10 more"]
    assert len(diff.describe(limit=None).splitlines()) == 13
    assert repr(diff) == "<RecordsDiff 12 to create, 0 to update, 0 to delete, 0 unchanged>"
    assert isinstance(diff, RecordsDiff)


def test_a_sync_report_files_each_write_under_its_action() -> None:
    from kinto_query import BatchReport, Request, SyncReport
    from kinto_query._report import BatchItem

    diff = diff_records([{"id": "a", "last_modified": 1}, {"id": "b", "last_modified": 2}],
                        [{"id": "a", "n": 1}, {"id": "c"}])
    writes = BatchReport()
    path = "/buckets/w/collections/c/records/"
    writes.answer(0, BatchItem(Request("PUT", path + "c"), "c"), 201, {})
    writes.answer(1, BatchItem(Request("PUT", path + "a"), "a"), 412,
                  {"details": {"existing": {"id": "a", "n": 5}}})
    writes.answer(2, BatchItem(Request("DELETE", path + "b"), "b"), 200, {})
    report = SyncReport.of(diff, writes, deleting=True)
    assert (report.created, report.updated, report.deleted) == (("c",), (), ("b",))
    assert report.summary().startswith("created 1, updated 0, deleted 1, unchanged 0; "
                                       "1 conflict ['a']")


@pytest.mark.parametrize("wanted", [5, None, "r1", {"id": "r1"}])
def test_what_is_not_a_list_of_records_is_refused_before_anything(wanted: Any) -> None:
    # One record or no list at all: iterating it would give its keys or characters.
    with pytest.raises(InvalidRecords, match=r"must be a list \(any iterable\) of records, not"):
        diff_records([], wanted)
