"""Tests of _permissions.py: mutable permission lists, their spellings, what changed."""

from __future__ import annotations

import pytest

from kinto_query import Bucket, Client, Collection, InvalidId, KintoError, Permissions, Request

from .conftest import AUTH, TODO, RequestLog, raw_read

# -- pure -----------------------------------------------------------------------------------------


def test_permission_names_and_aliases() -> None:
    perms = Permissions("bucket", "b", {"write": ["alice"]})
    perms.create_collection.append("carol")  # the seed's spelling of collection:create
    assert perms.collection_create == ["carol"]
    assert perms["collection:create"] is perms.create_collection
    assert perms.collection_create is perms.create_collection


def test_changes_since_loaded() -> None:
    perms = Permissions("bucket", "b", {"write": ["alice"], "read": ["/buckets/b/groups/g"]})
    perms.write += ["bob", "group:staff"]
    perms.create_collection.append("carol")
    perms.read.remove("/buckets/b/groups/g")
    assert perms.changes() == {
        "read": ([], ["/buckets/b/groups/g"]),
        "write": (["bob", "/buckets/b/groups/staff"], []),
        "collection:create": (["carol"], []),
    }


def test_changed_gives_each_changed_permission_whole() -> None:
    perms = Permissions("bucket", "b", {"write": ["alice"], "read": ["/buckets/b/groups/g"]})
    perms.write += ["bob", "group:staff"]
    perms.create_collection.append("carol")
    perms.read.remove("/buckets/b/groups/g")
    assert perms.changed() == {
        "read": [],
        "write": ["alice", "bob", "/buckets/b/groups/staff"],
        "collection:create": ["carol"],
    }


def test_principals_are_a_set() -> None:
    perms = Permissions("record", "b", {"write": ["alice"]})
    perms.read += ["a", "a", "group:g", "/buckets/b/groups/g"]
    assert perms.to_dict() == {"read": ["a", "/buckets/b/groups/g"], "write": ["alice"]}


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


def test_changing_hidden_permissions_is_refused() -> None:
    # Kinto sent permissions without us among the writers: it hid them.
    perms = Permissions("collection", "b", {"read": []})
    assert perms.hidden
    perms.read.append("dave")
    with pytest.raises(KintoError, match="hides this collection's permissions from you"):
        perms.changed()


def test_both_spellings_of_a_group_are_the_same_principal() -> None:
    perms = Permissions("bucket", "tour", {"read": ["/buckets/tour/groups/friends", "bob"]})
    read = perms.read
    assert "group:friends" in read and "/buckets/tour/groups/friends" in read
    assert "group:strangers" not in read and "/buckets/other/groups/friends" not in read
    assert read == ["bob", "group:friends"]  # a set: the server keeps no order
    assert read != ["group:friends"] and read != ["bob", "group:friends", "carol"]
    assert read.index("group:friends") == 0
    read.remove("group:friends")
    assert read == ["bob"] and perms.changes() == {
        "read": ([], ["/buckets/tour/groups/friends"])}
    assert 3 not in read and "group:not an id!" not in read


def test_principals_stay_principals_after_assignment() -> None:
    perms = Permissions("collection", "tour")
    perms.read += ["group:friends"]
    perms.write = ["/buckets/tour/groups/editors"]
    assert "group:friends" in perms.read and perms.write == ["group:editors"]


# -- cassettes: a round trip ---------------------------------------------------------------------


def grant(bucket: Bucket) -> None:
    perms = bucket.permissions
    perms.read += ["bob", "group:staff"]
    perms.create_collection += ["carol"]  # the seed's spelling of collection:create
    perms.group_create.append("dave")


def test_permission_changes_are_saved_in_one_patch(bucket: Bucket,
                                                   request_log: RequestLog) -> None:
    grant(bucket)
    request_log.clear()
    bucket.save()
    (method, path), = request_log.sent
    assert (method, path) == ("PATCH", "/buckets/shop")  # only permissions changed


def test_granted_principals_reach_the_server(kinto_client: Client, bucket: Bucket) -> None:
    grant(bucket)
    bucket.save()
    server = kinto_client.transport.send(Request("GET", "/buckets/shop")).json()["permissions"]
    assert sorted(server["read"]) == ["/buckets/shop/groups/staff", "bob"]
    assert server["collection:create"] == ["carol"]
    assert server["group:create"] == ["dave"]


def test_revoked_principal_leaves_the_server(bucket: Bucket) -> None:
    grant(bucket)
    bucket.save()
    bucket.permissions.read.remove("bob")
    bucket.save()
    assert bucket.refresh().permissions.read == ["/buckets/shop/groups/staff"]


# -- live -----------------------------------------------------------------------------------------


def test_permissions_hidden_from_you_are_never_overwritten(
    team_todo: Collection, bob: Client
) -> None:
    todo = team_todo
    todo.permissions.read.append("carol")
    todo.save()
    theirs = bob.bucket("live").collection("todo")  # bob writes the bucket, not the collection
    assert theirs.permissions.hidden
    theirs.permissions.read.append("dave")
    with pytest.raises(KintoError, match="hides this collection's permissions from you"):
        theirs.save()
    assert todo.refresh().permissions.read == ["carol"]


def test_permissions_saved_as_a_set(todo: Collection, kinto_fresh_server: str) -> None:
    """Granting the same principal twice before a save grants it once."""
    todo.permissions.read += ["a"]
    todo.permissions.read += ["a"]
    todo.save()
    assert raw_read(kinto_fresh_server, TODO) == ["a"]


def test_live_a_group_granted_as_group_id_reads_back_as_written(kinto_fresh_server: str) -> None:
    tour = Bucket("tour", client=Client(kinto_fresh_server, auth=AUTH), create=True)
    tour.create_group("friends", members=["bob"])
    tour.permissions.read += ["group:friends"]
    tour.save()
    read = tour.refresh().permissions.read
    assert list(read) == ["/buckets/tour/groups/friends"]  # as the server sends it back
    assert "group:friends" in read
    assert read == ["group:friends"] and read == ["/buckets/tour/groups/friends"]
