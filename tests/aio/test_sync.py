"""Tests of AsyncCollection.diff/sync (written once in _objects/_async/collection.py over the pure
_server/diff.py and _server/sync.py): live on real Kinto servers, what they hold read raw; dry runs
leave
every byte as it was and plan what the real run does; and the README's "Publishing to Remote
Settings" awaited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kinto_query import BatchError, Client, SignerOwned, SyncReport, verify_signature
from kinto_query.aio import AsyncClient, AsyncCollection
from kinto_query.testing import RemoteSettingsServer

from ..conftest import AUTH, R1, R2, R3, TODO, own, raw_dump, raw_get, raw_put_record
from ..faultproxy import FaultProxy
from .sent import log_of

pytestmark = pytest.mark.anyio


def held(url: str, path: str = TODO) -> dict[str, dict[str, Any]]:
    """Every record of the collection as the server holds it, read raw."""
    return {r["id"]: r for r in raw_get(url, f"{path}/records")["data"]}


def seed(url: str) -> None:
    """alice's w/todo holding r1, r2, r3 (R1, R2, R3), written raw."""
    Client(url, auth=AUTH).bucket("w").create(exist_ok=True).create_collection("todo")
    for record_id, data in (("r1", R1), ("r2", R2), ("r3", R3)):
        raw_put_record(url, record_id, data)


@pytest.fixture
async def todo(kinto_any_server: str) -> AsyncIterator[AsyncCollection]:
    seed(kinto_any_server)
    async with AsyncClient(kinto_any_server, auth=AUTH) as client:
        yield client.bucket("w").collection("todo")


WANTED = [{"id": "r1", **R1, "title": "A"}, {"id": "r2", **R2}, {"id": "r4", "title": "new"}]


async def test_sync_creates_updates_and_deletes(todo: AsyncCollection,
                                                kinto_any_server: str) -> None:
    diff = await todo.diff(WANTED)
    assert diff.summary() == "1 to create, 1 to update, 1 to delete, 1 unchanged"
    assert [change.id for change in diff.to_update] == ["r1"]
    report = await todo.sync(WANTED, delete=True)
    assert isinstance(report, SyncReport) and report.ok
    assert (report.created, report.updated, report.deleted) == (("r4",), ("r1",), ("r3",))
    assert report.summary() == "created 1, updated 1, deleted 1, unchanged 1"
    assert {i: own(r) for i, r in held(kinto_any_server).items()} == {
        "r1": {**R1, "title": "A"}, "r2": R2, "r4": {"title": "new"}}
    assert (await todo.diff(WANTED)).in_sync


async def test_sync_keeps_what_the_list_lacks_unless_delete(todo: AsyncCollection,
                                                            kinto_any_server: str) -> None:
    report = await todo.sync([{"id": "r1", **R1}, {"id": "r2", **R2, "n": 5}])
    assert report.updated == ("r2",) and report.deleted == () and report.kept == 1
    assert set(held(kinto_any_server)) == {"r1", "r2", "r3"}


async def test_a_change_between_scan_and_write_is_a_conflict_not_an_overwrite(
        todo: AsyncCollection, kinto_any_server: str) -> None:
    url = kinto_any_server
    diff = await todo.diff([{"id": "r1", "title": "mine"}, {"id": "r2", "title": "mine"},
                            {"id": "r5", "title": "mine"}])
    raw_put_record(url, "r1", {"title": "theirs"})  # changed after the scan
    raw_put_record(url, "r5", {"title": "theirs"})  # created after the scan
    raw_put_record(url, "r3", {"title": "theirs"})  # changed after the scan, to be deleted
    with pytest.raises(BatchError) as caught:
        await todo.sync(diff, delete=True)
    report = caught.value.report
    assert isinstance(report, SyncReport)
    assert [(c.id, c.status) for c in report.conflicts] == [("r5", 412), ("r1", 412), ("r3", 412)]
    assert report.updated == ("r2",) and report.created == () and report.deleted == ()
    assert {i: r["title"] for i, r in held(url).items()} == {
        "r1": "theirs", "r2": "mine", "r3": "theirs", "r5": "theirs"}


async def test_a_sync_from_another_collections_query(todo: AsyncCollection,
                                                     kinto_any_server: str) -> None:
    copy = await todo.bucket.create_collection("copy")
    report = await copy.sync(todo.filter(status="todo"))
    assert sorted(report.created) == ["r1", "r3"]
    assert {i: own(r) for i, r in held(kinto_any_server, "/buckets/w/collections/copy").items()
            } == {"r1": R1, "r3": R3}
    assert (await copy.diff(todo.dicts().filter(status="todo"))).in_sync


async def test_nothing_to_change_sends_only_the_scan(kinto_fresh_server: str) -> None:
    seed(kinto_fresh_server)
    with FaultProxy(kinto_fresh_server) as proxy:
        async with AsyncClient(proxy.url, auth=AUTH) as client:
            report = await client.bucket("w").collection("todo").sync(
                [{"id": "r1", **R1}, {"id": "r2", **R2}, {"id": "r3", **R3}], delete=True)
        assert [(m, t) for m, t, _ in proxy.log] == [("GET", f"/v1{TODO}/records")]
    assert report.report.requests_sent == 0 and report.ok and report.diff.in_sync


async def test_a_dry_sync_changes_nothing_and_plans_the_real_run(kinto_any_server: str) -> None:
    url = kinto_any_server
    seed(url)
    before = raw_dump(url)
    async with AsyncClient(url, auth=AUTH, dry_run=True) as dry:
        planned = await dry.bucket("w").collection("todo").sync(WANTED, delete=True)
        log = [str(write) for write in dry.dry_run_log]
    assert raw_dump(url) == before
    # The sync client plans the same writes, to the character.
    rehearsal = Client(url, auth=AUTH, dry_run=True)
    assert rehearsal.bucket("w").collection("todo").sync(WANTED, delete=True).summary() == \
        planned.summary()
    assert [str(write) for write in rehearsal.dry_run_log] == log
    assert raw_dump(url) == before
    async with AsyncClient(url, auth=AUTH) as client:
        real = await client.bucket("w").collection("todo").sync(WANTED, delete=True)
    assert (real.created, real.updated, real.deleted) == (
        planned.created, planned.updated, planned.deleted)
    assert real.summary() == planned.summary() == "created 1, updated 1, deleted 1, unchanged 1"
    assert sorted(log) == sorted([
        "PUT /buckets/w/collections/todo/records/r4 (If-None-Match: *) -> 201 created",
        f"PUT /buckets/w/collections/todo/records/r1 (If-Match: "
        f"\"{before_modified(before, 'r1')}\") -> 200 replaced",
        f"DELETE /buckets/w/collections/todo/records/r3 (If-Match: "
        f"\"{before_modified(before, 'r3')}\") -> 200 deleted",
    ])


def before_modified(dump: dict[str, bytes], record_id: str) -> int:
    record: dict[str, Any] = json.loads(dump[f"{TODO}/records/{record_id}"])["data"]
    modified: int = record["last_modified"]
    return modified


async def test_publishing_to_remote_settings_as_the_readme_does(
        kinto_any_rs_server: RemoteSettingsServer) -> None:
    server = kinto_any_rs_server
    server.publish("regions", [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}])
    truth = [{"id": "fr", "name": "France"}, {"id": "it", "name": "Italy"}]
    before = raw_dump(server.url)

    async with AsyncClient(server.url, auth=("ed", "ed-secret"), dry_run=True) as rehearsal:
        plan = await rehearsal.bucket("main-workspace").collection("regions").sync(
            truth, delete=True)
        assert plan.summary() == "created 1, updated 0, deleted 1, unchanged 1"
        assert len(rehearsal.dry_run_log) == 2
    assert raw_dump(server.url) == before

    async with AsyncClient(server.url, auth=("ed", "ed-secret")) as editor:
        workspace = editor.bucket("main-workspace").collection("regions")
        assert (await workspace.sync(truth, delete=True)).summary() == plan.summary()
        assert (await workspace.request_review("Italy in, Germany out")).status == "to-review"
        with pytest.raises(SignerOwned, match="main-workspace"):
            await editor.bucket("main").collection("regions").sync(truth)

    async with AsyncClient(server.url, auth=("rev", "rev-secret")) as reviewer:
        approved = await reviewer.bucket("main-workspace").collection("regions").approve()
        assert approved.status == "signed"
        published = await reviewer.bucket("main").collection("regions").changeset()
    verify_signature(published, public_key=server.public_key_pem)
    assert sorted(r.id for r in published.records) == ["fr", "it"]
    raw = raw_get(server.url, "/buckets/main/collections/regions/changeset?_expected=0")
    assert sorted(r["id"] for r in raw["changes"]) == ["fr", "it"]


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def _cassette_todo(client: AsyncClient) -> AsyncCollection:
    """w/todo holding r1, r2, r3 (R1, R2, R3), written through the client (so the cassette
    holds the writes too)."""
    bucket = await client.bucket("w").create()
    todo = await bucket.create_collection("todo")
    await todo.create_records({"id": record_id, **data}
                              for record_id, data in (("r1", R1), ("r2", R2), ("r3", R3)))
    return todo


async def test_cassette_diff_then_sync(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        todo = await _cassette_todo(client)
        sent = log_of(client)
        diff = await todo.diff(WANTED)
        assert sent == [("GET", f"{TODO}/records")]  # one scan, nothing written
        assert diff.summary() == "1 to create, 1 to update, 1 to delete, 1 unchanged"
        assert [change.id for change in diff.to_update] == ["r1"]
        report = await todo.sync(diff, delete=True)  # the diff applied as it is: no rescan
        assert isinstance(report, SyncReport) and report.ok
        assert (report.created, report.updated, report.deleted) == (("r4",), ("r1",), ("r3",))
        assert report.summary() == "created 1, updated 1, deleted 1, unchanged 1"
        held = {r.id: own(r.data.to_dict()) async for r in todo.records()}
        assert (await todo.diff(WANTED)).in_sync
    assert held == {"r1": {**R1, "title": "A"}, "r2": R2, "r4": {"title": "new"}}
    assert sent[1:3] == [("POST", "/batch"), ("GET", f"{TODO}/records")]


async def test_cassette_sync_conflict_is_a_batch_error(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        todo = await _cassette_todo(client)
        diff = await todo.diff([{"id": "r1", "title": "mine"}, {"id": "r2", "title": "mine"}])
        await todo.update_record("r1", {"title": "theirs"})  # changed after the scan
        with pytest.raises(BatchError, match=r"conflict \['r1'\]") as caught:
            await todo.sync(diff)
        report = caught.value.report
        assert isinstance(report, SyncReport)
        assert [(c.id, c.status) for c in report.conflicts] == [("r1", 412)]
        assert report.updated == ("r2",)
        assert (await todo.get_record("r1")).data.title == "theirs"  # not overwritten
        nothing = await todo.sync([{"id": "r2", "title": "mine"}])
        # Nothing to write: only the scan is sent; r1 and r3, not in the list, stay.
        assert nothing.summary() == ("created 0, updated 0, deleted 0, unchanged 1, "
                                     "2 not in the list kept (delete=True deletes them)")
