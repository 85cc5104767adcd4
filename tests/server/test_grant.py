"""Tests of _server/grant.py: one permissions entry as a plain value."""

from __future__ import annotations

import pytest

from kinto_query._server.grant import Grant, no_item_path, refuse_timestamps
from kinto_query.exceptions import InvalidQuery, InvalidResponse


def test_a_grant_from_the_permissions_endpoint() -> None:
    grant = Grant.from_server({"uri": "/buckets/b", "resource_name": "bucket", "id": "b",
                               "bucket_id": "b", "permissions": ["read", "write"]})
    assert (grant.uri, grant.id, grant.bucket_id) == ("/buckets/b", "b", "b")
    assert "write" in grant.permissions and grant.collection_id is None
    with pytest.raises(InvalidResponse, match="not a Kinto permissions entry"):
        Grant.from_server({"uri": "/", "resource_name": "root", "permissions": "read"})


def test_grants_have_no_url_and_no_timestamps() -> None:
    with pytest.raises(InvalidQuery, match="no URL per object"):
        no_item_path("/buckets/b")
    with pytest.raises(InvalidQuery, match="no last_modified"):
        refuse_timestamps("resource_name", "-last_modified")
    refuse_timestamps("bucket_id")  # others pass
