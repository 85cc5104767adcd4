"""Tests of _server/_async/changeset.py, _server/_async/monitor.py and
_server/_async/fetch_changed.py: changesets, the
monitor and fetch_changed awaited, on the kit's Remote Settings server; what was sent is
watched through a loopback proxy, what the server holds read raw."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kinto_query import (
    Changeset,
    FetchReport,
    InvalidSignature,
    MonitorEntry,
    MonitorSnapshot,
    NotEnabled,
    ServerError,
    SignatureVerifier,
    verify_signature,
)
from kinto_query.aio import AsyncClient, AsyncRecord, AsyncSignatureVerifier
from kinto_query.testing import RemoteSettingsServer

from ..faultproxy import Fault, FaultProxy

pytestmark = pytest.mark.anyio

REGIONS = [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}]
PATH = "/buckets/main/collections/regions/changeset"
MONITOR = "/buckets/monitor/collections/changes/changeset"
NAMES = [f"c{n}" for n in range(6)]


@pytest.fixture
def proxy(kinto_fresh_rs_server: RemoteSettingsServer) -> Iterator[FaultProxy]:
    with FaultProxy(kinto_fresh_rs_server.url) as proxy:
        yield proxy


def sent(proxy: FaultProxy) -> list[tuple[str, str]]:
    return [(method, target) for method, target, _outcome in proxy.log]


async def test_a_whole_changeset_then_what_changed_since(
    kinto_any_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_any_rs_server
    stamp = server.publish("regions", REGIONS)
    async with AsyncClient(server.url) as client:
        regions = client.bucket("main").collection("regions")
        changeset = await regions.changeset()
        assert isinstance(changeset, Changeset)
        assert (changeset.bucket, changeset.collection, changeset.timestamp) == (
            "main", "regions", stamp)
        assert changeset.expected == stamp and changeset.since is None
        assert all(isinstance(r, AsyncRecord) and not r.deleted for r in changeset.changes)
        assert sorted((r.id, r.data.name) for r in changeset.changes) == [("de", "Germany"),
                                                                          ("fr", "France")]
        assert changeset.signature is not None and changeset.signature["mode"] == "p384ecdsa"
        verify_signature(changeset, public_key=server.public_key_pem)

        after = server.publish("regions", [{"id": "it", "name": "Italy"}], delete=["de"])
        later = await regions.changeset(since=changeset)
        assert later.since == stamp and later.timestamp == after
        assert [r.id for r in later.records] == ["it"] and later.deleted == ["de"]
        raw = requests.get(server.url + PATH, timeout=10, params={
            "_expected": after, "_since": f'"{stamp}"'}).json()
        assert {(c["id"], c.get("deleted", False)) for c in raw["changes"]} == {
            (r.id, r.deleted) for r in later.changes}
        assert (await regions.changeset(since=later)).changes == ()


async def test_the_requests_sent_are_the_sync_ones(kinto_fresh_rs_server: RemoteSettingsServer,
                                                   proxy: FaultProxy) -> None:
    stamp = kinto_fresh_rs_server.publish("regions", REGIONS)
    async with AsyncClient(proxy.url) as client:
        regions = client.bucket("main").collection("regions")
        await regions.changeset()
        assert sent(proxy) == [
            ("GET", f"/v1{MONITOR}?_expected=0&bucket=main&collection=regions"),
            ("GET", f"/v1{PATH}?_expected={stamp}"),
        ]
        await regions.changeset(since=1700000000000, expected=5, limit=1)
        assert sent(proxy)[-1] == (
            "GET", f"/v1{PATH}?_expected=5&_since=%221700000000000%22&_limit=1")


async def test_the_monitor_lists_each_collection(kinto_fresh_rs_server: RemoteSettingsServer,
                                                 proxy: FaultProxy) -> None:
    stamp = kinto_fresh_rs_server.publish("regions", REGIONS)
    async with AsyncClient(proxy.url) as client:
        monitor = client.monitor().filter(bucket="main")
        assert monitor.url == f"{proxy.url}{MONITOR}?_expected=0&bucket=main"
        assert sent(proxy) == []  # built, not sent
        snapshot = await monitor.read()
        assert isinstance(snapshot, MonitorSnapshot) and snapshot.timestamp >= stamp
        entries = [entry async for entry in monitor]
        assert entries == list(snapshot)
        assert [(e.key, e.last_modified) for e in entries] == [("main/regions", stamp)]
        assert all(isinstance(e, MonitorEntry) for e in entries)
        assert [entry async for entry in monitor.since(snapshot)] == []
        assert sent(proxy)[-1] == (
            "GET", f"/v1{MONITOR}?_expected=0&_since=%22{snapshot.timestamp}%22&bucket=main")


async def test_a_server_without_kinto_changes_says_so(kinto_fresh_server: str) -> None:
    async with AsyncClient(kinto_fresh_server) as client:
        with pytest.raises(NotEnabled, match="kinto-changes plugin"):
            await client.monitor().read()
        with pytest.raises(NotEnabled, match="kinto-changes plugin"):
            await client.bucket("main").collection("regions").changeset(expected=0)


async def test_fetch_changed_everything_then_only_what_changed(
    kinto_any_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_any_rs_server
    stamps = {name: server.publish(name, [{"id": "a", "n": 1}, {"id": "b"}]) for name in NAMES}
    async with AsyncClient(server.url) as client:
        before = set(asyncio.all_tasks())
        first = await client.fetch_changed(concurrency=3)
        assert set(asyncio.all_tasks()) == before  # no task outlives it
        assert isinstance(first, FetchReport) and first.unchanged == () and first.failed == []
        assert [f.key for f in first] == [e.key for e in await client.monitor().read()]
        assert {f.collection: f.changeset.timestamp for f in first  # type: ignore[union-attr]
                } == stamps
        assert first.timestamps == {f"main/{n}": stamps[n] for n in NAMES}
        c1 = server.publish("c1", [{"id": "a", "n": 2}], delete=["b"])
        second = await client.fetch_changed(first, concurrency=1)
        assert [f.collection for f in second] == ["c1"] and len(second.unchanged) == 5
        one = second.fetched[0].changeset
        assert one is not None and one.since == stamps["c1"] and one.timestamp == c1
        assert sorted((r.id, r.deleted) for r in one.changes) == [("a", False), ("b", True)]
        assert (await client.fetch_changed(second)).fetched == ()


async def test_fetch_changed_one_failure_loses_nothing_else(
    kinto_fresh_rs_server: RemoteSettingsServer, proxy: FaultProxy,
) -> None:
    for name in NAMES:
        kinto_fresh_rs_server.publish(name, [{"id": "a"}])
    proxy.inject(Fault.UNAVAILABLE, path_contains="/collections/c2/changeset")
    async with AsyncClient(proxy.url, retry=None) as client:
        report = await client.fetch_changed(concurrency=4)
        assert [f.key for f in report.failed] == ["main/c2"]
        assert isinstance(report.failed[0].error, ServerError)
        assert len(report.succeeded) == 5 and "main/c2" not in report.timestamps
        assert report.summary().startswith("6 changed, 5 fetched, 1 failed, 0 unchanged; "
                                           "main/c2: GET ")
        proxy.clear()
        again = await client.fetch_changed(report)
        assert [(f.key, f.ok, f.since) for f in again] == [("main/c2", True, None)]


async def test_fetch_changed_verifies_each_changeset(
    kinto_fresh_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_fresh_rs_server
    server.publish("c0", [{"id": "a"}])
    server.publish("c1", [{"id": "b"}])
    verifier = SignatureVerifier(public_key=server.public_key_pem)
    seen: list[str] = []

    def verify(changeset: Changeset[Any]) -> None:
        seen.append(changeset.collection)
        verifier.verify(changeset)
        if changeset.collection == "c1":
            raise InvalidSignature("c1 refused", check="signature")

    async with AsyncClient(server.url) as client:
        report = await client.fetch_changed(verify=verify)
    assert sorted(seen) == ["c0", "c1"]
    assert [f.key for f in report.succeeded] == ["main/c0"]
    assert [(f.key, str(f.error)) for f in report.failed] == [("main/c1", "c1 refused")]
    with pytest.raises(ValueError, match="concurrency must be a whole number >= 1, got 0"):
        await client.fetch_changed(concurrency=0)


async def test_an_x5u_chain_is_fetched_awaited_and_a_verify_that_awaits_is_refused(
    kinto_fresh_rs_server: RemoteSettingsServer,
) -> None:
    """The kit's signer names no x5u: the verifier says so (it would fetch it, awaited, through
    the client's transport); a public key needs no fetch. An async verify= in fetch_changed
    would leave changesets unchecked: refused."""
    server = kinto_fresh_rs_server
    server.publish("regions", REGIONS)
    async with AsyncClient(server.url) as client:
        changeset = await client.bucket("main").collection("regions").changeset()
        pinned = AsyncSignatureVerifier(root_hash="AB" * 32, transport=client.transport)
        with pytest.raises(InvalidSignature, match="x5u is empty") as caught:
            await pinned.verify(changeset)
        assert caught.value.check == "x5u"
        await AsyncSignatureVerifier(public_key=server.public_key_pem).verify(changeset)
        with pytest.raises(TypeError, match="verify= is called on each changeset, not awaited"):
            await client.fetch_changed(
                verify=AsyncSignatureVerifier(public_key=server.public_key_pem).verify)


async def test_the_chain_at_an_x5u_is_fetched_once_awaited() -> None:
    """The chain at an x5u is fetched once (then cached), then checked to the root."""
    fetched: list[str] = []

    async def verify_twice(verifier: AsyncSignatureVerifier, changeset: dict[str, Any]) -> None:
        for _ in range(2):
            with pytest.raises(InvalidSignature) as caught:
                await verifier.verify(changeset)
            assert caught.value.check == "chain"  # not a PEM chain: checked after the fetch

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return b"not a chain"

    changeset = {"metadata": {"id": "regions", "signature": {
        "mode": "p384ecdsa", "signature": "A" * 128, "x5u": "https://cdn.example/chain.pem"}},
        "timestamp": 1, "changes": []}
    await verify_twice(AsyncSignatureVerifier(root_hash="AB" * 32, fetch=fetch), changeset)
    assert fetched == ["https://cdn.example/chain.pem"]
