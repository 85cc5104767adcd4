"""Pure tests of the query: exact URLs, immutability, slicing; nothing is ever sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kinto_query import Client, InvalidQuery, RecordQuery

BASE = "http://localhost:8888/v1/buckets/b/collections/todo/records"


@pytest.fixture
def todo(offline_client: Client) -> RecordQuery:
    return offline_client.bucket("b").collection("todo").records()


def test_design_example_url(todo: RecordQuery) -> None:
    q = todo.filter(status="done").sort("-last_modified").limit(10)
    assert q.url == f"{BASE}?status=done&_sort=-last_modified&_limit=10"
    assert q.params == {"status": "done", "_sort": "-last_modified", "_limit": "10"}
    assert repr(q) == f"<Query {q.url}>"


def test_unfiltered_query_sends_no_limit(todo: RecordQuery) -> None:
    # The server's default page (10,000 records) is far cheaper than small pages.
    assert todo.url == BASE
    assert todo.params == {}


@pytest.mark.parametrize(
    ("build", "query"),
    [
        (lambda q: q.filter(priority__gte=3, tags__contains_any=["work"]).exclude(status="done"),
         "min_priority=3&contains_any_tags=%5B%22work%22%5D&not_status=done"),
        (lambda q: q.sort("priority", "-title", "author__name"),
         "_sort=priority,-title,author.name"),
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
    todo: RecordQuery, build: Callable[[RecordQuery], RecordQuery], query: str
) -> None:
    assert build(todo).url == f"{BASE}?{query}"


def test_url_is_exactly_what_requests_sends(todo: RecordQuery) -> None:
    import requests

    q = todo.filter(title="a&b=c#d+e f é", v="1.0", n__in=[1, 2], t__like="x*").sort("-n")
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
    todo: RecordQuery, name: str, build: Callable[[RecordQuery], Any]
) -> None:
    base = todo.filter(priority__gte=1)
    before = (base.url, base.params)
    derived = build(base)
    assert derived is not base
    assert (base.url, base.params) == before
    assert derived.url != base.url


def test_collection_handle_is_the_unfiltered_query(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    assert todo.records().url == BASE
    assert todo.filter(status="done").url == f"{BASE}?status=done"
    assert todo.exclude(status="done").url == f"{BASE}?not_status=done"
    assert todo.sort("n").url == f"{BASE}?_sort=n"
    assert todo.fields("n").url == f"{BASE}?_fields=n"
    assert todo.limit(2).url == todo[:2].url == f"{BASE}?_limit=2"
    assert todo.page_size(2).url == f"{BASE}?_limit=2"
    assert todo.since(5).url == f"{BASE}?_since=5"
    assert todo.before(5).url == f"{BASE}?_before=5"


def test_slices_compose(todo: RecordQuery) -> None:
    q = todo[10:20][2:5]
    assert (q._state.skip, q._state.limit) == (12, 3)
    assert q.params["_limit"] == "15"
    assert todo.limit(5)[2:10]._state.limit == 3
    assert todo[5:][:3]._state.limit == 3
    assert todo.limit(10).limit(20)._state.limit == 10


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
        (lambda q: q.fields(""), "invalid field name"),
        (lambda q: q.filter(status="a").filter(status="b"), "already filtered"),
        (lambda q: q.filter(n__gt=1).get("x"), "ignores filters"),
        (lambda q: q.limit(3).delete(), "remove limit"),
    ],
)
def test_misuse_raises_before_any_request(
    todo: RecordQuery, build: Callable[[RecordQuery], Any], message: str
) -> None:
    with pytest.raises(InvalidQuery, match=message) as caught:
        build(todo)
    assert isinstance(caught.value, ValueError)


def test_repr_and_building_send_nothing(todo: RecordQuery) -> None:
    # offline_client's session fails the test on any request.
    q = todo.filter(status="done").sort("n").fields("t").page_size(5).limit(7)[1:3]
    assert "status=done" in repr(q)
    assert repr(todo.filter(n=1)) != repr(todo)


def test_empty_slice_sends_nothing(todo: RecordQuery) -> None:
    assert list(todo[3:3]) == []
    assert list(todo.limit(0).pages()) == []
