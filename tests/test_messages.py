"""Tests of _messages.py: requests and responses as values (pure)."""

from __future__ import annotations

import pytest
from requests.structures import CaseInsensitiveDict

from kinto_query import InvalidResponse, Request, Response
from kinto_query._messages import if_match


def answer(content: bytes, content_type: str = "application/json") -> Response:
    headers = CaseInsensitiveDict({"Content-Type": content_type})
    return Response(Request("GET", "/buckets/b"), "http://h.test/v1/buckets/b", 200, "OK",
                    headers, content)


def test_if_match_quotes_the_version() -> None:
    assert if_match(12) == {"If-Match": '"12"'}


@pytest.mark.parametrize(
    ("body", "batchable"),
    [(None, True), ({"data": {}}, True), ([{"op": "remove", "path": "/data/a"}], False)],
)
def test_only_object_bodies_ride_in_a_batch(body: object, batchable: bool) -> None:
    assert Request("PATCH", "/buckets/b", body).batchable() is batchable


def test_a_body_that_is_not_json_is_an_invalid_response() -> None:
    with pytest.raises(InvalidResponse, match=r"expected JSON, got text/html \(6 bytes\)"):
        answer(b"<html>", "text/html").json()
    assert answer(b"<html>", "text/html").json_or_none() is None
    assert answer(b"").json_or_none() is None


def test_json_object_needs_a_data_object() -> None:
    assert answer(b'{"data": {"id": "b"}}').json_object() == {"data": {"id": "b"}}
    with pytest.raises(InvalidResponse, match="no 'data' object"):
        answer(b'{"data": []}').json_object()


def test_data_needs_a_data_member() -> None:
    assert answer(b'{"data": [1]}').data() == [1]
    with pytest.raises(InvalidResponse, match="has no 'data'"):
        answer(b'{"items": []}').data()
