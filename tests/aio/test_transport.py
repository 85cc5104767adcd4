"""The async transport (kinto_query._wire._async.transport), live: what it sends and answers."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from kinto_query import AsyncWire, Outgoing, Request, Response
from kinto_query.aio import AsyncTransport, HttpxWire
from kinto_query.exceptions import KintoConnectionError, NotFound, PreconditionFailed, UnsafeURL

from ..conftest import AUTH, raw_get

pytestmark = pytest.mark.anyio


async def test_a_write_then_its_read_back_over_httpx(kinto_fresh_server: str) -> None:
    async with AsyncTransport(kinto_fresh_server, auth=AUTH) as transport:
        created = await transport.send(Request("PUT", "/buckets/b", {"data": {"n": 1}}))
        read = await transport.send(Request("GET", "/buckets/b"))
    assert created.status == 201
    assert read.json()["data"]["n"] == 1
    assert raw_get(kinto_fresh_server, "/buckets/b")["data"]["n"] == 1  # the server holds it
    assert read.url == f"{kinto_fresh_server}/buckets/b"


async def test_errors_are_the_sync_sides_exceptions(kinto_fresh_server: str) -> None:
    async with AsyncTransport(kinto_fresh_server, auth=AUTH) as transport:
        await transport.send(Request("PUT", "/buckets/b", {"data": {}}))
        with pytest.raises(NotFound, match=r"GET .*/buckets/b/collections/nope -> 404"):
            await transport.send(Request("GET", "/buckets/b/collections/nope"))
        with pytest.raises(PreconditionFailed):
            await transport.send(Request("PUT", "/buckets/b", {"data": {}},
                                         {"If-None-Match": "*"}))


async def test_server_info_is_read_once(kinto_fresh_server: str) -> None:
    sent: list[str] = []

    async def log(request: httpx.Request) -> None:
        sent.append(f"{request.method} {request.url.path}")

    client = httpx.AsyncClient(event_hooks={"request": [log]})
    transport = AsyncTransport(kinto_fresh_server, auth=AUTH, wire=HttpxWire(client))
    first = await transport.server_info()
    again = await transport.server_info()
    await client.aclose()
    assert first is again  # the cached answer, not a second read
    assert first["user"]["id"].startswith("basicauth:")  # alice, as the memory server sees her
    assert sent == ["GET /v1/"]


async def test_credentials_never_leave_the_server_origin(kinto_fresh_server: str) -> None:
    async with AsyncTransport(kinto_fresh_server, auth=AUTH) as transport:
        with pytest.raises(UnsafeURL, match="not on"):
            await transport.send(Request("GET", "http://elsewhere.test/v1/buckets"))


async def test_a_server_that_is_not_there_is_a_connection_error() -> None:
    async with AsyncTransport("http://127.0.0.1:9/v1", retry=None) as transport:
        with pytest.raises(KintoConnectionError, match="cannot reach the server") as caught:
            await transport.send(Request("GET", "/"))
    assert caught.value.never_sent


class _Memory:
    """A wire of our own, answering from memory (what a user's unit test may plug in)."""

    agent = "memory/1"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def exchange(self, out: Outgoing) -> Response:
        self.sent.append(out)
        return Response(**out.response(200, "OK", {"Alert": ""}, None),
                        content=b'{"data": {"id": "b"}}')

    async def sleep(self, policy: Any, seconds: float) -> None:
        raise AssertionError("no retry expected")

    def has_credentials(self) -> bool:
        return False

    async def aclose(self) -> None:
        pass


async def test_a_wire_of_ones_own_needs_no_server() -> None:
    wire = _Memory()
    assert isinstance(wire, AsyncWire)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        transport = AsyncTransport("http://kinto.test/v1", auth=AUTH, wire=wire)
        answer = await transport.send(Request("PATCH", "/buckets/b", {"data": {"x": 1}}))
    assert answer.json()["data"] == {"id": "b"}
    (out,) = wire.sent
    assert (out.url, out.body, out.trusted) == ("http://kinto.test/v1/buckets/b",
                                                b'{"data":{"x":1}}', True)
    assert out.headers["Content-Type"] == "application/json"
    assert out.headers["User-Agent"].split()[:2] == ["kinto_query/0.1.0", "memory/1"]


async def test_a_sync_wire_is_refused_with_a_clear_error() -> None:
    import requests

    from kinto_query import RequestsWire

    with pytest.raises(TypeError, match="must be an async wire"):
        AsyncTransport("http://kinto.test/v1", wire=RequestsWire(requests.Session()))
