"""Tests of _server/changeset.py and Collection.changeset: a collection's changeset on a real Remote
Settings server (kinto_query.testing's), live on both backends and replayed from cassettes."""

from __future__ import annotations

import datetime

import pytest
import requests

from kinto_query import Changeset, Client, InvalidQuery, NotEnabled, Record, verify_signature
from kinto_query.testing import RemoteSettingsServer, publish
from kinto_query.testing.recorder import Recorder

from ..conftest import NoNetwork, RequestLog

REGIONS = [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}]
PATH = "/buckets/main/collections/regions/changeset"


def test_a_whole_changeset_is_typed_and_its_signature_verifies(
    kinto_any_rs_server: RemoteSettingsServer,
) -> None:
    stamp = kinto_any_rs_server.publish("regions", REGIONS)
    client = Client(kinto_any_rs_server.url)
    log = RequestLog(client)
    changeset = client.bucket("main").collection("regions").changeset()
    assert isinstance(changeset, Changeset)
    assert (changeset.bucket, changeset.collection, changeset.timestamp) == ("main", "regions",
                                                                            stamp)
    assert changeset.since is None
    assert sorted((r.id, r.data.name) for r in changeset.changes) == [("de", "Germany"),
                                                                      ("fr", "France")]
    assert all(isinstance(r, Record) and not r.deleted for r in changeset.changes)
    assert changeset.metadata["id"] == "regions"
    assert changeset.signature is not None and changeset.signature["mode"] == "p384ecdsa"
    # expected defaults to the monitor's timestamp of the collection: one small read first.
    assert log.sent == [
        ("GET", "/buckets/monitor/collections/changes/changeset?_expected=0&bucket=main"
                "&collection=regions"),
        ("GET", f"{PATH}?_expected={stamp}"),
    ]
    assert changeset.expected == stamp
    verify_signature(changeset, public_key=kinto_any_rs_server.public_key_pem)


def test_since_an_earlier_changeset_brings_changes_and_tombstones(
    kinto_any_rs_server: RemoteSettingsServer,
) -> None:
    kinto_any_rs_server.publish("regions", REGIONS)
    regions = Client(kinto_any_rs_server.url).bucket("main").collection("regions")
    before = regions.changeset()
    after = kinto_any_rs_server.publish("regions", [{"id": "it", "name": "Italy"}],
                                        delete=["de"])
    later = regions.changeset(since=before)
    assert later.since == before.timestamp and later.timestamp == after
    assert [r.id for r in later.records] == ["it"] and later.deleted == ["de"]
    # What the server holds, read raw: the same two changes.
    raw = requests.get(kinto_any_rs_server.url + PATH, timeout=10, params={
        "_expected": after, "_since": f'"{before.timestamp}"'}).json()
    assert {(c["id"], c.get("deleted", False)) for c in raw["changes"]} == {
        (r.id, r.deleted) for r in later.changes}
    assert regions.changeset(since=later).changes == ()


@pytest.mark.kinto_remote_settings
def test_since_takes_what_other_since_arguments_take(
    kinto_client: Client, kinto_recorder: Recorder
) -> None:
    first = publish(kinto_recorder.server_url, "regions", REGIONS,
                    session=kinto_recorder.new_session())
    publish(kinto_recorder.server_url, "regions", [{"id": "it"}], delete=["fr"],
            session=kinto_recorder.new_session())
    regions = kinto_client.bucket("main").collection("regions")
    log = RequestLog(kinto_client)
    as_datetime = datetime.datetime.fromtimestamp(first / 1000, datetime.timezone.utc)
    results = [regions.changeset(since=since, expected=7)
               for since in (first, f'"{first}"', as_datetime)]
    assert [r.since for r in results] == [first] * 3
    assert {(c.id, c.deleted) for c in results[0].changes} == {("it", False), ("fr", True)}
    # expected given: no monitor read; _since quoted, as kinto-changes requires.
    assert log.sent == [("GET", f"{PATH}?_expected=7&_since=%22{first}%22")] * 3
    newest = regions.changeset(expected=7, limit=1)
    assert [r.id for r in newest.changes] == ["it"]
    assert log.sent[-1] == ("GET", f"{PATH}?_expected=7&_limit=1")


@pytest.mark.parametrize("since", [-1, "yesterday", 1.5,
                                   datetime.datetime(2024, 1, 1)])  # naive: ambiguous
def test_a_since_that_is_no_timestamp_is_refused_before_any_request(
    offline_client: Client, since: object
) -> None:
    with pytest.raises(InvalidQuery, match="since"):
        offline_client.bucket("main").collection("c").changeset(since=since, expected=1)  # type: ignore[arg-type]


def test_a_server_without_kinto_changes_says_so(kinto_fresh_server: str) -> None:
    collection = Client(kinto_fresh_server, auth=("alice", "s3cret")).bucket("b").collection("c")
    with pytest.raises(NotEnabled, match=r"no kinto-changes plugin \(turned on by "
                                         r"kinto_changes in kinto.includes\)"):
        collection.changeset(expected=0)


def test_the_changeset_value_reads_well() -> None:
    client = Client("http://kinto.test/v1", session=NoNetwork())
    tombstone = Record.from_server(client.bucket("main").collection("c"),
                                   {"id": "a", "last_modified": 3, "deleted": True})
    changeset = Changeset("main", "c", 5, {"id": "c"}, (tombstone,), since=2, expected=5)
    assert repr(changeset) == ("<Changeset /buckets/main/collections/c timestamp=5 since=2 "
                               "changes=1>")
    assert changeset.records == [] and changeset.deleted == ["a"] and changeset.signature is None
    with pytest.raises(AttributeError):
        changeset.timestamp = 6  # type: ignore[misc]
