"""Cassette tests of the query against data recorded from a real Kinto (memory backend)."""

from __future__ import annotations

from typing import Any

import pytest

from kinto_query import BadRequest, Client, Collection, Forbidden, NotFound, Record

from .conftest import RequestLog, load_records, put

TRICKY: list[dict[str, Any]] = [
    {"id": "r01", "title": "1.0", "n": 1.0, "status": "done", "priority": 3,
     "tags": ["work", "home"], "author": {"name": "ann", "age": 30}},
    {"id": "r02", "title": "100", "n": 100, "status": "todo", "priority": 1,
     "tags": ["work"], "author": {"name": "bob", "age": 20}},
    {"id": "r03", "title": "true", "flag": True, "status": "done", "priority": 5,
     "tags": [], "author": {"name": "Ann Lee", "age": 25}},
    {"id": "r04", "title": "null", "n": None, "status": "doing", "priority": 2,
     "tags": ["home"]},
    {"id": "r05", "title": '"quoted"', "status": "done", "priority": 4, "tags": ["1"]},
    {"id": "r06", "title": "a&b=c#d+e f", "status": "todo", "priority": 3, "tags": [1]},
    {"id": "r07", "title": "héllo 漢字", "status": "todo", "priority": 1, "in_stock": True},
    {"id": "r08", "title": "plain", "n": 8, "status": "done", "priority": 2,
     "in_stock": False},
]


@pytest.fixture
def todo(kinto_client: Client) -> Collection:
    load_records(kinto_client, "b", "todo", TRICKY)
    return kinto_client.bucket("b").collection("todo")


def ids(records: Any) -> list[str]:
    return sorted(r.id for r in records)


@pytest.mark.parametrize(
    ("lookups", "expected"),
    [
        ({"title": "1.0"}, ["r01"]),
        ({"title": "100"}, ["r02"]),
        ({"title": "true"}, ["r03"]),
        ({"title": "null"}, ["r04"]),
        ({"title": '"quoted"'}, ["r05"]),
        ({"title": "a&b=c#d+e f"}, ["r06"]),
        ({"title": "héllo 漢字"}, ["r07"]),
        ({"n": 1.0}, ["r01"]),
        ({"n": 100}, ["r02"]),
        ({"n": None}, ["r04"]),
        ({"flag": True}, ["r03"]),
        ({"in_stock": True}, ["r07"]),
        ({"status__eq": "doing"}, ["r04"]),
        ({"status__ne": "done"}, ["r02", "r04", "r06", "r07"]),
        ({"priority__gt": 3}, ["r03", "r05"]),
        ({"priority__gte": 3}, ["r01", "r03", "r05", "r06"]),
        ({"priority__lt": 2}, ["r02", "r07"]),
        ({"priority__lte": 2}, ["r02", "r04", "r07", "r08"]),
        ({"priority__in": [1, 5]}, ["r02", "r03", "r07"]),
        ({"title__in": ["1.0", "100", "true", "plain"]}, ["r01", "r02", "r03", "r08"]),
        ({"status__not_in": ["done", "todo"]}, ["r04"]),
        ({"title__like": "hé*"}, ["r07"]),
        ({"title__like": "LAI"}, ["r08"]),
        ({"author__has": True}, ["r01", "r02", "r03"]),
        ({"author__has": False}, ["r04", "r05", "r06", "r07", "r08"]),
        ({"tags__contains": ["work", "home"]}, ["r01"]),
        ({"tags__contains_any": ["home", "nothing"]}, ["r01", "r04"]),
        ({"tags__contains": ["1"]}, ["r05"]),
        ({"tags__contains": [1]}, ["r06"]),
        ({"author__name": "ann"}, ["r01"]),
        ({"author.name": "ann"}, ["r01"]),
        ({"author__age__gte": 25}, ["r01", "r03", "r04", "r05", "r06", "r07", "r08"]),
        ({"author__age__gte": 25, "author__has": True}, ["r01", "r03"]),
        ({"status": "done", "priority__gte": 3, "tags__contains_any": ["work", "1"]},
         ["r01", "r05"]),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_filters_mean_what_was_asked(
    todo: Collection, lookups: dict[str, Any], expected: list[str]
) -> None:
    # A record without the field counts as greater than any value (see author__age__gte).
    assert ids(todo.filter(**lookups)) == expected


def test_exclude(todo: Collection) -> None:
    assert ids(todo.exclude(status="done")) == ["r02", "r04", "r06", "r07"]
    assert ids(todo.exclude(status__in=["done", "todo"])) == ["r04"]
    assert ids(todo.filter(priority__gte=3).exclude(status="done")) == ["r06"]


def test_records_carry_id_timestamp_and_data(todo: Collection) -> None:
    record = todo.get("r01")
    assert isinstance(record, Record)
    assert record.id == "r01" and isinstance(record.last_modified, int)
    assert record.data.author.name == record.data["author"]["name"] == "ann"
    assert "id" not in record.data and "last_modified" not in record.data
    assert not record.deleted


def test_multi_key_sort(todo: Collection) -> None:
    got = [(r.data.priority, r.data.title) for r in todo.sort("-priority", "title")]
    assert got == sorted(got, key=lambda pair: (-pair[0], pair[1]))
    assert [r.id for r in todo.sort("priority", "-title")][:2] == ["r07", "r02"]


def test_fields(todo: Collection) -> None:
    record = todo.fields("title", "author.name").get("r01")
    assert record.data.to_dict() == {"title": "1.0", "author": {"name": "ann"}}
    listed = {r.id: r.data.to_dict() for r in todo.filter(status="doing").fields("priority")}
    assert listed == {"r04": {"priority": 2}}


def test_since_and_before_with_tombstones(kinto_client: Client, todo: Collection) -> None:
    first_page = next(todo.pages())
    assert first_page.etag is not None
    checkpoint = first_page.etag
    kinto_client._request("DELETE", "/buckets/b/collections/todo/records/r02")
    put(kinto_client, "/buckets/b/collections/todo/records/r03", {"title": "changed"})
    changed = {r.id: r for r in todo.since(checkpoint)}
    assert set(changed) == {"r02", "r03"}
    assert changed["r02"].deleted and changed["r02"].data.to_dict() == {}
    assert not changed["r03"].deleted and changed["r03"].data.title == "changed"
    assert "r03" not in ids(todo.before(checkpoint))
    # _before is strict: the checkpoint is r08's own timestamp.
    assert ids(todo.before(checkpoint)) == ["r01", "r04", "r05", "r06", "r07"]


def test_paging_across_several_pages(todo: Collection, request_log: RequestLog) -> None:
    pages = list(todo.sort("id").page_size(3).pages())
    assert [[r.id for r in p.items] for p in pages] == [
        ["r01", "r02", "r03"], ["r04", "r05", "r06"], ["r07", "r08"]]
    assert [p.next_page is None for p in pages] == [False, False, True]
    assert request_log.sent[0] == ("GET", "/buckets/b/collections/todo/records?_sort=id&_limit=3")
    assert len(request_log.sent) == 3
    assert all("_token=" in path for _, path in request_log.sent[1:])
    request_log.clear()
    assert [r.id for r in todo.sort("id").page_size(3)] == [f"r0{i}" for i in range(1, 9)]
    assert len(request_log.sent) == 3


def test_limit_stops_early(todo: Collection, request_log: RequestLog) -> None:
    got = [r.id for r in todo.sort("id").page_size(3).limit(7)]
    assert got == ["r01", "r02", "r03", "r04", "r05", "r06", "r07"]
    assert len(request_log.sent) == 3
    request_log.clear()
    assert [r.id for r in todo.sort("id").limit(2)] == ["r01", "r02"]
    assert request_log.sent == [("GET", "/buckets/b/collections/todo/records?_sort=id&_limit=2")]
    request_log.clear()
    assert [r.id for r in todo.sort("id")[2:5]] == ["r03", "r04", "r05"]
    assert todo.sort("id")[6].id == "r07"
    assert len(request_log.sent) == 2


def test_count_exists_first_get(todo: Collection, request_log: RequestLog) -> None:
    assert todo.count() == 8
    assert todo.filter(status="done").count() == 4
    assert todo.filter(status="done")[1:].count() == 3
    assert request_log.sent[1] == ("HEAD", "/buckets/b/collections/todo/records?status=done")
    assert todo.filter(status="todo").exists() is True
    assert todo.filter(status="nope").exists() is False
    assert request_log.sent[-1][1].endswith("?status=nope&_limit=1")
    first = todo.filter(status="done").sort("-priority").first()
    assert first is not None and first.id == "r03"
    assert todo.filter(status="nope").first() is None
    assert todo.get("r05").data.title == '"quoted"'


def test_filtered_delete_follows_pages(todo: Collection, request_log: RequestLog) -> None:
    assert todo.filter(status__in=["done", "todo"]).page_size(2).delete() == 7
    deletes = [sent for sent in request_log.sent if sent[0] == "DELETE"]
    assert len(deletes) == 4  # Kinto deletes one page per call
    assert ids(todo) == ["r04"]


def test_errors(kinto_client: Client, todo: Collection) -> None:
    with pytest.raises(NotFound, match="collection 'missing' not found"):
        list(kinto_client.bucket("b").collection("missing"))
    with pytest.raises(NotFound, match="record 'r99' not found"):
        todo.get("r99")
    with pytest.raises(BadRequest, match="in_id"):
        list(todo.filter(id__in=[1, 2]))


def test_forbidden_bucket(kinto_recorder: Any, todo: Collection) -> None:
    bob = kinto_recorder.client(auth=("bob", "hunter22"))
    with pytest.raises(Forbidden):
        list(bob.bucket("b").collection("todo"))
