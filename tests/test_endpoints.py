"""Pure tests: URI templates and the id rule."""

from __future__ import annotations

import pytest

from kinto_query import Client, InvalidId
from kinto_query._endpoints import endpoint_path, validate_id

from .conftest import NoNetwork


@pytest.mark.parametrize(
    ("name", "ids", "path"),
    [
        ("root", {}, "/"),
        ("batch", {}, "/batch"),
        ("permissions", {}, "/permissions"),
        ("buckets", {}, "/buckets"),
        ("bucket", {"bucket": "b"}, "/buckets/b"),
        ("history", {"bucket": "b"}, "/buckets/b/history"),
        ("groups", {"bucket": "b"}, "/buckets/b/groups"),
        ("group", {"bucket": "b", "group": "g"}, "/buckets/b/groups/g"),
        ("collections", {"bucket": "b"}, "/buckets/b/collections"),
        ("collection", {"bucket": "b", "collection": "c"}, "/buckets/b/collections/c"),
        ("records", {"bucket": "b", "collection": "c"}, "/buckets/b/collections/c/records"),
        (
            "record",
            {"bucket": "b", "collection": "c", "record": "r-1_x"},
            "/buckets/b/collections/c/records/r-1_x",
        ),
    ],
)
def test_every_endpoint_has_a_template(name: str, ids: dict[str, str], path: str) -> None:
    assert endpoint_path(name, **ids) == path  # type: ignore[arg-type]


def test_endpoint_refuses_missing_ids() -> None:
    with pytest.raises(TypeError, match="takes ids"):
        endpoint_path("record", bucket="b")


@pytest.mark.parametrize("good", ["b", "B9", "a-b_c", "0", "6768719d-cb9d-adc4-3ec1-ab9167a0905b"])
def test_valid_ids(good: str) -> None:
    assert validate_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "../accounts", "a/b", "é", "_b", "-b", "x.y", "a b", "a\n", "a%2Fb", "a?b"]
)
def test_invalid_ids_raise_before_any_request(bad: str) -> None:
    client = Client(session=NoNetwork())
    with pytest.raises(InvalidId) as caught:
        client.bucket(bad)
    assert repr(bad) in str(caught.value)
    assert "^[a-zA-Z0-9][a-zA-Z0-9_-]*$" in str(caught.value)
    with pytest.raises(InvalidId):
        client.bucket("ok").collection(bad)


def test_invalid_id_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bucket id must be a string"):
        validate_id(3, "bucket")
