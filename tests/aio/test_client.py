"""Tests of the async client (_objects/_async/client.py, kinto_query.aio) against a real Kinto."""

from __future__ import annotations

import httpx
import pytest

import kinto_query.aio
from kinto_query.aio import AsyncBucket, AsyncClient, HttpxWire

from ..conftest import AUTH, raw_get
from .sent import log_of

pytestmark = pytest.mark.anyio


def test_the_async_api_is_one_module() -> None:
    assert {"AsyncClient", "AsyncBucket", "AsyncCollection", "AsyncGroup", "AsyncRecord",
            "AsyncQuery", "AsyncTransport", "NotLoaded"} <= set(kinto_query.aio.__all__)
    assert set(kinto_query.aio.__all__) <= set(dir(kinto_query.aio))


def test_a_client_makes_handles_without_a_request() -> None:
    client = AsyncClient("http://localhost:8888/v1", auth=("alice", "s3cret"))
    assert repr(client).startswith("<AsyncClient 'http://localhost:8888/v1', auth=")
    assert "s3cret" not in repr(client)
    bucket = client.bucket("b")
    assert isinstance(bucket, AsyncBucket) and bucket.transport is client.transport
    assert repr(bucket.collection("todo")) == "<AsyncCollection '/buckets/b/collections/todo'>"
    assert client.buckets().sort("id").url == "http://localhost:8888/v1/buckets?_sort=id"
    assert client.server_url == "http://localhost:8888/v1"
    assert client.config.server_url == client.server_url


async def test_server_info_and_buckets(kinto_fresh_server: str) -> None:
    async with AsyncClient(kinto_fresh_server, auth=AUTH) as client:
        info = await client.server_info()
        assert info["url"] == raw_get(kinto_fresh_server, "/")["url"]
        assert info["user"]["id"].startswith("basicauth:")
        for bucket_id in ("b2", "b1"):
            await client.bucket(bucket_id).create()
        listed = [bucket async for bucket in client.buckets().sort("id")]
        assert [bucket.id for bucket in listed] == ["b1", "b2"]
        assert all(isinstance(bucket, AsyncBucket) for bucket in listed)
        assert listed[0].last_modified == raw_get(kinto_fresh_server, "/buckets/b1")["data"][
            "last_modified"]


async def test_a_bucket_with_its_own_connection(kinto_fresh_server: str) -> None:
    bucket = AsyncBucket("own", server_url=kinto_fresh_server, auth=AUTH)
    try:
        await bucket.create(exist_ok=True)
        assert raw_get(kinto_fresh_server, "/buckets/own")["data"]["id"] == "own"
    finally:
        await bucket.transport.aclose()


async def test_async_with_closes_the_http_client_it_made(kinto_fresh_server: str) -> None:
    async with AsyncClient(kinto_fresh_server, auth=AUTH) as client:
        await client.server_info()
        wire = client.transport.wire
    assert isinstance(wire, HttpxWire) and wire.client.is_closed


async def test_an_injected_http_client_stays_open(kinto_fresh_server: str) -> None:
    async with httpx.AsyncClient() as own:
        async with AsyncClient(kinto_fresh_server, auth=AUTH, wire=HttpxWire(own)) as client:
            await client.bucket("b").create()
        assert not own.is_closed  # the caller's to close
        assert raw_get(kinto_fresh_server, "/buckets/b")["data"]["id"] == "b"


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def test_cassette_server_info_is_read_once_and_async_with_closes(
    kinto_async_client: AsyncClient,
) -> None:
    sent = log_of(kinto_async_client)
    async with kinto_async_client as client:
        info = await client.server_info()
        again = await client.server_info()
        wire = client.transport.wire
    assert again is info  # cached: one GET /
    assert sent == [("GET", "/")]
    assert info["user"]["id"].startswith("basicauth:")
    assert "batch_max_requests" in info["settings"]
    assert isinstance(wire, HttpxWire) and wire.client.is_closed


async def test_cassette_aclose_closes_the_client_and_buckets_list(
    kinto_async_client: AsyncClient,
) -> None:
    client = kinto_async_client
    sent = log_of(client)
    for bucket_id in ("b2", "b1"):
        await client.bucket(bucket_id).create()
    listed = [bucket.id async for bucket in client.buckets().sort("id")]
    await client.aclose()
    assert listed == ["b1", "b2"]
    assert sent == [("PUT", "/buckets/b2"), ("PUT", "/buckets/b1"), ("GET", "/buckets?_sort=id")]
    wire = client.transport.wire
    assert isinstance(wire, HttpxWire) and wire.client.is_closed
