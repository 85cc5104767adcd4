"""Tests of _server/_async/grants.py: what you may do where (``client.permissions()``) awaited, on
real Kinto servers; the grants and errors are the sync ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kinto_query import Grant, InvalidQuery, NotEnabled
from kinto_query.aio import AsyncClient, AsyncGrantQuery
from kinto_query.testing import KintoServer

from ..conftest import AUTH, raw_get
from .sent import LoggedClient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def alice(kinto_fresh_server: str) -> AsyncIterator[LoggedClient]:
    async with LoggedClient(kinto_fresh_server, auth=AUTH) as client:
        yield client


def test_permissions_builds_the_sync_urls_without_a_request() -> None:
    grants = AsyncClient("http://localhost:8888/v1").permissions()
    assert isinstance(grants, AsyncGrantQuery)
    assert grants.filter(resource_name="collection", bucket_id="b").url == (
        "http://localhost:8888/v1/permissions?resource_name=collection&bucket_id=b")
    with pytest.raises(InvalidQuery, match="permission entries have no last_modified"):
        grants.sort("-last_modified")
    assert not hasattr(grants, "since") and not hasattr(grants, "delete")


async def test_what_can_i_do_where(alice: LoggedClient, kinto_fresh_server: str) -> None:
    bucket = await alice.bucket("shop").create()
    await bucket.create_collection("todo")
    await bucket.create_group("team", members=[])
    alice.clear()
    grants = [grant async for grant in alice.permissions()]
    assert alice.sent == [("GET", "/permissions")]
    assert all(isinstance(g, Grant) for g in grants)
    by_uri = {g.uri: g for g in grants}
    assert set(by_uri) == {e["uri"] for e in raw_get(kinto_fresh_server, "/permissions")["data"]}
    assert set(by_uri) == {"/", "/buckets/shop", "/buckets/shop/collections/todo",
                           "/buckets/shop/groups/team"}
    shop = by_uri["/buckets/shop"]
    assert shop.resource_name == "bucket" and shop.id == shop.bucket_id == "shop"
    assert {"read", "write", "collection:create", "group:create"} <= shop.permissions
    assert by_uri["/"].resource_name == "root" and by_uri["/"].id is None
    collections = alice.permissions().filter(resource_name="collection", bucket_id="shop")
    assert [(g.bucket_id, g.collection_id) async for g in collections] == [("shop", "todo")]
    alice.clear()
    assert await collections.count() == 1
    assert alice.sent == [("HEAD", "/permissions?resource_name=collection&bucket_id=shop")]
    first = await alice.permissions().filter(resource_name="group").first()
    assert first is not None and first.group_id == "team"


async def test_every_page_is_followed(alice: LoggedClient, kinto_fresh_server: str) -> None:
    bucket = await alice.bucket("w").create()
    for name in ("a", "b", "c", "d"):
        await bucket.create_collection(name)
    alice.clear()
    grants = [g async for g in alice.permissions().page_size(2)]
    raw_uris = {e["uri"] for e in raw_get(kinto_fresh_server, "/permissions")["data"]}
    assert {g.uri for g in grants} == raw_uris and len(grants) == 6  # root, bucket, 4
    assert alice.sent[0] == ("GET", "/permissions?_limit=2") and len(alice.sent) == 3
    assert all("_token=" in path for _, path in alice.sent[1:])


async def test_what_was_shared_with_me(alice: LoggedClient, kinto_fresh_server: str) -> None:
    todo = await (await alice.bucket("w").create()).create_collection("todo")
    async with AsyncClient(kinto_fresh_server, auth=("bob", "hunter22")) as bob:
        assert [g.resource_name async for g in bob.permissions()] == ["root"]
        bob_id = (await bob.whoami()).user_id
        assert bob_id is not None
        await todo.load()
        todo.permissions.read += [bob_id]
        await todo.save()
        shared = {g.uri: g.permissions
                  async for g in bob.permissions().exclude(resource_name="root")}
        assert shared == {"/buckets/w/collections/todo": frozenset({"read", "read:attributes"})}


@pytest.mark.live
async def test_a_server_without_the_endpoint_says_so() -> None:
    with KintoServer(settings={"experimental_permissions_endpoint": "false"}) as server:
        async with AsyncClient(server.url, auth=AUTH) as client:
            with pytest.raises(NotEnabled) as caught:
                await client.permissions().first()
            assert str(caught.value) == (
                "GET /v1/permissions?_limit=1 -> 404 Not Found: this server has no permissions "
                "endpoint (turned on by kinto.experimental_permissions_endpoint = true) "
                "(errno 111)")
            with pytest.raises(NotEnabled, match="permissions endpoint"):
                await client.permissions().count()
