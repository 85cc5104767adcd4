"""Tests of _queries/listing.py: the builders both sides share, pure (no request)."""

from __future__ import annotations

import pytest

from kinto_query import Client
from kinto_query.aio import AsyncClient


@pytest.mark.parametrize("side", [Client, AsyncClient])
def test_the_same_builders_make_the_same_urls(side: type) -> None:
    todo = side("http://kinto.test/v1").bucket("b").collection("todo")
    query = todo.records().filter(status="done", n__gte=3).exclude(tag="x").sort("-n")[:5]
    assert query.url == ("http://kinto.test/v1/buckets/b/collections/todo/records?"
                         "status=done&min_n=3&not_tag=x&_sort=-n&_limit=5")
    assert query.resume(query.resume_token).url == query.url
    assert todo.records().since(17).params == {"_since": "17"}
