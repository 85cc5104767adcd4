"""Tests of _wording.py: which object a path names, and what an error body says (pure)."""

from __future__ import annotations

from kinto_query._wording import already_exists, describe, names_itself, object_named


def test_object_named_reads_kind_id_and_parents() -> None:
    assert object_named("/v1/buckets/b/collections/c/records/r1") == (
        "record", "r1", {"bucket": "b", "collection": "c", "record": "r1"})
    assert object_named("/v1/buckets/b/groups/g") == ("group", "g", {"bucket": "b", "group": "g"})
    assert object_named("/v1/batch")[0] == "object"


def test_already_exists_names_the_object_and_the_way_out() -> None:
    assert already_exists("/v1/buckets/b") == (
        "bucket 'b' already exists (pass exist_ok=True to accept it as it is, or "
        "save(force=True) to overwrite it)")


def test_names_itself_tells_the_object_from_its_parent() -> None:
    assert names_itself({"resource_name": "record", "id": "r1"}, "record")
    assert not names_itself({"resource_name": "collection", "id": "c"}, "record")
    assert names_itself(None, "record")


def test_describe_a_missing_collection_mentions_its_bucket() -> None:
    body = {"errno": 111, "details": {"id": "c", "resource_name": "collection"}}
    assert describe(404, body, "/v1/buckets/b/collections/c/records") == (
        "collection 'c' not found in bucket 'b' (or the bucket does not exist)")


def test_describe_a_bad_request_points_at_the_parameter() -> None:
    body = {"message": "Invalid", "details": [
        {"location": "querystring", "name": "_limit", "description": "not an int"}]}
    assert describe(400, body) == "Invalid (querystring._limit: not an int)"
