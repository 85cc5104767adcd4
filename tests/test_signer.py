"""Tests of _signer.py: the ``signer`` capability in both its forms (whole buckets, single
collections) and the guard of writes, on answers shaped as kinto-signer 8 sends them (its
``get_exposed_resources``); pure, no server."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from kinto_query import CollectionRef, SignerOwned
from kinto_query._signer import refuse_signer_owned, signer_resource


def _part(bucket: str, collection: str | None = None) -> dict[str, Any]:
    return {"bucket": bucket, "collection": collection}


INFO: dict[str, Any] = {"capabilities": {"signer": {
    "resources": [
        # A whole bucket, without preview.
        {"source": _part("ws"), "destination": _part("pub")},
        # One collection of it, with settings of its own and a preview.
        {"source": _part("ws", "certs"), "preview": _part("ws-preview", "certs"),
         "destination": _part("pub", "certs"), "to_review_enabled": False,
         "reviewers_group": "certs-reviewers"},
    ],
    "to_review_enabled": True, "group_check_enabled": False,
    "editors_group": "{collection_id}-editors", "reviewers_group": "reviewers"}}}


def test_a_bucket_entry_resolves_for_each_of_its_collections() -> None:
    role, resource = signer_resource(INFO, "ws", "regions") or ("", None)
    assert role == "source" and resource is not None
    assert resource.workspace == CollectionRef("ws", "regions")
    assert resource.preview is None and str(resource.destination) == \
        "/buckets/pub/collections/regions"
    assert resource.to_review_enabled and resource.editors_group == "regions-editors"
    assert signer_resource(INFO, "pub", "regions") == ("destination", resource)


def test_a_collection_entry_wins_over_its_buckets() -> None:
    found = signer_resource(INFO, "ws", "certs")
    assert found is not None
    role, resource = found
    assert role == "source" and resource.preview == CollectionRef("ws-preview", "certs")
    assert not resource.to_review_enabled and resource.reviewers_group == "certs-reviewers"
    assert resource.editors_group == "certs-editors"
    assert signer_resource(INFO, "ws-preview", "certs") == ("preview", resource)


@pytest.mark.parametrize("info", [{}, {"capabilities": {"history": {}}},
                                  {"capabilities": {"signer": {"resources": []}}}])
def test_no_signer_or_no_resource_means_nothing_signed(info: dict[str, Any]) -> None:
    assert signer_resource(info, "ws", "c") is None
    refuse_signer_owned(info, "PUT", "/buckets/pub/collections/c/records/r", {"data": {}})


def test_the_guard_refuses_writes_to_what_the_signer_owns() -> None:
    with pytest.raises(SignerOwned, match=r"^DELETE /buckets/pub/collections/c/records/r: "
                       r"/buckets/pub/collections/c is the destination of "
                       r"/buckets/ws/collections/c,") as caught:
        refuse_signer_owned(INFO, "DELETE", "/buckets/pub/collections/c/records/r")
    assert caught.value.workspace == "/buckets/ws/collections/c"
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.workspace, copy.collection, str(copy)) == (
        caught.value.workspace, caught.value.collection, str(caught.value))
    with pytest.raises(SignerOwned, match="is the preview of /buckets/ws/collections/certs"):
        refuse_signer_owned(INFO, "PATCH", "/buckets/ws-preview/collections/certs")
    batch = {"defaults": {"method": "PUT"}, "requests": [
        {"path": "/buckets/ws/collections/c/records/ok"},
        {"path": "/buckets/pub/collections/c/records/no"}]}
    with pytest.raises(SignerOwned, match=r"^PUT /buckets/pub/collections/c/records/no"):
        refuse_signer_owned(INFO, "POST", "/batch", batch)


def test_the_guard_lets_reads_and_other_collections_through() -> None:
    refuse_signer_owned(INFO, "GET", "/buckets/pub/collections/c/records")
    refuse_signer_owned(INFO, "PUT", "/buckets/ws/collections/c/records/r", {"data": {}})
    # Not a destination: another bucket, and the preview bucket of certs' other collections.
    refuse_signer_owned(INFO, "PUT", "/buckets/other/collections/c/records/r")
    refuse_signer_owned(INFO, "PUT", "/buckets/ws-preview/collections/regions")
    refuse_signer_owned(INFO, "POST", "/batch", {"requests": [
        {"method": "GET", "path": "/buckets/pub/collections/c/records"}]})
    refuse_signer_owned(None, "PUT", "/buckets/pub/collections/c/records/r")
