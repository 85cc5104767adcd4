"""Tests of _server/_blocking/monitor.py: the Remote Settings monitor on a real server
(kinto_query.testing's),
replayed from cassettes and live (its 307 for an old _since)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from kinto_query import Client, InvalidId, MonitorEntry, MonitorSnapshot
from kinto_query.testing import RemoteSettingsServer, publish
from kinto_query.testing.recorder import Recorder

from ..conftest import RequestLog

MONITOR = "/buckets/monitor/collections/changes/changeset"


@pytest.mark.kinto_remote_settings
def test_entries_filters_and_since(kinto_client: Client, kinto_recorder: Recorder) -> None:
    def send(collection: str, n: int) -> int:
        return publish(kinto_recorder.server_url, collection, [{"id": "r", "n": n}],
                       session=kinto_recorder.new_session())

    regions, fonts, later = send("regions", 1), send("fonts", 1), send("regions", 2)
    log = RequestLog(kinto_client)
    monitor = kinto_client.monitor()
    host = urlsplit(kinto_client.server_url).netloc
    snapshot = monitor.read()
    assert isinstance(snapshot, MonitorSnapshot) and snapshot.timestamp == later
    assert sorted((e.bucket, e.collection, e.last_modified, e.host) for e in snapshot) == [
        ("main", "fonts", fonts, host), ("main", "regions", later, host)]
    assert all(isinstance(e, MonitorEntry) and e.key == f"main/{e.collection}"
               for e in snapshot)
    assert [e.collection for e in monitor.filter(collection="fonts")] == ["fonts"]
    assert [e.collection for e in monitor.filter(bucket="nope")] == []
    # since: only what changed after it; a snapshot or an entry stands for its timestamp.
    assert [e.last_modified for e in monitor.since(fonts)] == [later]
    assert [e.collection for e in monitor.since(snapshot)] == []
    fonts_entry = next(e for e in snapshot if e.collection == "fonts")
    assert [e.collection for e in monitor.since(fonts_entry)] == ["regions"]
    assert log.sent == [
        ("GET", f"{MONITOR}?_expected=0"),
        ("GET", f"{MONITOR}?_expected=0&collection=fonts"),
        ("GET", f"{MONITOR}?_expected=0&bucket=nope"),
        ("GET", f"{MONITOR}?_expected=0&_since=%22{fonts}%22"),
        ("GET", f"{MONITOR}?_expected=0&_since=%22{later}%22"),
        ("GET", f"{MONITOR}?_expected=0&_since=%22{fonts}%22"),
    ]
    assert regions < fonts < later


def test_an_old_since_is_redirected_and_the_whole_list_comes(
    kinto_any_rs_server: RemoteSettingsServer,
) -> None:
    stamp = kinto_any_rs_server.publish("regions", [{"id": "r"}])
    client = Client(kinto_any_rs_server.url, auth=("alice", "s3cret"))
    log = RequestLog(client)
    entries = list(client.monitor().since(1))  # older than since_max_age_days: 307
    assert [(e.collection, e.last_modified) for e in entries] == [("regions", stamp)]
    # The 307, then where it led: the same origin (http_host), so credentials go along.
    assert log.sent == [("GET", f"{MONITOR}?_expected=0&_since=%221%22"),
                        ("GET", f"{MONITOR}?_expected=0")]
    assert all("Authorization" in r.headers for r in log.requests)


def test_the_monitor_is_described_without_a_request(offline_client: Client) -> None:
    monitor = offline_client.monitor().filter(bucket="main", collection="regions").expect(5)
    assert monitor.url == ("http://localhost:8888/v1/buckets/monitor/collections/changes/"
                           "changeset?_expected=5&bucket=main&collection=regions")
    assert monitor.since('"17"').params["_since"] == '"17"'
    assert "_since" not in monitor.params  # builders return new monitors
    with pytest.raises(InvalidId):
        offline_client.monitor().filter(bucket="no/pe")
