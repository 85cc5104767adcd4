"""Tests of _objects/bulk.py: the pure part of bulk writes (chunk sizes, the POST /batch,
answers)."""

from __future__ import annotations

import pytest

from kinto_query import Request, Response
from kinto_query._objects.bulk import (
    DEFAULT_CHUNK_SIZE,
    answers_of,
    batch_of,
    check_concurrency,
    checked_against,
    limit_of,
    size_to_check,
)
from kinto_query.exceptions import InvalidResponse


def test_the_servers_limit_and_the_chunk_size_checked_against_it() -> None:
    assert limit_of({"settings": {"batch_max_requests": 10}}) == 10
    assert limit_of({"settings": {"batch_max_requests": 0}}) == DEFAULT_CHUNK_SIZE
    assert (size_to_check(None), size_to_check(DEFAULT_CHUNK_SIZE),
            size_to_check(DEFAULT_CHUNK_SIZE + 1)) == (True, False, True)
    with pytest.raises(ValueError, match="whole number >= 1"):
        size_to_check(True)  # type: ignore[arg-type]
    assert (checked_against(None, 10), checked_against(5, 10)) == (10, 5)
    with pytest.raises(ValueError, match="above the server's limit of 10"):
        checked_against(11, 10)
    with pytest.raises(ValueError, match="concurrency must be"):
        check_concurrency(0)


def test_the_batch_request_and_its_answers() -> None:
    batch = batch_of([Request("PUT", "/buckets/b", {"data": {}}, {"If-None-Match": "*"}),
                      Request("DELETE", "/buckets/c")])
    assert (batch.method, batch.path) == ("POST", "/batch")
    assert batch.body == {"requests": [
        {"method": "PUT", "path": "/buckets/b", "headers": {"If-None-Match": "*"},
         "body": {"data": {}}},
        {"method": "DELETE", "path": "/buckets/c", "headers": {}}]}
    answer = Response(batch, "http://kinto.test/v1/batch", 200, "OK", {},
                      b'{"responses": [{"status": 201, "body": {"data": {"id": "b"}}},'
                      b' {"status": 404}]}')
    assert answers_of(answer, 2) == [(201, {"data": {"id": "b"}}), (404, None)]
    with pytest.raises(InvalidResponse, match="expected 3 responses"):
        answers_of(answer, 3)
