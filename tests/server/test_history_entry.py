"""Tests of _server/history_entry.py: one history entry as a plain value."""

from __future__ import annotations

import datetime

import pytest

from kinto_query._server.history_entry import HistoryEntry, no_item_path
from kinto_query.exceptions import InvalidQuery

_RAW = {"id": "h1", "last_modified": 1700000000000, "date": "2023-11-14T22:13:20.000000+00:00",
        "user_id": "account:ann", "action": "update", "resource_name": "record",
        "uri": "/buckets/b/collections/c/records/r1", "collection_id": "c", "record_id": "r1",
        "target": {"data": {"id": "r1", "title": "x"}, "permissions": {"write": ["account:ann"]}}}


def test_an_entry_from_the_server_names_its_object() -> None:
    entry = HistoryEntry.from_server(_RAW, "b")
    assert (entry.bucket_id, entry.object_id, entry.action) == ("b", "r1", "update")
    assert entry.date == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)
    assert entry.data == {"id": "r1", "title": "x"}
    assert entry.permissions == {"write": ["account:ann"]}


def test_entries_have_no_url_of_their_own() -> None:
    with pytest.raises(InvalidQuery, match="no URL of their own"):
        no_item_path("h1")
