"""Tests of _objects/_blocking/bucket.py: buckets, and the collections and groups they hold."""

from __future__ import annotations

import pytest
import requests

from kinto_query import AlreadyExists, Bucket, Client, Collection, Forbidden, NotFound

from ..conftest import RequestLog

# -- pure -----------------------------------------------------------------------------------------


@pytest.fixture
def offline_bucket(offline_client: Client) -> Bucket:
    return offline_client.bucket("b")


def test_handles_send_nothing(offline_bucket: Bucket) -> None:
    bucket = offline_bucket
    collection = bucket.collection("c")
    assert repr(bucket) == "<Bucket '/buckets/b'>"
    assert repr(collection) == "<Collection '/buckets/b/collections/c'>"
    assert repr(bucket.group("g")) == "<Group '/buckets/b/groups/g'>"
    assert bucket.get_collection("c").path == collection.path
    assert collection.records_path == "/buckets/b/collections/c/records"


def test_bucket_takes_a_client_or_connection_options_not_both() -> None:
    with pytest.raises(TypeError, match="not both"):
        Bucket("b", client=Client(), auth=("a", "b"))


def test_data_and_permissions_go_with_create(offline_client: Client) -> None:
    with pytest.raises(TypeError, match="go with create=True"):
        Bucket("shop", client=offline_client, data={"title": "x"})


def test_bucket_with_its_own_connection_options() -> None:
    bucket = Bucket("b", server_url="http://h.test/v1", auth=("alice", "s3cret"))
    assert bucket.transport.server_url == "http://h.test/v1"
    assert "s3cret" not in repr(bucket.transport)


def test_child_queries_urls(offline_bucket: Bucket) -> None:
    base = "http://localhost:8888/v1/buckets/b"
    assert offline_bucket.collections().sort("id").url == f"{base}/collections?_sort=id"
    assert offline_bucket.groups().url == f"{base}/groups"


# -- cassettes ------------------------------------------------------------------------------------


def test_construction_sends_nothing_until_used(kinto_client: Client,
                                               request_log: RequestLog) -> None:
    handle = kinto_client.bucket("shop")
    collection = handle.collection("c")
    assert repr(handle) == "<Bucket '/buckets/shop'>" and repr(collection)
    assert request_log.sent == []
    with pytest.raises(Forbidden):  # a bucket that does not exist answers 403
        handle.data  # noqa: B018 - the lazy load is the point


def test_create_true_creates_with_data_and_permissions(kinto_client: Client) -> None:
    first = Bucket("shop", client=kinto_client, create=True, data={"title": "Shop"},
                   permissions={"read": ["system.Everyone"]})
    assert first.permissions.read == ["system.Everyone"]
    assert first.data.title == "Shop"


def test_create_true_never_overwrites(kinto_client: Client) -> None:
    first = Bucket("shop", client=kinto_client, create=True, data={"title": "Shop"})
    again = Bucket("shop", client=kinto_client, create=True, data={"title": "Other"})
    assert again.data.title == "Shop"
    assert again.last_modified == first.last_modified


def test_create_collection_with_data_and_permissions(bucket: Bucket) -> None:
    created = bucket.create_collection("receipts", data={"kind": "paper"},
                                       permissions={"read": ["system.Authenticated"]})
    assert created.data.kind == "paper"
    assert created.permissions.read == ["system.Authenticated"]


def test_create_collection_that_exists_raises_with_the_existing(bucket: Bucket) -> None:
    bucket.create_collection("receipts", data={"kind": "paper"})
    with pytest.raises(AlreadyExists) as caught:
        bucket.create_collection("receipts", data={"kind": "other"})
    assert caught.value.existing is not None and caught.value.existing["kind"] == "paper"


def test_create_collection_exist_ok_keeps_the_existing(bucket: Bucket) -> None:
    bucket.create_collection("receipts", data={"kind": "paper"})
    kept = bucket.create_collection("receipts", data={"kind": "other"}, exist_ok=True)
    assert kept.data.kind == "paper"


def test_collections_query(bucket: Bucket) -> None:
    bucket.create_collection("receipts", data={"kind": "paper"})
    bucket.create_collection("bills")
    assert sorted(c.id for c in bucket.collections()) == ["bills", "receipts"]
    assert [c.data.kind for c in bucket.collections().filter(kind="paper")] == ["paper"]


def test_get_collection(bucket: Bucket) -> None:
    bucket.create_collection("bills")
    assert bucket.get_collection("bills").id == "bills"


def test_delete_collection(bucket: Bucket) -> None:
    bucket.create_collection("bills")
    bucket.delete_collection("bills")
    with pytest.raises(NotFound, match="collection 'bills' not found"):
        bucket.collection("bills").refresh()


# -- live -----------------------------------------------------------------------------------------


def test_deleting_a_bucket_you_cannot_write(alice: Client, bob: Client) -> None:
    Bucket("private", client=alice, create=True)
    with pytest.raises(Forbidden) as caught:
        bob.bucket("private").delete()
    assert caught.value.status == 403
    assert Bucket("private", client=alice).refresh().id == "private"


def test_delete_bucket_missing_ok(alice: Client) -> None:
    """Bucket.delete(missing_ok=True) on a missing bucket (Kinto answers 403) returns quietly."""
    alice.bucket("nope").delete(missing_ok=True)


def test_delete_collection_missing_ok(todo: Collection) -> None:
    """delete_collection(missing_ok=True) on a missing collection returns quietly."""
    todo.bucket.delete_collection("nope", missing_ok=True)


def test_delete_missing_ok_still_refuses_a_bucket_that_exists(
    alice: Client, bob: Client, kinto_fresh_server: str
) -> None:
    """A 403 on a bucket bob can read is a refusal, not absence: missing_ok does not hide it."""
    Bucket("shared", client=alice, create=True, permissions={"read": ["system.Authenticated"]})
    with pytest.raises(Forbidden):
        bob.bucket("shared").delete(missing_ok=True)
    assert requests.get(kinto_fresh_server + "/buckets/shared", auth=("alice", "s3cret"),
                        timeout=10).status_code == 200
