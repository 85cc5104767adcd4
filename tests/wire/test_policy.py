"""Tests of _wire/policy.py: the transport's decisions on plain values, shared by both sides."""

from __future__ import annotations

import pytest

from kinto_query import Request, Response, Transport
from kinto_query._wire.policy import (
    from_kinto,
    nothing_applied,
    one_object_write,
    please_retry,
    user_agent_header,
)
from kinto_query.aio import AsyncTransport
from kinto_query.exceptions import TooManyRedirects, UnsafeURL


def _answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(Request("POST", "/batch"), "http://kinto.test/v1/batch", status, "",
                    headers or {}, body)


def test_which_error_answers_prove_nothing_was_applied() -> None:
    assert nothing_applied(_answer(429, b""))
    assert nothing_applied(_answer(503, b'{"errno": 201}'))
    assert not nothing_applied(_answer(503, b"<html>gateway</html>"))  # a gateway's: unknown
    retry = _answer(409, b'{"errno": 122}', {"Retry-After": "1"})
    assert please_retry(retry) and nothing_applied(retry)
    assert not please_retry(_answer(409, b'{"errno": 122}'))  # no Retry-After: a conflict
    assert from_kinto(_answer(500, b'{"errno": 999}')) and not from_kinto(_answer(502, b""))


def test_one_object_writes() -> None:
    assert one_object_write(Request("PUT", "/buckets/b/collections/c/records/r"))
    assert not one_object_write(Request("DELETE", "/buckets/b/collections/c/records"))
    assert not one_object_write(Request("POST", "/buckets/b/collections/c/records"))
    assert not one_object_write(Request("GET", "/buckets/b"))


@pytest.mark.parametrize("side", [Transport, AsyncTransport])
def test_origin_and_redirect_decisions_are_the_same_on_both_sides(side: type) -> None:
    transport = side("http://kinto.test/v1")
    assert transport.url("/buckets") == "http://kinto.test/v1/buckets"
    with pytest.raises(UnsafeURL, match=r"not on 'http://kinto\.test/v1'"):
        transport.url("http://elsewhere.test/v1/buckets")
    seen = ["http://kinto.test/v1/x"]
    assert transport._next_hop("GET", seen[0], "http://cdn.test/x", seen) == "http://cdn.test/x"
    with pytest.raises(TooManyRedirects, match="the redirects loop"):
        transport._next_hop("GET", seen[-1], "http://kinto.test/v1/x", seen)


def test_the_user_agent_names_the_wire() -> None:
    assert user_agent_header("app/1", "httpx/0.28").split()[:3] == [
        "app/1", "kinto_query/0.1.0", "httpx/0.28"]
