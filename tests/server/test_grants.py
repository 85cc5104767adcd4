"""Tests of _server/_blocking/grants.py: the permissions endpoint ("what can I do, where") as a
lazy query."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kinto_query import (
    Bucket,
    Client,
    Collection,
    Grant,
    GrantQuery,
    InvalidQuery,
    InvalidResponse,
    Query,
)

from ..conftest import RequestLog, raw_get

BASE = "http://localhost:8888/v1/permissions"

# -- pure -----------------------------------------------------------------------------------------


def test_permissions_builds_urls(offline_client: Client) -> None:
    grants = offline_client.permissions()
    assert isinstance(grants, GrantQuery)
    assert grants.url == BASE
    assert grants.filter(resource_name="collection", bucket_id="b").url == (
        f"{BASE}?resource_name=collection&bucket_id=b")
    assert grants.exclude(resource_name="root").sort("uri").page_size(2).url == (
        f"{BASE}?not_resource_name=root&_sort=uri&_limit=2")
    assert grants.filter(collection_id="c").limit(1).url == f"{BASE}?collection_id=c&_limit=1"
    assert grants.url == BASE


@pytest.mark.parametrize("misuse", [
    lambda g: g.filter(last_modified__gt=1),
    lambda g: g.exclude(last_modified=1),
    lambda g: g.sort("-last_modified"),
])
def test_timestamps_kinto_would_ignore_are_refused(
    offline_client: Client, misuse: Callable[[GrantQuery], object]
) -> None:
    with pytest.raises(InvalidQuery, match="no last_modified"):
        misuse(offline_client.permissions())


def test_what_the_endpoint_cannot_do_is_not_offered(offline_client: Client) -> None:
    grants = offline_client.permissions()
    for name in ("since", "before", "partition", "delete", "get", "fields"):
        assert not hasattr(grants, name), name
    assert not isinstance(grants, Query)


def test_an_entry_kinto_would_not_send_is_an_invalid_response() -> None:
    # Hand-written: a real Kinto always sends resource_name and a list of permissions.
    with pytest.raises(InvalidResponse, match="not a Kinto permissions entry"):
        Grant.from_server({"uri": "/buckets/b", "permissions": "write"})
    root = Grant.from_server({"uri": "/", "resource_name": "root",
                              "permissions": ["bucket:create"]})
    assert root.id is None and root.permissions == frozenset({"bucket:create"})


# -- cassettes ------------------------------------------------------------------------------------


def test_what_can_i_do_where(bucket: Bucket, kinto_client: Client,
                             request_log: RequestLog) -> None:
    bucket.create_collection("todo")
    bucket.create_group("team", members=[])
    request_log.clear()
    grants = list(kinto_client.permissions())
    assert request_log.sent == [("GET", "/permissions")]
    by_uri = {g.uri: g for g in grants}
    assert set(by_uri) == {"/", "/buckets/shop", "/buckets/shop/collections/todo",
                           "/buckets/shop/groups/team"}
    shop = by_uri["/buckets/shop"]
    assert shop.resource_name == "bucket" and shop.id == shop.bucket_id == "shop"
    assert {"read", "write", "collection:create", "group:create"} <= shop.permissions
    todo = by_uri["/buckets/shop/collections/todo"]
    assert (todo.bucket_id, todo.collection_id) == ("shop", "todo")
    assert {"read", "write", "record:create"} <= todo.permissions
    team = by_uri["/buckets/shop/groups/team"]
    assert team.group_id == "team" and "write" in team.permissions
    root = by_uri["/"]
    assert root.resource_name == "root" and root.id is None
    assert "bucket:create" in root.permissions


def test_filtered_by_type_bucket_and_collection(bucket: Bucket, kinto_client: Client,
                                               request_log: RequestLog) -> None:
    bucket.create_collection("todo")
    bucket.create_collection("done")
    Bucket("other", client=kinto_client, create=True)
    grants = kinto_client.permissions()
    collections = grants.filter(resource_name="collection", bucket_id="shop")
    assert sorted(g.collection_id or "" for g in collections) == ["done", "todo"]
    assert [g.uri for g in grants.filter(collection_id="todo")] == [
        "/buckets/shop/collections/todo"]
    assert sorted(g.id or "" for g in grants.filter(resource_name="bucket")) == ["other", "shop"]
    request_log.clear()
    assert collections.count() == 2
    assert request_log.sent == [
        ("HEAD", "/permissions?resource_name=collection&bucket_id=shop")]


# -- live -----------------------------------------------------------------------------------------


def test_every_page_is_followed(todo: Collection, alice: Client,
                                kinto_fresh_server: str) -> None:
    for name in ("a", "b", "c", "d"):
        todo.bucket.create_collection(name)
    log = RequestLog(alice)
    grants = list(alice.permissions().page_size(2))
    raw_uris = {e["uri"] for e in raw_get(kinto_fresh_server, "/permissions")["data"]}
    # The root, the bucket, five collections, three records (alice wrote them).
    assert {g.uri for g in grants} == raw_uris and len(grants) == len(raw_uris) == 10
    assert len(log.sent) == 5  # 2 a page (Kinto reads one ahead: no empty page after)
    assert all("_token=" in path for _, path in log.sent[1:])


def test_what_was_shared_with_me(todo: Collection, bob: Client) -> None:
    assert [g.resource_name for g in bob.permissions()] == ["root"]
    todo.permissions.read += [bob.whoami().user_id or ""]
    todo.save()
    record = todo.get("r1")
    record.permissions.write += [bob.whoami().user_id or ""]
    record.save()
    shared = {g.uri: g.permissions for g in bob.permissions().exclude(resource_name="root")}
    assert shared == {
        "/buckets/w/collections/todo": frozenset({"read", "read:attributes"}),
        "/buckets/w/collections/todo/records/r1": frozenset({"read", "write"}),
    }
    records = bob.permissions().filter(resource_name="record", bucket_id="w")
    assert [(g.collection_id, g.record_id) for g in records] == [("todo", "r1")]
