"""Pure tests of objects: handles, permissions bookkeeping, Data (no request is ever sent)."""

from __future__ import annotations

import pytest

from kinto_query import Bucket, Client, Data, InvalidId, Permissions, Record

from .conftest import NoNetwork


@pytest.fixture
def bucket() -> Bucket:
    return Bucket("b", client=Client(session=NoNetwork()))


def test_handles_send_nothing(bucket: Bucket) -> None:
    collection = bucket.collection("c")
    assert repr(bucket) == "<Bucket '/buckets/b'>"
    assert repr(collection) == "<Collection '/buckets/b/collections/c'>"
    assert repr(bucket.group("g")) == "<Group '/buckets/b/groups/g'>"
    assert bucket.get_collection("c").path == collection.path
    assert collection.records_path == "/buckets/b/collections/c/records"


def test_bucket_takes_a_client_or_connection_options_not_both() -> None:
    with pytest.raises(TypeError, match="not both"):
        Bucket("b", client=Client(), auth=("a", "b"))


def test_permission_names_aliases_and_changes() -> None:
    perms = Permissions("bucket", "b", {"write": ["alice"], "read": ["/buckets/b/groups/g"]})
    perms.write += ["bob", "group:staff"]
    perms.create_collection.append("carol")
    perms.read.remove("/buckets/b/groups/g")
    assert perms.collection_create == ["carol"]
    assert perms["collection:create"] is perms.create_collection
    assert perms.changes() == {
        "read": ([], ["/buckets/b/groups/g"]),
        "write": (["bob", "/buckets/b/groups/staff"], []),
        "collection:create": (["carol"], []),
    }
    ops, needs_match = perms.patch()
    assert ops == [
        {"op": "remove", "path": "/permissions/read/~1buckets~1b~1groups~1g"},
        {"op": "add", "path": "/permissions/write/bob", "value": "bob"},
        {"op": "add", "path": "/permissions/write/~1buckets~1b~1groups~1staff",
         "value": "/buckets/b/groups/staff"},
        {"op": "add", "path": "/permissions/collection:create", "value": {"carol": "carol"}},
    ]
    assert needs_match  # a missing member is created whole: only on the version we saw


def test_rebased_keeps_our_changes_on_the_servers_view() -> None:
    perms = Permissions("collection", "b", {"write": ["alice"], "read": ["x"]})
    perms.read.append("carol")
    perms.read.remove("x")
    fresh = perms.rebased({"write": ["alice"], "read": ["x", "dave"]})
    assert sorted(fresh.read) == ["carol", "dave"]
    assert fresh.changes() == {"read": (["carol"], ["x"])}


@pytest.mark.parametrize(("kind", "wrong"), [("bucket", "record_create"), ("record", "read_me"),
                                             ("group", "collection_create")])
def test_unknown_permission_names(kind: str, wrong: str) -> None:
    perms = Permissions(kind, "b", None)
    with pytest.raises(AttributeError, match=f"a {kind} has no permission '{wrong}'; valid: "):
        getattr(perms, wrong)


def test_group_shorthand_needs_a_valid_group_id() -> None:
    perms = Permissions("record", "b", None)
    perms.read.append("group:../x")
    with pytest.raises(InvalidId, match="invalid group id"):
        perms.to_dict()


def test_record_data_and_ids() -> None:
    record = Record({"id": "r1", "last_modified": 5, "title": "milk", "author": {"name": "a"}})
    assert (record.id, record.last_modified) == ("r1", 5)
    assert record.data.to_dict() == {"title": "milk", "author": {"name": "a"}}
    record.data.author.name = "b"
    assert record.data["author"]["name"] == "b"
    with pytest.raises(AttributeError, match="no field 'nope' \\(fields: author, title\\)"):
        record.data.nope  # noqa: B018
    with pytest.raises(ValueError, match="differs from data"):
        Record({"id": "a"}, id="b")
    with pytest.raises(InvalidId):
        Record({"id": "no/slash"})
    assert Data({"a": 1}) == {"a": 1}


def test_records_need_a_collection() -> None:
    with pytest.raises(ValueError, match="belongs to no collection"):
        Record({"title": "x"}).save()
