"""The async transport (kinto_query._wire._async.transport), live: what it sends and answers."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from kinto_query import AsyncWire, Outgoing, Request, Response
from kinto_query.aio import AsyncStreamedResponse, AsyncTransport, HttpxWire
from kinto_query.exceptions import (
    KintoConnectionError,
    NotFound,
    PreconditionFailed,
    UnsafeURL,
)

from ..conftest import AUTH, raw_get
from .sent import log_of

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


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def test_cassette_send_answers_and_raises_as_live(
    kinto_async_transport: AsyncTransport,
) -> None:
    async with kinto_async_transport as transport:
        sent = log_of(transport)
        created = await transport.send(Request("PUT", "/buckets/b", {"data": {"n": 1}}))
        read = await transport.send(Request("GET", "/buckets/b"))
        with pytest.raises(NotFound, match=r"GET .*/buckets/b/collections/nope -> 404"):
            await transport.send(Request("GET", "/buckets/b/collections/nope"))
        with pytest.raises(PreconditionFailed) as refused:
            await transport.send(Request("PUT", "/buckets/b", {"data": {}},
                                         {"If-None-Match": "*"}))
        wire = transport.wire
    assert created.status == 201 and read.json()["data"]["n"] == 1
    assert read.url == f"{transport.server_url}/buckets/b"
    assert refused.value.response.status == 412
    assert sent == [("PUT", "/buckets/b"), ("GET", "/buckets/b"),
                    ("GET", "/buckets/b/collections/nope"), ("PUT", "/buckets/b")]
    assert isinstance(wire, HttpxWire) and wire.client.is_closed  # async with closed it


async def test_cassette_server_info_is_read_once(kinto_async_transport: AsyncTransport) -> None:
    transport = kinto_async_transport
    sent = log_of(transport)
    first = await transport.server_info()
    again = await transport.server_info()
    await transport.aclose()
    assert first is again
    assert first["user"]["id"].startswith("basicauth:")
    assert sent == [("GET", "/")]


async def test_cassette_read_back_tells_an_applied_write(
    kinto_async_transport: AsyncTransport,
) -> None:
    async with kinto_async_transport as transport:
        write = Request("PUT", "/buckets/b", {"data": {"n": 1}})
        await transport.send(write)
        sent = log_of(transport)
        held = await transport.read_back(write)
        other = await transport.read_back(Request("PUT", "/buckets/b", {"data": {"n": 2}}))
        # A collection: a bucket gone is a 403 to its former owner (Kinto hides which
        # buckets exist), which says nothing.
        await transport.send(Request("PUT", "/buckets/b/collections/c", {"data": {}}))
        await transport.send(Request("DELETE", "/buckets/b/collections/c"))
        gone = await transport.read_back(Request("DELETE", "/buckets/b/collections/c"))
    assert held is not None and held.json()["data"]["n"] == 1  # the server holds n=1
    assert other is None  # n=2 was never applied: the write's own answer stands
    assert gone is not None and (gone.status, gone.json()) == (200, {"data": {}})
    assert sent == [("GET", "/buckets/b"), ("GET", "/buckets/b"),
                    ("PUT", "/buckets/b/collections/c"), ("DELETE", "/buckets/b/collections/c"),
                    ("GET", "/buckets/b/collections/c")]


async def test_cassette_fetch_is_anonymous_and_streams(
    kinto_async_transport: AsyncTransport,
) -> None:
    async with kinto_async_transport as transport:
        root = f"{transport.server_url}/"
        plain = await transport.fetch(root)
        async with await transport.fetch(root, stream=True) as streamed:
            assert isinstance(streamed, AsyncStreamedResponse)
            body = b"".join([piece async for piece in streamed.iter_bytes()])
        mine = await transport.send(Request("GET", "/"), stream=True)
        try:
            assert isinstance(mine, AsyncStreamedResponse)
            mine_body = b"".join([piece async for piece in mine.iter_bytes()])
        finally:
            await mine.aclose()
    # fetch sends no credentials: the server sees nobody; send does.
    assert "user" not in plain.json()
    assert b'"user"' not in body and b'"project_name"' in body
    assert b'"user"' in mine_body
