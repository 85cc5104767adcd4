"""Tests of _changes.py: what changed since an object was loaded, and partial saves (pure)."""

from __future__ import annotations

import datetime

from kinto_query._changes import fingerprint, partial_save, split_server_fields

PATH = "/buckets/b/collections/c/records/r1"
IF_MATCH = {"If-Match": '"10"'}


def test_fingerprints_ignore_key_order_and_take_extra_types() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"d": datetime.date(2024, 1, 2)}) == fingerprint({"d": "2024-01-02"})
    assert fingerprint({"x": object()}) != fingerprint({"x": object()})  # never "unchanged"


def test_server_fields_live_apart() -> None:
    assert split_server_fields({"id": "r1", "last_modified": 10, "a": 1}) == ({"a": 1}, 10)
    assert split_server_fields({"a": 1}) == ({"a": 1}, None)


def test_a_changed_top_level_field_is_a_merge_of_just_that_field() -> None:
    request = partial_save(PATH, '{"title": "a", "n": 1}', {"title": "b", "n": 1},
                           ("title", "n"), {}, IF_MATCH)
    assert (request.method, request.body, dict(request.headers)) == (
        "PATCH", {"data": {"title": "b"}}, IF_MATCH)
    assert request.batchable()


def test_permissions_ride_in_the_same_merge() -> None:
    request = partial_save(PATH, '{"title": "a"}', {"title": "b"}, ("title",),
                           {"read": ["x"]}, IF_MATCH)
    assert request.body == {"data": {"title": "b"}, "permissions": {"read": ["x"]}}


def test_a_removed_field_is_a_json_patch_remove() -> None:
    request = partial_save(PATH, '{"title": "a", "n": 1}', {"title": "a"}, ("title", "n"), {},
                           IF_MATCH)
    assert request.body == [{"op": "remove", "path": "/data/n"}]
    assert request.headers["Content-Type"] == "application/json-patch+json"
    assert not request.batchable()


def test_a_change_inside_a_field_loaded_in_part_is_a_json_patch_of_that_path() -> None:
    request = partial_save(PATH, '{"author": {"name": "ann"}}', {"author": {"name": "bob"}},
                           ("author.name",), {"read": ["x"]}, IF_MATCH)
    assert request.body == [
        {"op": "add", "path": "/data/author/name", "value": "bob"},
        {"op": "add", "path": "/permissions/read", "value": {"x": "x"}},
    ]


def test_json_pointer_segments_are_escaped() -> None:
    request = partial_save(PATH, '{"a/b": 1, "c~d": 2}', {"c~d": 2}, ("a/b", "c~d"), {}, {})
    assert request.body == [{"op": "remove", "path": "/data/a~1b"}]
