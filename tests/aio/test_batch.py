"""Bulk writes on the async side (kinto_query._objects._async.batch), live on both backends: reports
item by item against the server read raw, chunks at the server's limit, chunks at once
bounded, faults through the loopback proxy, and a cancellation mid-write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

from kinto_query import BatchError, Outgoing, Request, Response, RetryPolicy
from kinto_query._objects._async.batch import send_batch
from kinto_query._report import BatchItem, BatchReport
from kinto_query.aio import AsyncClient, AsyncCollection, AsyncTransport, HttpxWire
from kinto_query.testing import KintoServer

from ..conftest import AUTH, raw, raw_get
from ..faultproxy import Fault, FaultProxy
from .sent import log_of

pytestmark = pytest.mark.anyio

RECORDS = "/buckets/f/collections/c/records"
QUICK = RetryPolicy(sleep=lambda seconds: None)


class CountingWire:
    """An ``HttpxWire`` that keeps every request it carries and counts those in flight."""

    def __init__(self) -> None:
        self.inner = HttpxWire()
        self.agent = self.inner.agent
        self.sent: list[Request] = []
        self.now = 0
        self.most = 0

    async def exchange(self, out: Outgoing) -> Response:
        self.sent.append(out.request)
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await self.inner.exchange(out)
        finally:
            self.now -= 1

    async def sleep(self, policy: RetryPolicy | None, seconds: float) -> None:
        await self.inner.sleep(policy, seconds)

    def has_credentials(self) -> bool:
        return False

    async def aclose(self) -> None:
        await self.inner.aclose()

    def batches(self) -> list[list[str]]:
        """The paths each ``POST /batch`` carried."""
        return [[sub["path"] for sub in r.body["requests"]] for r in self.sent
                if r.method == "POST" and r.path == "/batch"]


def create(record_id: str, n: int) -> BatchItem:
    """A create, as create_records() builds it (only if the id is free)."""
    return BatchItem(Request("PUT", f"{RECORDS}/{record_id}", {"data": {"n": n}},
                             {"If-None-Match": "*"}), record_id)


def held(url: str) -> dict[str, int]:
    """Every record's n as the server holds it, read raw (never through kinto_query)."""
    found: dict[str, int] = {}
    next_url: str | None = url + RECORDS
    while next_url:
        answer = raw("GET", next_url, "")
        answer.raise_for_status()
        found.update((r["id"], r.get("n")) for r in answer.json()["data"])
        next_url = answer.headers.get("Next-Page")
    return found


def collection(url: str) -> None:
    for path in ("/buckets/f", "/buckets/f/collections/c"):
        raw("PUT", url, path, {"data": {}}).raise_for_status()


def assert_exact(report: BatchReport, url: str, wanted: dict[str, int]) -> None:
    """Every item reported once; reported saved == on the server with our value."""
    on_server = held(url)
    assert report.total == len(wanted)
    ours = {key for key, n in on_server.items() if wanted.get(key) == n}
    assert set(report.succeeded) == ours


@pytest.fixture
async def counted(kinto_any_server: str) -> AsyncIterator[tuple[AsyncTransport, CountingWire]]:
    collection(kinto_any_server)
    wire = CountingWire()
    async with AsyncTransport(kinto_any_server, auth=AUTH, wire=wire) as transport:
        yield transport, wire
    await wire.aclose()


# -- reports, item by item -----------------------------------------------------------------------


async def test_each_item_is_reported_as_the_server_answered_it(
    counted: tuple[AsyncTransport, CountingWire], kinto_any_server: str,
) -> None:
    transport, wire = counted
    url = kinto_any_server
    raw("PUT", url, f"{RECORDS}/r3", {"data": {"n": -1}}).raise_for_status()
    wanted = {f"r{i}": i for i in range(40)}
    items: list[BatchItem | None] = [create(key, n) for key, n in wanted.items()]
    items[7] = None  # nothing to send: the others keep their numbering
    gone = BatchItem(Request("DELETE", f"{RECORDS}/nope"), "nope")
    report = await send_batch(transport, [*items, gone])
    assert report.succeeded == [f"r{i}" for i in range(40) if i not in (3, 7)]
    assert report.succeeded_at == [i for i in range(40) if i not in (3, 7)]
    assert [(f.index, f.id, f.status) for f in report.conflicts] == [(3, "r3", 412)]
    assert report.conflicts[0].existing is not None
    assert report.conflicts[0].existing["n"] == -1
    assert [(f.index, f.id, f.status) for f in report.missing] == [(40, "nope", 404)]
    assert report.created == report.succeeded
    on_server = held(url)
    assert on_server == {**{k: v for k, v in wanted.items() if k != "r7"}, "r3": -1}
    assert raw_get(url, f"{RECORDS}/r5")["data"]["n"] == 5
    assert report.chunks == 2 and report.requests_sent == 2
    # The server's limit read once (GET /v1/), then the two batches.
    assert [(r.method, r.path) for r in wire.sent] == [("GET", "/"), ("POST", "/batch"),
                                                       ("POST", "/batch")]


async def test_chunks_hold_the_servers_limit_and_no_more() -> None:
    with KintoServer(settings={"batch_max_requests": 10}) as server:
        collection(server.url)
        wire = CountingWire()
        async with AsyncTransport(server.url, auth=AUTH, wire=wire) as transport:
            report = await send_batch(transport, (create(f"r{i:02d}", i) for i in range(23)))
            with pytest.raises(ValueError, match="above the server's limit of 10"):
                await send_batch(transport, [create("x", 0)], chunk_size=26)
        await wire.aclose()
        assert [len(paths) for paths in wire.batches()] == [10, 10, 3]
        assert report.ok and report.chunks == 3
        assert_exact(report, server.url, {f"r{i:02d}": i for i in range(23)})


async def test_an_on_success_callback_gets_the_servers_answer(
    counted: tuple[AsyncTransport, CountingWire],
) -> None:
    transport, _ = counted
    received: list[dict[str, Any]] = []
    item = BatchItem(Request("PUT", f"{RECORDS}/a", {"data": {"n": 1}}), "a", received.append)
    await send_batch(transport, [item])
    assert [body["data"]["n"] for body in received] == [1]


# -- chunks at once ------------------------------------------------------------------------------


@pytest.fixture
def slow(kinto_any_server: str) -> Iterator[tuple[str, FaultProxy]]:
    """The server behind a loopback proxy adding 50 ms per request."""
    collection(kinto_any_server)
    with FaultProxy(kinto_any_server, seed=5, latency=0.05) as proxy:
        yield kinto_any_server, proxy


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_chunks_in_flight_are_bounded_and_filed_in_order(
    slow: tuple[str, FaultProxy], concurrency: int,
) -> None:
    url, proxy = slow
    wire = CountingWire()
    wanted = {f"r{i:03d}": i for i in range(200)}
    seen: list[int] = []
    async with AsyncTransport(proxy.url, auth=AUTH, wire=wire) as transport:
        await transport.server_info()
        report = await send_batch(transport, (create(k, v) for k, v in wanted.items()),
                                  concurrency=concurrency,
                                  progress=lambda r: seen.append(r.total))
    await wire.aclose()
    assert wire.most == concurrency  # never more; and as many as allowed, over a slow link
    assert report.succeeded == list(wanted)  # in input order, though chunks ran at once
    assert seen == [25 * n for n in range(1, 9)]
    assert_exact(report, url, wanted)


async def test_concurrency_must_be_a_positive_whole_number(
    counted: tuple[AsyncTransport, CountingWire],
) -> None:
    transport, wire = counted
    with pytest.raises(ValueError, match="concurrency"):
        await send_batch(transport, [create("a", 1)], concurrency=0)
    assert wire.sent == []


# -- faults: the fault proxy between us and the server -----------------------------------------


@pytest.fixture
def faulty(kinto_any_server: str) -> Iterator[tuple[str, FaultProxy]]:
    collection(kinto_any_server)
    with FaultProxy(kinto_any_server, seed=11) as proxy:
        yield kinto_any_server, proxy


async def test_a_chunk_applied_then_its_answer_lost_is_read_back_not_sent_again(
    faulty: tuple[str, FaultProxy],
) -> None:
    url, proxy = faulty
    proxy.fail_next(Fault.GATEWAY_AFTER, methods={"POST"})  # applied, then a 502
    wanted = {f"r{i}": i for i in range(10)}
    async with AsyncTransport(proxy.url, auth=AUTH, retry=QUICK) as transport:
        report = await send_batch(transport, (create(k, v) for k, v in wanted.items()))
    assert report.ok and report.conflicts == []  # not "already exists": it was ours
    assert report.succeeded == list(wanted)
    assert report.created == []  # found applied by reading back: whether it existed is unknown
    posts = [line for line in proxy.log if line[0] == "POST"]
    assert [outcome for *_, outcome in posts] == ["GATEWAY_AFTER", "forwarded"]  # batch, reads
    assert_exact(report, url, wanted)


@pytest.mark.parametrize("fault", [Fault.GATEWAY_AFTER, Fault.RESET_AFTER, Fault.UNAVAILABLE])
async def test_chunks_at_once_under_faults_report_what_the_server_holds(
    faulty: tuple[str, FaultProxy], fault: Fault,
) -> None:
    url, proxy = faulty
    proxy.inject(fault, methods={"POST"}, rate=0.5)
    wanted = {f"r{i:03d}": i for i in range(150)}
    # Half the POSTs fail: with 5 attempts a chunk fails them all once in 32 (a failed item,
    # rightly reported, but not what this test is about); with 12, once in 4096. Which chunk
    # meets which fault varies, four being in flight, so the seed does not fix it.
    patient = RetryPolicy(attempts=12, sleep=lambda seconds: None)
    async with AsyncTransport(proxy.url, auth=AUTH, retry=patient) as transport:
        report = await send_batch(transport, (create(k, v) for k, v in wanted.items()),
                                  concurrency=4)
    assert proxy.counts().get(fault.name, 0) >= 1
    assert report.ok, report.summary()
    assert report.succeeded == list(wanted)
    assert_exact(report, url, wanted)


async def test_a_chunk_refused_to_the_end_is_failed_not_guessed(
    faulty: tuple[str, FaultProxy],
) -> None:
    url, proxy = faulty
    proxy.inject(Fault.UNAVAILABLE, methods={"POST"}, times=100)  # more than the retries
    async with AsyncTransport(proxy.url, auth=AUTH, retry=QUICK) as transport:
        report = await send_batch(transport, (create(f"b{i}", i) for i in range(30)))
    assert report.succeeded == [] and len(report.failed) == 30
    assert "not applied after 5 tries" in report.failed[0].message
    assert held(url) == {}


# -- a cancellation mid-write ------------------------------------------------------------------


async def write_until_cancelled(transport: AsyncTransport, wanted: dict[str, int],
                                concurrency: int, cancel: Callable[[], object],
                                caught: list[BaseException]) -> None:
    """Write ``wanted``, ``cancel()`` running once two chunks are filed; what the write
    raised goes to ``caught`` (and on)."""

    def progress(report: BatchReport) -> None:
        if report.chunks == 2:
            cancel()

    try:
        await send_batch(transport, (create(k, v) for k, v in wanted.items()),
                         concurrency=concurrency, progress=progress)
    except BaseException as error:
        caught.append(error)
        raise


async def nothing_runs_on(wire: CountingWire) -> None:
    """Once a cancelled write is over, no request of it is in flight, and none starts later;
    then the proxy's own requests upstream (sent before) have time to end."""
    assert wire.now == 0
    sent = len(wire.sent)
    await anyio.sleep(0.5)
    assert len(wire.sent) == sent
    await wire.aclose()


def check_cancelled(error: BaseException, url: str, wanted: dict[str, int]) -> None:
    """The report on a cancelled write: each item sent reported once, none called saved that
    the server lacks, none on the server that the report does not speak of."""
    assert isinstance(error, asyncio.CancelledError)
    report: BatchReport = error.report  # type: ignore[attr-defined]
    on_server = held(url)
    spoken = set(report.succeeded) | {f.id for f in report.unknown}
    assert set(report.succeeded) <= set(on_server)
    assert all(on_server[key] == wanted[key] for key in report.succeeded)
    assert set(on_server) <= spoken  # nothing landed that the report is silent on
    assert not (report.conflicts or report.missing or report.failed)
    assert len(report.succeeded) >= 50  # the two chunks filed before the cancellation
    assert all("interrupted (CancelledError) in flight" in f.message for f in report.unknown)
    assert report.total < len(wanted)  # it stopped: the rest was never read from the input


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_cancelled_task_leaves_the_report_on_its_cancellation(
    slow: tuple[str, FaultProxy], concurrency: int,
) -> None:
    url, proxy = slow
    wanted = {f"r{i:03d}": i for i in range(400)}
    caught: list[BaseException] = []
    wire = CountingWire()
    async with AsyncTransport(proxy.url, auth=AUTH, wire=wire) as transport:
        task = asyncio.ensure_future(write_until_cancelled(transport, wanted, concurrency,
                                                           lambda: task.cancel(), caught))
        with pytest.raises(asyncio.CancelledError):
            await task
        await nothing_runs_on(wire)
    (error,) = caught
    check_cancelled(error, url, wanted)
    report: BatchReport = error.report  # type: ignore[attr-defined]
    if concurrency == 1:  # the third chunk was on its way: unknown, all of it
        assert (len(report.succeeded), len(report.unknown)) == (50, 25)
    else:  # up to four on their way: those that had not finished are unknown
        assert 0 < len(report.unknown) <= 4 * 25


async def test_a_cancel_scope_leaves_the_report_too(slow: tuple[str, FaultProxy]) -> None:
    """anyio's cancel scopes cancel again at every await: the chunks in flight are still
    waited for, and the report is on the cancellation."""
    url, proxy = slow
    wanted = {f"r{i:03d}": i for i in range(400)}
    caught: list[BaseException] = []
    wire = CountingWire()
    async with AsyncTransport(proxy.url, auth=AUTH, wire=wire) as transport:
        with anyio.CancelScope() as scope:
            await write_until_cancelled(transport, wanted, 4, scope.cancel, caught)
        await nothing_runs_on(wire)
    assert scope.cancelled_caught
    (error,) = caught
    check_cancelled(error, url, wanted)


# -- the collection's bulk writes, awaited ---------------------------------------------------------


@pytest.fixture
async def todo(kinto_any_server: str) -> AsyncIterator[AsyncCollection]:
    """alice's empty collection f/c on each backend in turn."""
    collection(kinto_any_server)
    async with AsyncClient(kinto_any_server, auth=AUTH) as client:
        yield client.bucket("f").collection("c")


async def test_create_records_updates_each_record_from_the_server(
    todo: AsyncCollection, kinto_any_server: str,
) -> None:
    url = kinto_any_server
    mine = todo.record({"id": "r0", "n": 0})
    report = await todo.create_records([mine, *({"id": f"r{i}", "n": i} for i in range(1, 30))])
    assert report.ok and report.succeeded == [f"r{i}" for i in range(30)]
    assert report.chunks == 2
    assert mine.last_modified == raw_get(url, f"{RECORDS}/r0")["data"]["last_modified"]
    assert held(url) == {f"r{i}": i for i in range(30)}
    with pytest.raises(BatchError) as caught:  # ids taken: failures raise, with the report
        await todo.create_records([{"id": "r1", "n": -1}, {"id": "new", "n": -2}])
    report = caught.value.report
    assert [(f.index, f.id, f.status) for f in report.conflicts] == [(0, "r1", 412)]
    assert report.conflicts[0].existing is not None
    assert report.conflicts[0].existing["n"] == 1
    assert report.succeeded == ["new"]
    assert held(url)["r1"] == 1 and held(url)["new"] == -2


async def test_save_replace_and_delete_records_as_the_server_holds_them(
    todo: AsyncCollection, kinto_any_server: str,
) -> None:
    url = kinto_any_server
    await todo.create_records({"id": f"r{i}", "n": i} for i in range(6))
    records = [record async for record in todo.sort("id")]
    for record in records:
        record.data.n = record.data.n + 10
    raw("PUT", url, f"{RECORDS}/r2", {"data": {"n": 99}}).raise_for_status()  # theirs
    report = await todo.save_records(records, raise_on_error=False)
    assert report.succeeded == ["r0", "r1", "r3", "r4", "r5"]
    (conflict,) = report.conflicts
    assert (conflict.index, conflict.id) == (2, "r2")
    assert conflict.existing is not None and conflict.existing["n"] == 99
    assert held(url) == {"r0": 10, "r1": 11, "r2": 99, "r3": 13, "r4": 14, "r5": 15}
    assert records[0].last_modified == raw_get(url, f"{RECORDS}/r0")["data"]["last_modified"]

    report = await todo.replace_records([{"id": "r0", "n": 0}, {"id": "ghost", "n": 0}],
                                        raise_on_error=False)
    assert report.succeeded == ["r0"]
    assert [(f.id, f.existing) for f in report.conflicts] == [("ghost", None)]
    assert "ghost" not in held(url) and held(url)["r0"] == 0

    report = await todo.delete_records(["r4", "r5", "ghost"], missing_ok=True)
    assert report.ok and report.succeeded == ["r4", "r5", "ghost"]
    assert set(held(url)) == {"r0", "r1", "r2", "r3"}
    stale = records[1]  # as saved above; then changed by someone else
    raw("PUT", url, f"{RECORDS}/r1", {"data": {"n": 7}}).raise_for_status()
    report = await todo.delete_records([stale], raise_on_error=False)
    assert [f.id for f in report.conflicts] == ["r1"]
    assert held(url)["r1"] == 7


async def test_permissions_of_many_records(todo: AsyncCollection, kinto_any_server: str) -> None:
    await todo.create_records([{"id": "a"}, todo.record({"id": "b"},
                                                        permissions={"read": ["system.Everyone"]})])
    found = await todo.permissions_of(["a", "b", "ghost"])
    assert found[1]["read"] == ["system.Everyone"]
    assert found[0]["write"] == raw_get(kinto_any_server, f"{RECORDS}/a")["permissions"]["write"]
    assert found[2] == {}


async def test_create_records_through_the_fault_proxy_is_exact(
    faulty: tuple[str, FaultProxy],
) -> None:
    """A gateway error after the server applied the chunk, at once with other chunks: the
    report and the records are what the server holds."""
    url, proxy = faulty
    proxy.fail_next(Fault.GATEWAY_AFTER, methods={"POST"}, path_contains="batch")
    proxy.inject(Fault.GATEWAY_AFTER, methods={"POST"}, rate=0.3)
    wire = CountingWire()
    async with AsyncClient(proxy.url, auth=AUTH, retry=QUICK, wire=wire) as client:
        todo = client.bucket("f").collection("c")
        records = [todo.record({"id": f"r{i:03d}", "n": i}) for i in range(120)]
        report = await todo.create_records(records, concurrency=3)
    await wire.aclose()
    assert proxy.counts()["GATEWAY_AFTER"] >= 1
    assert 1 < wire.most <= 3
    assert report.ok and report.succeeded == [r.id for r in records]
    assert_exact(report, url, {r.id: i for i, r in enumerate(records)})
    on_server = {r["id"]: r for r in raw_get(url, f"{RECORDS}?_limit=200")["data"]}
    assert all(r.last_modified == on_server[r.id]["last_modified"] for r in records)


async def test_a_cancelled_create_records_carries_its_report(
    slow: tuple[str, FaultProxy],
) -> None:
    url, proxy = slow
    caught: list[BaseException] = []

    async def write(todo: AsyncCollection) -> None:
        def progress(report: BatchReport) -> None:
            if report.chunks == 2:
                task.cancel()

        try:
            await todo.create_records(({"id": f"r{i:03d}", "n": i} for i in range(400)),
                                      concurrency=4, progress=progress)
        except BaseException as error:
            caught.append(error)
            raise

    async with AsyncClient(proxy.url, auth=AUTH) as client:
        task = asyncio.ensure_future(write(client.bucket("f").collection("c")))
        with pytest.raises(asyncio.CancelledError):
            await task
    await anyio.sleep(0.5)  # the proxy's requests upstream, sent before, end
    (error,) = caught
    check_cancelled(error, url, {f"r{i:03d}": i for i in range(400)})


# -- cassettes: recorded from a real Kinto, replayed offline ------------------------------------


async def test_cassette_bulk_writes_item_by_item(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        bucket = await client.bucket("w").create()
        todo = await bucket.create_collection("todo")
        sent = log_of(client)
        made = await todo.create_records(
            {"id": f"t{n}", "n": n} for n in range(3))
        assert made.succeeded == ["t0", "t1", "t2"] and made.created == ["t0", "t1", "t2"]
        with pytest.raises(BatchError,
                           match=r"2 of 3 succeeded; 1 conflict \['t0'\]") as again:
            await todo.create_records([{"id": "t0"}, {"id": "t3"}, {"id": "t4"}])
        assert again.value.report.conflicts[0].existing is not None
        records = {r.id: r for r in await todo.get_records()}
        records["t1"].data.n = 10
        saved = await todo.save_records([records["t1"], records["t2"]])  # t2 unchanged
        assert saved.succeeded == ["t1"]
        replaced = await todo.replace_records(
            [{"id": "t2", "n": 20}, {"id": "ghost", "n": 0}], raise_on_error=False)
        assert replaced.succeeded == ["t2"] and [m.id for m in replaced.conflicts] == ["ghost"]
        assert replaced.conflicts[0].existing is None  # missing: nothing to show
        deleted = await todo.delete_records(["t3", "t4", "ghost"], missing_ok=True)
        assert deleted.succeeded == ["t3", "t4", "ghost"]
        with pytest.raises(BatchError, match=r"0 of 1 succeeded; 1 missing \['ghost'\]"):
            await todo.delete_records(["ghost"])
        held = sorted([(r.id, r.data.n) async for r in todo.records()])
    assert held == [("t0", 0), ("t1", 10), ("t2", 20)]
    # One POST /batch per call (each under the server's 25 a chunk), plus the reads.
    assert [method for method, path in sent if path == "/batch"] == ["POST"] * 6


async def test_cassette_permissions_of_many_records(kinto_async_client: AsyncClient) -> None:
    async with kinto_async_client as client:
        bucket = await client.bucket("w").create()
        todo = await bucket.create_collection("todo")
        await todo.create_record({"id": "r1"}, permissions={"read": ["system.Everyone"]})
        await todo.create_record({"id": "r2"})
        sent = log_of(client)
        found = await todo.permissions_of(["r1", "ghost", "r2"])
    assert found[0]["read"] == ["system.Everyone"]
    assert found[0]["write"][0].startswith("basicauth:")
    assert found[1] == {}  # missing
    assert list(found[2]) == ["write"]
    # The server's batch limit read first (GET /), then one POST /batch of three GETs.
    assert sent == [("GET", "/"), ("POST", "/batch")]
