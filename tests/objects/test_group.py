"""Tests of _objects/_blocking/group.py: groups of principals, whose members are a set."""

from __future__ import annotations

import pytest

from kinto_query import Bucket, Client, Collection, Request

from ..conftest import raw_get

# -- pure -----------------------------------------------------------------------------------------


def test_save_request_sends_members_as_a_set(offline_client: Client) -> None:
    group = offline_client.bucket("b").group("g")
    group.take_answer({"data": {"id": "g", "last_modified": 10, "members": ["natim"]},
                       "permissions": {"write": ["alice"]}})
    group.members += ["niko", "natim", "niko"]
    assert group.save_request() == Request(
        "PUT", "/buckets/b/groups/g", {"data": {"members": ["natim", "niko"]}},
        {"If-Match": '"10"'},
    )


def test_adding_a_member_already_there_changes_nothing(offline_client: Client) -> None:
    group = offline_client.bucket("b").group("g")
    group.take_answer({"data": {"id": "g", "last_modified": 10, "members": ["natim"]},
                       "permissions": {"write": ["alice"]}})
    group.members.append("natim")
    assert group.save_request() is None


def test_members_that_are_not_a_list_are_refused(offline_client: Client) -> None:
    group = offline_client.bucket("b").group("g")
    group.take_answer({"data": {"id": "g", "last_modified": 10, "members": "natim"}})
    with pytest.raises(TypeError, match="members that are not a list"):
        group.members  # noqa: B018


# -- cassettes ------------------------------------------------------------------------------------


def test_group_members_changed_in_place_are_saved(bucket: Bucket) -> None:
    friends = bucket.create_group("friends", members=["natim"])
    friends.members += ["niko"]
    friends.members.append("mat")
    friends.members.remove("natim")
    friends.save()
    assert bucket.get_group("friends").members == ["niko", "mat"]


def test_groups_query(bucket: Bucket) -> None:
    bucket.create_group("friends", members=["natim"])
    assert [g.id for g in bucket.groups()] == ["friends"]


def test_group_shorthand_in_permissions(kinto_client: Client, bucket: Bucket) -> None:
    bucket.create_group("friends", members=["natim"])
    notes = bucket.create_collection("notes", permissions={"read": ["group:friends"]})
    assert notes.permissions.read == ["/buckets/shop/groups/friends"]
    answer = kinto_client.transport.send(Request("GET", "/buckets/shop/collections/notes")).json()
    assert answer["permissions"]["read"] == ["/buckets/shop/groups/friends"]


def test_delete_group(bucket: Bucket) -> None:
    bucket.create_group("friends", members=["natim"])
    bucket.delete_group("friends")
    assert list(bucket.groups()) == []


# -- live -----------------------------------------------------------------------------------------


def test_create_group_keeps_members_given_in_data(
    todo: Collection, kinto_fresh_server: str
) -> None:
    """create_group(data={"members": [...]}) must not replace the members with []."""
    todo.bucket.create_group("g", data={"members": ["blah"]})
    assert raw_get(kinto_fresh_server, "/buckets/w/groups/g")["data"]["members"] == ["blah"]


def test_group_members_saved_as_a_set(todo: Collection, kinto_fresh_server: str) -> None:
    """Adding a member twice (two saves) keeps it once on the server."""
    g = todo.bucket.create_group("friends", members=["natim"])
    g.members += ["niko"]
    g.save()
    g.members += ["niko"]
    g.save()
    members = raw_get(kinto_fresh_server, "/buckets/w/groups/friends")["data"]["members"]
    assert members == ["natim", "niko"]


def test_delete_group_missing_ok(todo: Collection) -> None:
    """delete_group(missing_ok=True) on a missing group returns quietly."""
    todo.bucket.delete_group("nope", missing_ok=True)


def test_a_group_loaded_without_its_members_keeps_them(
    todo: Collection, kinto_fresh_server: str
) -> None:
    """Reading .members of a group loaded with fields() does not invent an empty list that a
    save would store: it raises, and saving other fields leaves the members alone."""
    todo.bucket.create_group("team", members=["u1", "u2"], data={"title": "Team"})
    group = todo.bucket.groups().fields("title").get("team")
    with pytest.raises(AttributeError, match="without its members"):
        group.members  # noqa: B018
    group.data.title = "Team 2"
    group.save()
    assert raw_get(kinto_fresh_server, "/buckets/w/groups/team")["data"]["members"] == ["u1", "u2"]
