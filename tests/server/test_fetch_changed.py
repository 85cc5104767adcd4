"""Tests of _server/fetch_changed.py: the monitor, then every changed collection's changeset, on a
real
Remote Settings server (kinto_query.testing's), live on both backends and from a cassette."""

from __future__ import annotations

import threading

import pytest

from kinto_query import (
    Changeset,
    Client,
    FetchReport,
    InvalidSignature,
    ServerError,
    SignatureVerifier,
)
from kinto_query.testing import RemoteSettingsServer, publish
from kinto_query.testing.recorder import Recorder

from ..conftest import RequestLog
from ..faultproxy import Fault, FaultProxy

NAMES = [f"c{n}" for n in range(6)]


def test_everything_then_only_what_changed_since(kinto_any_rs_server: RemoteSettingsServer) -> None:
    server = kinto_any_rs_server
    stamps = {name: server.publish(name, [{"id": "a", "n": 1}, {"id": "b"}]) for name in NAMES}
    client = Client(server.url)
    first = client.fetch_changed(concurrency=3)
    assert isinstance(first, FetchReport) and first.unchanged == () and first.failed == []
    assert sorted(f.key for f in first) == [f"main/{n}" for n in NAMES]
    assert all(isinstance(f.changeset, Changeset) and f.since is None for f in first)
    assert {f.collection: f.changeset.timestamp for f in first  # type: ignore[union-attr]
            } == stamps
    assert {f.collection: f.expected for f in first} == stamps
    assert first.timestamps == {f"main/{n}": stamps[n] for n in NAMES}
    # Two collections change: only they are read, since what was seen.
    c1 = server.publish("c1", [{"id": "a", "n": 2}], delete=["b"])
    c4 = server.publish("c4", [{"id": "z"}])
    log = RequestLog(client)  # watches this client's session: one worker uses it
    second = client.fetch_changed(first, concurrency=1)
    assert sorted(second.unchanged) == [f"main/{n}" for n in NAMES if n not in ("c1", "c4")]
    by_name = {f.collection: f for f in second}
    assert sorted(by_name) == ["c1", "c4"]
    one = by_name["c1"].changeset
    assert one is not None and one.since == stamps["c1"] and one.timestamp == c1
    assert sorted((r.id, r.deleted) for r in one.changes) == [("a", False), ("b", True)]
    assert second.timestamps == {**first.timestamps, "main/c1": c1, "main/c4": c4}
    assert sorted(path for _, path in log.sent) == sorted([
        "/buckets/monitor/collections/changes/changeset?_expected=0",
        f"/buckets/main/collections/c1/changeset?_expected={c1}&_since=%22{stamps['c1']}%22",
        f"/buckets/main/collections/c4/changeset?_expected={c4}&_since=%22{stamps['c4']}%22",
    ])
    assert client.fetch_changed(second).fetched == ()


def test_one_failure_loses_nothing_else_and_is_fetched_again(
    kinto_fresh_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_fresh_rs_server
    for name in NAMES:
        server.publish(name, [{"id": "a"}])
    with FaultProxy(server.url) as proxy:
        proxy.inject(Fault.UNAVAILABLE, path_contains="/collections/c2/changeset")
        client = Client(proxy.url, retry=None)
        report = client.fetch_changed(concurrency=4)
        assert [f.key for f in report.failed] == ["main/c2"]
        assert isinstance(report.failed[0].error, ServerError)
        assert len(report.succeeded) == 5 and "main/c2" not in report.timestamps
        assert report.summary().startswith("6 changed, 5 fetched, 1 failed, 0 unchanged; "
                                           "main/c2: GET ")
        proxy.clear()
        again = client.fetch_changed(report)  # resumes: only the one that failed
        assert [(f.key, f.ok, f.since) for f in again] == [("main/c2", True, None)]
        assert len(again.unchanged) == 5


def test_verify_runs_on_each_changeset_and_its_failure_is_that_collections(
    kinto_fresh_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_fresh_rs_server
    for name in NAMES[:3]:
        server.publish(name, [{"id": "a"}])
    client = Client(server.url)
    good = client.fetch_changed(verify=SignatureVerifier(public_key=server.public_key_pem).verify)
    assert len(good.succeeded) == 3
    with RemoteSettingsServer() as other:  # another signer's key
        wrong = SignatureVerifier(public_key=other.public_key_pem).verify
        bad = client.fetch_changed(verify=wrong)
    assert len(bad.failed) == 3 and all(isinstance(f.error, InvalidSignature) for f in bad)
    assert bad.timestamps == {}


def test_at_most_concurrency_requests_are_in_flight(
    kinto_fresh_rs_server: RemoteSettingsServer,
) -> None:
    for name in NAMES:
        kinto_fresh_rs_server.publish(name, [{"id": "a"}])
    with FaultProxy(kinto_fresh_rs_server.url, latency=0.2) as proxy:
        client = Client(proxy.url)
        in_flight, peak, lock = 0, 0, threading.Lock()

        original = client.transport.copy

        def counting_copy() -> object:  # each worker's own transport, counted as it sends
            twin = original()
            send = twin.send

            def counted(*args: object, **kwargs: object) -> object:
                nonlocal in_flight, peak
                with lock:
                    in_flight += 1
                    peak = max(peak, in_flight)
                try:
                    return send(*args, **kwargs)  # type: ignore[arg-type]
                finally:
                    with lock:
                        in_flight -= 1

            twin.send = counted  # type: ignore[method-assign]
            return twin

        client.transport.copy = counting_copy  # type: ignore[method-assign]
        report = client.fetch_changed(concurrency=2)
    assert len(report.succeeded) == 6 and peak == 2


@pytest.mark.kinto_remote_settings
def test_fetch_changed_replays(kinto_client: Client, kinto_recorder: Recorder) -> None:
    stamps = [publish(kinto_recorder.server_url, name, [{"id": "a"}],
                      session=kinto_recorder.new_session()) for name in NAMES[:3]]
    report = kinto_client.fetch_changed(bucket="main")
    expected = list(zip(NAMES[:3], stamps, strict=True))
    assert sorted((f.collection, f.expected) for f in report) == expected
    assert all(f.changeset is not None and [r.id for r in f.changeset.records] == ["a"]
               for f in report)


def test_seen_is_checked_before_any_request(offline_client: Client) -> None:
    with pytest.raises(TypeError, match="seen maps 'bucket/collection' to a timestamp"):
        offline_client.fetch_changed({"main": 1})
    with pytest.raises(ValueError, match="concurrency must be a whole number >= 1"):
        offline_client.fetch_changed(concurrency=0)
