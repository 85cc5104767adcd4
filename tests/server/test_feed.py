"""Tests of _server/feed.py: the pure helpers of changes and watch."""

from __future__ import annotations

import pytest

from kinto_query import Client, Request, Response
from kinto_query._server.feed import checked_interval, modified_of, parse_etag, since_value
from kinto_query.exceptions import InvalidResponse


def test_the_collection_timestamp_of_an_etag() -> None:
    def answer(etag: str) -> Response:
        return Response(Request("GET", "/r"), "http://kinto.test/v1/r", 200, "OK",
                        {"ETag": etag}, b"")

    assert parse_etag(answer('"1700000000000"')) == 1700000000000
    with pytest.raises(InvalidResponse, match="no collection timestamp in the ETag"):
        parse_etag(answer("W/abc"))


def test_modified_of_a_listed_object_and_since_and_intervals() -> None:
    assert modified_of({"id": "r1", "last_modified": 5}) == 5
    assert modified_of({"id": "r1", "last_modified": True}) is None
    assert modified_of(["not", "an", "object"]) is None
    records = Client("http://kinto.test/v1").bucket("b").collection("c").records()
    assert (since_value(records, None), since_value(records, '"17"')) == (None, 17)
    assert checked_interval(2) == 2.0
    with pytest.raises(ValueError, match="interval must be a number of seconds > 0"):
        checked_interval(0)
