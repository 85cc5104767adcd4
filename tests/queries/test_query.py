"""Tests of _queries/_blocking/query.py: the lazy, immutable query.

Pure tests check exact URLs, immutability and slicing with nothing sent; cassette tests check
that filters mean what was asked against a real Kinto's answers; live tests check what a
cassette cannot show (memory over a many-page scan, 1,000+ pages, a foreign Next-Page).
"""

from __future__ import annotations

import concurrent.futures
import datetime
import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
import requests

from kinto_query import (
    BadRequest,
    Bucket,
    Client,
    Collection,
    Forbidden,
    InvalidQuery,
    NotFound,
    Record,
    RecordQuery,
    Request,
    UnsafeURL,
)

from ..conftest import RequestLog, batch_put, load_records, put

# -- pure -----------------------------------------------------------------------------------------

BASE = "http://localhost:8888/v1/buckets/b/collections/todo/records"


@pytest.fixture
def query(offline_client: Client) -> RecordQuery:
    return offline_client.bucket("b").collection("todo").records()


def test_design_example_url(query: RecordQuery) -> None:
    q = query.filter(status="done").sort("-last_modified").limit(10)
    assert q.url == f"{BASE}?status=done&_sort=-last_modified&_limit=10"
    assert q.params == {"status": "done", "_sort": "-last_modified", "_limit": "10"}
    assert repr(q) == f"<Query {q.url}>"


def test_unfiltered_query_sends_no_limit(query: RecordQuery) -> None:
    # The server's default page (10,000 records) is far cheaper than small pages.
    assert query.url == BASE
    assert query.params == {}


@pytest.mark.parametrize(
    ("build", "querystring"),
    [
        (lambda q: q.filter(priority__gte=3, tags__contains_any=["work"]).exclude(status="done"),
         "min_priority=3&contains_any_tags=%5B%22work%22%5D&not_status=done"),
        (lambda q: q.sort("priority", "-title", "author__name"),
         "_sort=priority,-title,author.name"),
        # Kinto's own comma form, as kinto-http.py users write it.
        (lambda q: q.sort("-priority,id"), "_sort=-priority,id"),
        (lambda q: q.sort("-priority, author.name", "id"), "_sort=-priority,author.name,id"),
        (lambda q: q.fields("title", "author.name"), "_fields=title,author.name"),
        (lambda q: q.limit(10), "_limit=10"),
        (lambda q: q.page_size(50), "_limit=50"),
        (lambda q: q.page_size(10).limit(25), "_limit=10"),
        (lambda q: q.page_size(100).limit(25), "_limit=25"),
        (lambda q: q.since(1500), "_since=1500"),
        (lambda q: q.since('"1500"'), "_since=1500"),
        (lambda q: q.before(1600), "_before=1600"),
        (lambda q: q.filter(title="a&b=c#d+e f"), "title=a%26b%3Dc%23d%2Be%20f"),
        (lambda q: q.filter(title="héllo"), "title=h%C3%A9llo"),
        (lambda q: q.filter(v="1.0"), "v=%221.0%22"),
        (lambda q: q.filter(title__like="mi*k"), "like_title=mi*k"),
        (lambda q: q.filter(n__in=[1, 2]), "in_n=1,2"),
        # has_ goes first: Kinto's memory backend lets it overwrite the filters before it.
        (lambda q: q.filter(n__gte=3, a__has=True, b=1), "has_a=true&min_n=3&b=1"),
        (lambda q: q[:5], "_limit=5"),
        (lambda q: q[10:15], "_limit=15"),
        (lambda q: q.page_size(4)[10:15], "_limit=4"),
        (lambda q: q[0:0], "_limit=1"),
    ],
)
def test_builder_urls(
    query: RecordQuery, build: Callable[[RecordQuery], RecordQuery], querystring: str
) -> None:
    assert build(query).url == f"{BASE}?{querystring}"


def test_url_is_exactly_what_requests_sends(query: RecordQuery) -> None:
    import requests

    q = query.filter(title="a&b=c#d+e f é", v="1.0", n__in=[1, 2], t__like="x*").sort("-n")
    assert requests.Request("GET", q.url).prepare().url == q.url


BUILDERS: list[tuple[str, Callable[[RecordQuery], Any]]] = [
    ("filter", lambda q: q.filter(status="done")),
    ("exclude", lambda q: q.exclude(status="done")),
    ("sort", lambda q: q.sort("-n")),
    ("fields", lambda q: q.fields("title")),
    ("limit", lambda q: q.limit(3)),
    ("page_size", lambda q: q.page_size(3)),
    ("since", lambda q: q.since(1)),
    ("before", lambda q: q.before(1)),
    ("slice", lambda q: q[2:5]),
]


@pytest.mark.parametrize(("name", "build"), BUILDERS, ids=[b[0] for b in BUILDERS])
def test_builders_never_change_the_original(
    query: RecordQuery, name: str, build: Callable[[RecordQuery], Any]
) -> None:
    base = query.filter(priority__gte=1)
    before = (base.url, base.params)
    derived = build(base)
    assert derived is not base
    assert (base.url, base.params) == before
    assert derived.url != base.url


def test_slices_compose(query: RecordQuery) -> None:
    q = query[10:20][2:5]
    assert (q._state.skip, q._state.limit) == (12, 3)
    assert q.params["_limit"] == "15"
    assert query.limit(5)[2:10]._state.limit == 3
    assert query[5:][:3]._state.limit == 3
    assert query.limit(10).limit(20)._state.limit == 10


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda q: q[-1], "index must be an integer >= 0"),
        (lambda q: q[-3:], "slice start must be an integer >= 0"),
        (lambda q: q[:-1], "slice stop must be an integer >= 0"),
        (lambda q: q[::2], "no step"),
        (lambda q: q["a"], "index must be an integer"),
        (lambda q: q[1.5:], "slice start must be an integer"),
        (lambda q: q.limit(-1), r"limit\(\) must be an integer >= 0"),
        (lambda q: q.limit(True), r"limit\(\) must be an integer"),
        (lambda q: q.page_size(0), r"page_size\(\) must be an integer >= 1"),
        (lambda q: q.since("abc"), "timestamp in milliseconds or an ETag"),
        (lambda q: q.before(-5), "timestamp"),
        (lambda q: q.sort("_hidden"), "Kinto's own parameters"),
        (lambda q: q.sort(3), "field names"),
        (lambda q: q.sort("a,"), "a comma too many"),
        (lambda q: q.fields(""), "invalid field name"),
        (lambda q: q.filter(status="a").filter(status="b"), "already filtered"),
        (lambda q: q.filter(n__gt=1).get("x"), "ignores filters"),
        (lambda q: q.limit(3).delete(), "remove limit"),
    ],
)
def test_misuse_raises_before_any_request(
    query: RecordQuery, build: Callable[[RecordQuery], Any], message: str
) -> None:
    with pytest.raises(InvalidQuery, match=message) as caught:
        build(query)
    assert isinstance(caught.value, ValueError)


def test_repr_and_building_send_nothing(query: RecordQuery) -> None:
    # offline_client's session fails the test on any request.
    q = query.filter(status="done").sort("n").fields("t").page_size(5).limit(7)[1:3]
    assert "status=done" in repr(q)
    assert repr(query.filter(n=1)) != repr(query)


def test_empty_slice_sends_nothing(query: RecordQuery) -> None:
    assert list(query[3:3]) == []
    assert list(query.limit(0).pages()) == []


def test_a_query_has_no_truth_value(query: RecordQuery) -> None:
    with pytest.raises(TypeError, match=r"use query.exists\(\)"):
        bool(query)


def test_a_naive_datetime_is_refused(query: RecordQuery) -> None:
    with pytest.raises(InvalidQuery, match="naive datetime"):
        query.since(datetime.datetime(2024, 1, 1))


def test_an_aware_datetime_is_sent_in_milliseconds(query: RecordQuery) -> None:
    moment = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert query.since(moment).params == {"_since": "1704067200000"}


# -- cassettes ------------------------------------------------------------------------------------

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
        ({"in_stock__eq": True}, ["r07"]),
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


def test_fields_on_get(todo: Collection) -> None:
    record = todo.fields("title", "author.name").get("r01")
    assert record.data.to_dict() == {"title": "1.0", "author": {"name": "ann"}}
    assert record.loaded_fields == ("title", "author.name")


def test_fields_on_a_list(todo: Collection) -> None:
    listed = {r.id: r.data.to_dict() for r in todo.filter(status="doing").fields("priority")}
    assert listed == {"r04": {"priority": 2}}


def change_after_checkpoint(kinto_client: Client, todo: Collection) -> int:
    """The collection's timestamp, then r02 deleted and r03 changed."""
    first_page = next(todo.pages())
    assert first_page.timestamp is not None
    checkpoint = first_page.timestamp
    kinto_client.transport.send(Request("DELETE", "/buckets/b/collections/todo/records/r02"))
    put(kinto_client, "/buckets/b/collections/todo/records/r03", {"title": "changed"})
    return checkpoint


def test_since_returns_changes_and_tombstones(kinto_client: Client, todo: Collection) -> None:
    checkpoint = change_after_checkpoint(kinto_client, todo)
    changed = {r.id: r for r in todo.since(checkpoint)}
    assert set(changed) == {"r02", "r03"}
    assert changed["r02"].deleted and changed["r02"].data.to_dict() == {}
    assert not changed["r03"].deleted and changed["r03"].data.title == "changed"


def test_before_is_strict(kinto_client: Client, todo: Collection) -> None:
    checkpoint = change_after_checkpoint(kinto_client, todo)
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


def test_iteration_follows_pages(todo: Collection, request_log: RequestLog) -> None:
    assert [r.id for r in todo.sort("id").page_size(3)] == [f"r0{i}" for i in range(1, 9)]
    assert len(request_log.sent) == 3


def test_limit_stops_early(todo: Collection, request_log: RequestLog) -> None:
    got = [r.id for r in todo.sort("id").page_size(3).limit(7)]
    assert got == ["r01", "r02", "r03", "r04", "r05", "r06", "r07"]
    assert len(request_log.sent) == 3


def test_limit_asks_no_more_than_needed(todo: Collection, request_log: RequestLog) -> None:
    assert [r.id for r in todo.sort("id").limit(2)] == ["r01", "r02"]
    assert request_log.sent == [("GET", "/buckets/b/collections/todo/records?_sort=id&_limit=2")]


def test_slices_and_indexes(todo: Collection, request_log: RequestLog) -> None:
    assert [r.id for r in todo.sort("id")[2:5]] == ["r03", "r04", "r05"]
    assert todo.sort("id")[6].id == "r07"
    assert len(request_log.sent) == 2


def test_count(todo: Collection, request_log: RequestLog) -> None:
    assert todo.count() == 8
    assert todo.filter(status="done").count() == 4
    assert todo.filter(status="done")[1:].count() == 3
    assert request_log.sent[1] == ("HEAD", "/buckets/b/collections/todo/records?status=done")


def test_exists(todo: Collection, request_log: RequestLog) -> None:
    assert todo.filter(status="todo").exists() is True
    assert todo.filter(status="nope").exists() is False
    assert request_log.sent[-1][1].endswith("?status=nope&_limit=1")


def test_first(todo: Collection) -> None:
    first = todo.filter(status="done").sort("-priority").first()
    assert first is not None and first.id == "r03"
    assert todo.filter(status="nope").first() is None


def test_get(todo: Collection) -> None:
    assert todo.get("r05").data.title == '"quoted"'


def test_filtered_delete_follows_pages(todo: Collection, request_log: RequestLog) -> None:
    assert todo.filter(status__in=["done", "todo"]).page_size(2).delete() == 7
    deletes = [sent for sent in request_log.sent if sent[0] == "DELETE"]
    assert len(deletes) == 4  # Kinto deletes one page per call
    assert ids(todo) == ["r04"]


def test_listing_a_missing_collection(kinto_client: Client, todo: Collection) -> None:
    with pytest.raises(NotFound, match="collection 'missing' not found"):
        list(kinto_client.bucket("b").collection("missing"))


def test_get_of_a_missing_record(todo: Collection) -> None:
    with pytest.raises(NotFound, match="record 'r99' not found"):
        todo.get("r99")


def test_filter_the_server_refuses(todo: Collection) -> None:
    with pytest.raises(BadRequest, match="in_id"):
        list(todo.filter(id__in=[1, 2]))


def test_forbidden_bucket(kinto_recorder: Any, todo: Collection) -> None:
    bob = kinto_recorder.client(auth=("bob", "hunter22"))
    with pytest.raises(Forbidden):
        list(bob.bucket("b").collection("todo"))


# -- live -----------------------------------------------------------------------------------------

RECORDS_PATH = "/buckets/live/collections/{}/records"


@pytest.fixture
def live_client(kinto_fresh_server: str) -> Client:
    client = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    put(client, "/buckets/live")
    return client


def test_memory_stays_near_one_page(live_client: Client) -> None:
    put(live_client, "/buckets/live/collections/big")
    padding = "x" * 1000
    batch_put(
        live_client,
        RECORDS_PATH.format("big"),
        ({"id": f"r{i:05d}", "n": i, "body": padding} for i in range(3000)),
    )
    query = live_client.bucket("live").collection("big").sort("n").page_size(200)

    def peak(run: Callable[[], object]) -> int:
        gc.collect()
        tracemalloc.start()
        run()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    seen: list[int] = []

    def stream() -> None:
        for expected, record in enumerate(query):
            assert record.data.n == expected
            seen.append(1)

    one_page = peak(lambda: list(query.limit(200)))
    streamed = peak(stream)
    whole = peak(lambda: list(query))
    assert len(seen) == 3000
    print(f"\npeaks: one page {one_page / 1e6:.2f} MB, streaming 15 pages {streamed / 1e6:.2f} MB,"
          f" holding all {whole / 1e6:.2f} MB")
    assert streamed < 1.5 * one_page
    assert streamed < whole / 3


def test_a_thousand_pages_in_order(live_client: Client) -> None:
    put(live_client, "/buckets/live/collections/many")
    batch_put(live_client, RECORDS_PATH.format("many"), ({"id": f"m{i:04d}", "n": i}
                                                         for i in range(1050)))
    query = live_client.bucket("live").collection("many").sort("n").page_size(1)
    pages = 0
    previous = -1
    for page in query.pages():
        pages += 1
        (record,) = page.items
        assert record.data.n == previous + 1
        previous = record.data.n
    assert (pages, previous) == (1050, 1049)


def test_request_counts_of_limit_and_page_size(live_client: Client) -> None:
    # The request counts, on a larger collection.
    put(live_client, "/buckets/live/collections/many")
    batch_put(live_client, RECORDS_PATH.format("many"), ({"id": f"m{i:04d}", "n": i}
                                                         for i in range(60)))
    log = RequestLog(live_client)
    many = live_client.bucket("live").collection("many")
    assert [r.data.n for r in many.sort("n").page_size(10).limit(25)] == list(range(25))
    assert len(log.sent) == 3
    log.clear()
    assert len(list(many.sort("n").limit(10))) == 10
    assert log.sent == [("GET", "/buckets/live/collections/many/records?_sort=n&_limit=10")]


def test_next_page_on_another_host_is_not_followed(live_client: Client, kinto_server: str) -> None:
    # Kinto builds Next-Page from the Host header it received: a real server, told it is
    # "elsewhere.example", sends a Next-Page pointing there (as a proxy misconfiguration would).
    put(live_client, "/buckets/live/collections/two")
    batch_put(live_client, RECORDS_PATH.format("two"), ({"id": f"t{i}"} for i in range(2)))
    fooled = Client(kinto_server, auth=("alice", "s3cret"), headers={"Host": "elsewhere.example"})
    pages = fooled.bucket("live").collection("two").page_size(1).pages()
    first = next(pages)
    assert first.next_page is not None and first.next_page.startswith("http://elsewhere.example/")
    with pytest.raises(UnsafeURL, match="would send your credentials elsewhere"):
        next(pages)


# -- partition: k disjoint queries, together the whole -----------------------------------------


def test_partition_refuses_what_it_cannot_split(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("c")
    with pytest.raises(InvalidQuery, match="whole query"):
        todo.limit(10).partition(2)
    with pytest.raises(InvalidQuery, match="since\\(\\) and before\\(\\)"):
        todo.filter(last_modified__gte=5).partition(2)
    with pytest.raises(InvalidQuery, match="partition\\(\\)"):
        todo.partition(0)


def test_partition_into_one_is_the_query_itself_without_a_request(
        offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("c").filter(n=1)
    (part,) = todo.partition(1)  # offline_client's session refuses any request
    assert part.url == todo.url


def test_partitions_are_disjoint_and_together_the_whole(kinto_any_server: str) -> None:
    client = Client(kinto_any_server, auth=("alice", "s3cret"))
    todo = Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, "/buckets/b/collections/c/records",
              ({"id": f"r{i:03d}", "n": i % 3} for i in range(300)))
    todo.delete_records([f"r{i:03d}" for i in range(0, 300, 30)])  # tombstones inside ranges
    query = todo.filter(n__in=[0, 1])
    expected = {r.id for r in query}
    parts = query.partition(4)
    assert len(parts) == 4
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda part: [r.id for r in part], parts))
    assert sum(len(ids) for ids in found) == len(expected)  # disjoint: nothing twice
    assert set().union(*found) == expected  # together: everything, no tombstone
    assert all(ids for ids in found)


def test_partitions_leave_out_the_tombstones_their_ranges_bring(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    todo = Bucket("b", client=client, create=True).create_collection("c")
    path = "/buckets/b/collections/c/records"
    batch_put(client, path, ({"id": f"r{i:03d}"} for i in range(90)))
    todo.delete_records([f"r{i:03d}" for i in range(0, 90, 9)])
    batch_put(client, path, ({"id": f"s{i:03d}"} for i in range(30)))  # tombstones now inside
    parts = todo.partition(3)
    raw = [requests.get(part.url, auth=("alice", "s3cret"), timeout=10).json()["data"]
           for part in parts]
    assert sum(1 for page in raw for obj in page if obj.get("deleted")) == 10  # what Kinto
    # sends for these ranges (all on one page each here)...
    found = [r for part in parts for r in part]
    assert not any(r.deleted for r in found)  # ...and what the parts hand out
    assert sorted(r.id for r in found) == sorted(r.id for r in todo)


def test_partition_of_an_empty_query_is_itself(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    todo = Bucket("b", client=client, create=True).create_collection("c")
    parts = todo.partition(3)
    assert len(parts) == 1 and list(parts[0]) == []


# -- dicts(): the plain JSON objects -----------------------------------------------------------


def test_dicts_is_the_same_request(query: RecordQuery) -> None:
    q = query.filter(status="done").sort("-title").fields("title").limit(3)
    assert q.dicts().url == q.url
    assert q.dicts()[:2].url == q[:2].url  # still a lazy query: slicing, builders


def test_dicts_hand_out_what_the_server_sent(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    todo = Bucket("b", client=client, create=True).create_collection("c")
    path = "/buckets/b/collections/c/records"
    batch_put(client, path, ({"id": f"r{i:03d}", "n": i, "tags": ["x"]} for i in range(30)))
    todo.delete_records(["r005"])
    raw = requests.get(kinto_fresh_server + path + "?_sort=id", auth=("alice", "s3cret"),
                       timeout=10).json()["data"]
    assert list(todo.sort("id").page_size(7).dicts()) == raw  # paged, exactly as sent
    assert todo.dicts().get("r003") == next(obj for obj in raw if obj["id"] == "r003")
    assert [obj["n"] for obj in todo.filter(n__gte=27).sort("n").fields("n").dicts()] == [
        27, 28, 29]
    since = raw[0]["last_modified"]
    changes = list(todo.since(since).dicts())
    assert {"id": "r005", "deleted": True} in [
        {k: v for k, v in obj.items() if k != "last_modified"} for obj in changes]
