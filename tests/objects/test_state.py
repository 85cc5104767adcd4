"""Tests of _objects/state.py: an object's state and the requests it builds, the same on both sides
(no request sent here)."""

from __future__ import annotations

import pytest

from kinto_query import Client
from kinto_query.aio import AsyncClient
from kinto_query.exceptions import NotLoaded


@pytest.mark.parametrize("side", [Client, AsyncClient])
def test_a_change_builds_one_guarded_save_on_either_side(side: type) -> None:
    todo = side("http://kinto.test/v1").bucket("b").collection("todo")
    record = todo.record({"id": "r1", "title": "a", "last_modified": 7})
    assert record.save_request() is None or record.save_request().method in ("PUT", "PATCH")
    record.data.title = "b"
    request = record.save_request()
    assert request is not None and request.path == "/buckets/b/collections/todo/records/r1"
    assert request.headers.get("If-Match") == '"7"'
    assert request.body["data"]["title"] == "b"


def test_an_unloaded_async_object_says_to_await_load() -> None:
    record = AsyncClient("http://kinto.test/v1").bucket("b").collection("c").record(id="r1")
    with pytest.raises(NotLoaded, match=r"await record\.load\(\)"):
        _ = record.data
