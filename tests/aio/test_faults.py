"""The async transport under faults, live through the fault proxy: the twins of the sync
side's transport-level fault tests (tests/test_faults.py, test_retry.py, test_transport.py).

Each scenario is judged against the server read raw, and where it is cheap the sync
``Transport`` runs the same one: the same answer or exception (class and message) and the
same requests at the proxy. Then cancellation: a task cancelled mid-request, or a stream
closed early, leaves no connection open and nothing for the garbage collector to warn about.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import requests

from kinto_query import Request, Response, StreamBody, Transport
from kinto_query._retry import RetryPolicy
from kinto_query.aio import AsyncTransport, HttpxWire
from kinto_query.exceptions import (
    BackoffRequested,
    KintoConnectionError,
    KintoError,
    OutcomeUnknown,
    PreconditionFailed,
    TooManyRedirects,
    UnsafeURL,
)
from kinto_query.testing import KintoServer

from ..conftest import AUTH, WIRE_OK, Script, raw, raw_get
from ..faultproxy import Fault, FaultProxy
from ..wire.test_transport import redirect, scripted_origin

pytestmark = pytest.mark.anyio

RECORD = "/buckets/f/collections/c/records/r1"
TWIN = RECORD.replace("r1", "r2")  # what the sync side writes, the same way


def seed(url: str, title: str = "old") -> None:
    """Bucket f, collection c, records r1 and r2, written raw."""
    for path in ("/buckets/f", "/buckets/f/collections/c"):
        raw("PUT", url, path).raise_for_status()
    for path in (RECORD, TWIN):
        raw("PUT", url, path, {"data": {"title": title}}).raise_for_status()


@pytest.fixture
def proxied(kinto_fresh_server: str) -> Iterator[tuple[str, FaultProxy]]:
    """(server URL, the fault proxy before it), f/c/r1 and r2 on the server (memory)."""
    seed(kinto_fresh_server)
    with FaultProxy(kinto_fresh_server, seed=3) as proxy:
        yield kinto_fresh_server, proxy


@pytest.fixture
def any_proxied(kinto_any_server: str) -> Iterator[tuple[str, FaultProxy]]:
    """``proxied`` on each backend in turn (memory, then PostgreSQL): where storage matters."""
    seed(kinto_any_server)
    with FaultProxy(kinto_any_server, seed=3) as proxy:
        yield kinto_any_server, proxy


class Sleeps(list[float]):
    """A retry policy's sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def quick(sleeps: Callable[[float], Any] | None = None) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps if sleeps is not None else Sleeps(), random=lambda: 1.0)


@dataclasses.dataclass
class Seen:
    """What one side made of a scenario: its answer or its error, and what the proxy did."""

    answer: Response | None
    error: KintoError | None
    log: list[tuple[str, str]]  # (method, outcome) per request at the proxy

    @property
    def said(self) -> tuple[Any, ...]:
        """What a user sees: the error's class and message, or the answer's status and JSON."""
        if self.error is not None:
            return (type(self.error), str(self.error))
        assert self.answer is not None
        return (self.answer.status, self.answer.json())


def _arranged(proxy: FaultProxy, arrange: Callable[[FaultProxy], None]) -> None:
    proxy.clear()
    proxy.log.clear()
    arrange(proxy)


def _log(proxy: FaultProxy) -> list[tuple[str, str]]:
    return [(method, outcome) for method, _, outcome in proxy.log]


async def on_async(proxy: FaultProxy, request: Request, arrange: Callable[[FaultProxy], None],
                   **options: Any) -> Seen:
    _arranged(proxy, arrange)
    async with AsyncTransport(proxy.url, auth=AUTH, **options) as transport:
        try:
            return Seen(await transport.send(request), None, _log(proxy))
        except KintoError as error:
            return Seen(None, error, _log(proxy))


def on_sync(proxy: FaultProxy, request: Request, arrange: Callable[[FaultProxy], None],
            **options: Any) -> Seen:
    _arranged(proxy, arrange)
    with Transport(proxy.url, auth=AUTH, **options) as transport:
        try:
            return Seen(transport.send(request), None, _log(proxy))
        except KintoError as error:
            return Seen(None, error, _log(proxy))


# -- reads through faults ----------------------------------------------------------------------


READ_FAULTS = [Fault.UNAVAILABLE, Fault.TOO_MANY, Fault.RESET, Fault.GATEWAY_AFTER,
               Fault.RESET_AFTER]


@pytest.mark.parametrize("fault", READ_FAULTS, ids=lambda fault: fault.name)
async def test_a_read_is_retried_through_a_fault(proxied: tuple[str, FaultProxy],
                                                 fault: Fault) -> None:
    url, proxy = proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(fault, methods={"GET"})

    seen = await on_async(proxy, Request("GET", RECORD), arrange, retry=quick())
    assert seen.said == (200, raw_get(url, RECORD))
    assert seen.log == [("GET", fault.name), ("GET", "forwarded")]
    twin = on_sync(proxy, Request("GET", RECORD), arrange, retry=quick())
    assert (twin.said, twin.log) == (seen.said, seen.log)


async def test_a_slow_body_within_the_deadline_is_read_whole(
    proxied: tuple[str, FaultProxy],
) -> None:
    url, proxy = proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.SLOW_BODY, chunk_size=16, trickle_interval=0.005)

    seen = await on_async(proxy, Request("GET", RECORD), arrange, retry=None)
    assert seen.said == (200, raw_get(url, RECORD))
    assert seen.log == [("GET", "SLOW_BODY")]


@pytest.fixture
def long_record(proxied: tuple[str, FaultProxy]) -> tuple[str, FaultProxy]:
    """r1 made long: trickled 8 bytes every 50 ms, its body takes 10 s and more."""
    url, proxy = proxied
    raw("PUT", url, RECORD, {"data": {"title": "x" * 1600}}).raise_for_status()
    return url, proxy


async def test_a_trickling_body_is_cut_at_the_deadline(
    long_record: tuple[str, FaultProxy],
) -> None:
    """Each piece arrives well within the read timeout; the attempt's deadline (0.5 s, body
    included) still cuts it, as on the sync side, in the same words."""
    _, proxy = long_record

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.SLOW_BODY)

    options: dict[str, Any] = {"retry": None, "timeout": (1, 1), "deadline": 0.5}
    started = time.monotonic()
    seen = await on_async(proxy, Request("GET", RECORD), arrange, **options)
    assert time.monotonic() - started < 2.5
    assert seen.said == (KintoConnectionError, f"GET {proxy.url}{RECORD}: no complete answer "
                         "within the 0.5 s deadline")
    assert seen.log == [("GET", "SLOW_BODY")]
    twin = on_sync(proxy, Request("GET", RECORD), arrange, **options)
    assert (twin.said, twin.log) == (seen.said, seen.log)


async def test_an_attempt_cut_at_the_deadline_is_retried(
    long_record: tuple[str, FaultProxy],
) -> None:
    url, proxy = long_record

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.SLOW_BODY)

    seen = await on_async(proxy, Request("GET", RECORD), arrange, retry=quick(), deadline=0.5)
    assert seen.said == (200, raw_get(url, RECORD))
    assert seen.log == [("GET", "SLOW_BODY"), ("GET", "forwarded")]


async def test_a_reset_is_the_same_connection_error_on_both_sides(
    proxied: tuple[str, FaultProxy],
) -> None:
    _, proxy = proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.RESET)

    seen = await on_async(proxy, Request("GET", RECORD), arrange, retry=None)
    assert seen.said == (KintoConnectionError, f"GET {proxy.url}{RECORD}: cannot reach the "
                         f"server at {proxy.url} (ConnectionError)")
    assert isinstance(seen.error, KintoConnectionError) and not seen.error.never_sent
    twin = on_sync(proxy, Request("GET", RECORD), arrange, retry=None)
    assert (twin.said, twin.log) == (seen.said, seen.log) == (seen.said, [("GET", "RESET")])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_a_refused_connection_is_never_sent_and_worded_as_on_the_sync_side() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    async with AsyncTransport(url, retry=None) as transport:
        with pytest.raises(KintoConnectionError) as caught:
            await transport.send(Request("PUT", "/buckets/b", {"data": {}}))
    with pytest.raises(KintoConnectionError) as sync_caught:
        Transport(url, retry=None).send(Request("PUT", "/buckets/b", {"data": {}}))
    assert str(caught.value) == str(sync_caught.value) == (
        f"PUT {url}/buckets/b: cannot reach the server at {url} (ConnectionError)")
    assert caught.value.never_sent and sync_caught.value.never_sent


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """A server whose queue of connections to accept is full: a new connection attempt
    gets no answer at all (its SYN is dropped), as from a host that is down."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(listener.getsockname())
        time.sleep(0.05)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        for filler in fillers:
            filler.close()


async def test_a_connect_timeout_is_never_sent_and_worded_as_on_the_sync_side(
    full_backlog: str,
) -> None:
    url = full_backlog
    write = Request("PUT", "/buckets/b", {"data": {}})
    async with AsyncTransport(url, timeout=(0.3, 1), retry=None) as transport:
        with pytest.raises(KintoConnectionError) as caught:
            await transport.send(write)
    with pytest.raises(KintoConnectionError) as sync_caught:
        Transport(url, timeout=(0.3, 1), retry=None).send(write)
    assert str(caught.value) == str(sync_caught.value) == (
        f"PUT {url}/buckets/b: no answer within (0.3, 1) s (ConnectTimeout)")
    assert caught.value.never_sent and sync_caught.value.never_sent


# -- writes whose answer was lost --------------------------------------------------------------


def conditional(method: str, url: str, path: str) -> Request:
    """A write of ``path`` on condition it is unchanged (what Record.save and delete send)."""
    etag = raw("GET", url, path).headers["ETag"]
    body = {"data": {"title": "mine"}} if method == "PUT" else None
    return Request(method, path, body, {"If-Match": etag})


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER, Fault.GATEWAY_AFTER],
                         ids=lambda fault: fault.name)
async def test_a_put_applied_before_its_answer_was_lost_answers_what_the_server_holds(
    any_proxied: tuple[str, FaultProxy], fault: Fault,
) -> None:
    """The PUT lands, its answer is lost; the retry meets 412 (its own write); the read-back
    says the write is ours: the answer is the record as the server holds it."""
    url, proxy = any_proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(fault, methods={"PUT"})

    seen = await on_async(proxy, conditional("PUT", url, RECORD), arrange, retry=quick())
    assert seen.said == (200, raw_get(url, RECORD))
    assert raw_get(url, RECORD)["data"]["title"] == "mine"
    assert seen.log == [("PUT", fault.name), ("PUT", "forwarded"), ("GET", "forwarded")]
    twin = on_sync(proxy, conditional("PUT", url, TWIN), arrange, retry=quick())
    assert twin.said == (200, raw_get(url, TWIN)) and twin.log == seen.log


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER, Fault.GATEWAY_AFTER],
                         ids=lambda fault: fault.name)
async def test_a_delete_applied_before_its_answer_was_lost_is_a_success(
    any_proxied: tuple[str, FaultProxy], fault: Fault,
) -> None:
    url, proxy = any_proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(fault, methods={"DELETE"})

    seen = await on_async(proxy, conditional("DELETE", url, RECORD), arrange, retry=quick())
    assert seen.said == (200, {"data": {}})
    assert raw("GET", url, RECORD).status_code == 404  # deleted indeed
    twin = on_sync(proxy, conditional("DELETE", url, TWIN), arrange, retry=quick())
    assert twin.said == seen.said and twin.log == seen.log
    assert raw("GET", url, TWIN).status_code == 404


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER, Fault.GATEWAY_AFTER],
                         ids=lambda fault: fault.name)
async def test_an_unconditional_patch_that_landed_is_read_back_not_resent(
    any_proxied: tuple[str, FaultProxy], fault: Fault,
) -> None:
    """A PATCH without If-Match is not safe to resend: its answer lost after it landed, the
    record is read back and the write found applied (not a 502, not a connection error)."""
    url, proxy = any_proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(fault, methods={"PATCH"})

    patch = {"data": {"title": "mine"}}
    seen = await on_async(proxy, Request("PATCH", RECORD, patch), arrange, retry=quick())
    assert seen.said == (200, raw_get(url, RECORD))
    assert raw_get(url, RECORD)["data"]["title"] == "mine"
    assert seen.log == [("PATCH", fault.name), ("GET", "forwarded")]
    twin = on_sync(proxy, Request("PATCH", TWIN, patch), arrange, retry=quick())
    assert twin.said == (200, raw_get(url, TWIN)) and twin.log == seen.log


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_a_lost_write_meeting_someone_elses_stays_refused(
    any_proxied: tuple[str, FaultProxy], method: str,
) -> None:
    """The write is lost before it landed (reset); meanwhile someone else changes the record
    (played in the retry's wait); the retry is refused (412) and the read-back shows their
    record, not ours: the refusal stands, on both sides."""
    url, proxy = any_proxied

    def someone_else_writes(path: str) -> Callable[[float], None]:
        return lambda seconds: raw("PUT", url, path, {"data": {"title": "theirs"}}).close()

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.RESET, methods={method})

    seen = await on_async(proxy, conditional(method, url, RECORD), arrange,
                          retry=quick(someone_else_writes(RECORD)))
    assert isinstance(seen.error, PreconditionFailed)
    assert raw_get(url, RECORD)["data"]["title"] == "theirs"
    assert seen.log == [(method, "RESET"), (method, "forwarded"), ("GET", "forwarded")]
    twin = on_sync(proxy, conditional(method, url, TWIN), arrange,
                   retry=quick(someone_else_writes(TWIN)))
    assert twin.said == (PreconditionFailed, str(seen.error).replace("r1", "r2"))
    assert twin.log == seen.log


@pytest.mark.parametrize("read_fault", [Fault.UNAVAILABLE, Fault.RESET],
                         ids=lambda fault: fault.name)
async def test_a_lost_write_that_cannot_be_read_back_is_outcome_unknown(
    any_proxied: tuple[str, FaultProxy], read_fault: Fault,
) -> None:
    url, proxy = any_proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.RESET_AFTER, methods={"PUT"})
        proxy.inject(read_fault, methods={"GET"})

    seen = await on_async(proxy, conditional("PUT", url, RECORD), arrange, retry=quick())
    assert isinstance(seen.error, OutcomeUnknown)
    assert str(seen.error).startswith(f"PUT {RECORD}: the outcome is unknown")
    assert raw_get(url, RECORD)["data"]["title"] == "mine"  # it had landed
    assert seen.log[:2] == [("PUT", "RESET_AFTER"), ("PUT", "forwarded")]  # then 412
    assert seen.log[2:] == [("GET", read_fault.name)] * 5  # the read-back, retried
    twin = on_sync(proxy, conditional("PUT", url, TWIN), arrange, retry=quick())
    assert twin.said == (OutcomeUnknown, str(seen.error).replace("/r1", "/r2"))
    assert twin.log == seen.log


async def test_concurrent_writes_through_faults_are_each_resolved(
    any_proxied: tuple[str, FaultProxy],
) -> None:
    """Twelve conditional saves gathered on one transport, a third of them losing their
    answer after the server applied them, reads failing now and then: each save answers
    the record as the server holds it, and no connection is left open."""
    url, proxy = any_proxied
    paths = [RECORD.replace("r1", f"w{n}") for n in range(12)]
    for path in paths:
        raw("PUT", url, path, {"data": {"title": "old"}}).raise_for_status()
    requests_ = [conditional("PUT", url, path) for path in paths]
    proxy.inject(Fault.RESET_AFTER, rate=0.2, methods={"PUT"})
    proxy.inject(Fault.GATEWAY_AFTER, rate=0.2, methods={"PUT"})
    proxy.inject(Fault.RESET, rate=0.2, methods={"GET"})
    proxy.inject(Fault.UNAVAILABLE, rate=0.2, methods={"GET"})
    answers: dict[str, Response] = {}

    async def save(request: Request) -> None:
        answers[request.path] = await transport.send(request)

    async with (AsyncTransport(proxy.url, auth=AUTH, retry=quick()) as transport,
                anyio.create_task_group() as group):
        for request in requests_:
            group.start_soon(save, request)
    proxy.clear()
    assert {path: answer.json() for path, answer in answers.items()} == {
        path: raw_get(url, path) for path in paths}
    assert {raw_get(url, path)["data"]["title"] for path in paths} == {"mine"}
    lost = [o for m, _, o in proxy.log if m == "PUT" and o != "forwarded"]
    assert lost, "no answer was lost this time: the faults did not happen"
    assert await all_closed(proxy) == 0


# -- Backoff and Retry-After -----------------------------------------------------------------


@pytest.mark.live
async def test_a_real_kinto_asking_to_back_off_is_honoured() -> None:
    """KINTO_BACKOFF makes a real Kinto send ``Backoff`` on every answer: the next request
    waits it out (through the policy's sleep), or raises BackoffRequested unsent."""
    with KintoServer(settings={"backoff": 2}) as server, FaultProxy(server.url) as proxy:
        sleeps = Sleeps()
        async with AsyncTransport(proxy.url, retry=quick(sleeps)) as transport:
            await transport.send(Request("GET", "/"))
            await transport.send(Request("GET", "/"))
        assert len(sleeps) == 1 and 1.0 < sleeps[0] <= 2.0
        proxy.log.clear()
        async with AsyncTransport(proxy.url, on_backoff="raise") as transport:
            await transport.send(Request("GET", "/"))
            with pytest.raises(BackoffRequested, match=r"asked clients to back off for \d+ "
                               "more seconds") as caught:
                await transport.send(Request("GET", "/"))
        assert 1.0 < caught.value.seconds <= 2.0
        assert len(proxy.log) == 1  # the second was never sent


async def test_concurrent_requests_all_wait_out_a_backoff(scripted: tuple[str, Script]) -> None:
    """The server asked to back off 5 s: requests gathered on one transport each wait until
    then (capped by max_wait), not only the first of them while the others go out at once."""
    url, script = scripted
    script.answers = [(200, {"Backoff": "5", "Content-Type": "application/json"}, b"{}")]
    waits: list[float] = []

    async def asleep(seconds: float) -> None:
        waits.append(seconds)
        await anyio.sleep(0)  # a wait lets the others run, as a real one would

    async with AsyncTransport(url, retry=quick(asleep)) as transport:
        await transport.send(Request("GET", "/"))
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(transport.send, Request("GET", "/"))
    assert len(script.seen) == 5
    assert len(waits) == 4 and all(4.0 < wait <= 5.0 for wait in waits), waits
    # Waited out: the next request goes at once.
    async with AsyncTransport(url, retry=quick(asleep)) as transport:
        script.answers = [(200, {"Backoff": "5", "Content-Type": "application/json"}, b"{}")]
        await transport.send(Request("GET", "/"))
        await transport.send(Request("GET", "/"))
        await transport.send(Request("GET", "/"))
    assert len(waits) == 5


@pytest.mark.parametrize("sleep_kind", ["sync", "async"])
async def test_retry_after_is_honoured(proxied: tuple[str, FaultProxy], sleep_kind: str) -> None:
    """The waits are the server's Retry-After, through the policy's own sleep (a plain
    function or a coroutine function), and the same as the sync side's."""
    url, proxy = proxied

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.UNAVAILABLE, retry_after=3)
        proxy.fail_next(Fault.TOO_MANY, retry_after=1)

    sleeps = Sleeps()

    async def asleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = quick(sleeps if sleep_kind == "sync" else asleep)
    seen = await on_async(proxy, Request("GET", RECORD), arrange, retry=policy)
    assert seen.said == (200, raw_get(url, RECORD))
    assert sleeps == [3.0, 1.0]
    sync_sleeps = Sleeps()
    twin = on_sync(proxy, Request("GET", RECORD), arrange, retry=quick(sync_sleeps))
    assert (twin.said, twin.log, sync_sleeps) == (seen.said, seen.log, sleeps)


# -- redirects (hand-written loopback servers: a Kinto redirects only within itself) ----------


@pytest.fixture
def two_origins() -> Iterator[tuple[tuple[str, Script], tuple[str, Script]]]:
    with scripted_origin() as server, scripted_origin() as elsewhere:
        yield server, elsewhere


async def test_a_read_follows_a_redirect_on_the_same_origin_with_credentials(
    two_origins: Any,
) -> None:
    (server, script), _ = two_origins
    script.answers = [redirect(307, "/v1/buckets/moved?x=1")]
    async with AsyncTransport(server + "/v1", auth=AUTH) as transport:
        response = await transport.send(Request("GET", "/buckets/b"))
    assert (response.status, response.url) == (200, f"{server}/v1/buckets/moved?x=1")
    assert [path for _, path, _, _ in script.seen] == ["/v1/buckets/b", "/v1/buckets/moved?x=1"]
    assert all(headers["Authorization"].startswith("Basic ") for _, _, headers, _ in script.seen)


async def test_a_read_redirected_elsewhere_arrives_without_any_credentials(
    two_origins: Any,
) -> None:
    """Neither the transport's credentials and headers nor the user's httpx client's own
    (its auth, headers, cookies) follow a redirect to another origin."""
    (server, script), (other, seen) = two_origins
    script.answers = [redirect(307, other + "/cdn/changes")]
    client = httpx.AsyncClient(auth=("bob", "client-secret"), cookies={"session": "c00kie"},
                               headers={"Authorization": "Bearer client-header"})
    transport = AsyncTransport(server + "/v1", auth=AUTH, wire=HttpxWire(client),
                               headers={"X-Api-Key": "k"})
    response = await transport.send(Request("GET", "/buckets/monitor/collections/changes"))
    await client.aclose()
    assert response.url == f"{other}/cdn/changes"
    [(_, path, headers, _)] = seen.seen
    assert path == "/cdn/changes"
    assert not {"Authorization", "Cookie", "X-Api-Key"} & set(headers)
    first = script.seen[0][2]  # the server itself got them all: the transport's auth first
    assert first["X-Api-Key"] == "k" and "c00kie" in first["Cookie"]
    assert first["Authorization"] == requests.auth._basic_auth_str(*AUTH)


async def test_a_redirect_loop_is_the_sync_sides_error(two_origins: Any) -> None:
    (server, script), (other, seen) = two_origins
    loop = [redirect(307, f"{other}/a"), redirect(307, f"{other}/a")]
    script.answers, seen.answers = list(loop), [redirect(301, f"{server}/v1/buckets/b")] * 2
    async with AsyncTransport(server + "/v1", retry=None) as transport:
        with pytest.raises(TooManyRedirects) as caught:
            await transport.send(Request("GET", "/buckets/b"))
    script.answers = list(loop)
    with pytest.raises(TooManyRedirects) as sync_caught:
        Transport(server + "/v1", retry=None).send(Request("GET", "/buckets/b"))
    assert str(caught.value) == str(sync_caught.value) == (
        f"GET {server}/v1/buckets/b: the redirects loop ({server}/v1/buckets/b -> {other}/a "
        f"-> {server}/v1/buckets/b)")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_a_write_is_never_redirected(two_origins: Any, method: str) -> None:
    (server, script), (other, seen) = two_origins
    script.answers = [redirect(307, f"{other}/v1/buckets/b")] * 2
    request = Request(method, "/buckets/b", {"data": {}} if method == "PUT" else None)
    async with AsyncTransport(server + "/v1", auth=AUTH, retry=None) as transport:
        with pytest.raises(UnsafeURL) as caught:
            await transport.send(request)
    with pytest.raises(UnsafeURL) as sync_caught:
        Transport(server + "/v1", auth=AUTH, retry=None).send(request)
    assert str(caught.value) == str(sync_caught.value) == (
        f"{method} {server}/v1/buckets/b was redirected to {other}/v1/buckets/b; kinto_query "
        "follows redirects of reads only: use the exact URL")
    assert seen.seen == []


# -- the wire: what httpx does differently, made the same --------------------------------------


async def test_the_httpx_clients_own_auth_reaches_the_server(kinto_fresh_server: str) -> None:
    """A user's ``httpx.AsyncClient(auth=...)`` authenticates the requests to the server, as a
    requests session's auth does on the sync side."""
    client = httpx.AsyncClient(auth=AUTH)
    transport = AsyncTransport(kinto_fresh_server, wire=HttpxWire(client))
    user = (await transport.server_info()).get("user", {})
    await client.aclose()
    session = requests.Session()
    session.auth = AUTH
    assert user == Transport(kinto_fresh_server, session=session).server_info()["user"]
    assert user["id"].startswith("basicauth:")


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    with scripted_origin() as origin:
        yield origin[0] + "/v1", origin[1]


async def test_a_body_stalled_past_the_read_timeout_is_a_timeout_on_both_sides(
    scripted: tuple[str, Script],
) -> None:
    """The answer's head comes, then its body stalls longer than the read timeout."""
    url, script = scripted
    script.answers = [WIRE_OK, WIRE_OK]
    script.trickle = 0.6  # one byte every 0.6 s: past the 0.2 s read timeout
    async with AsyncTransport(url, timeout=(1, 0.2), retry=None) as transport:
        with pytest.raises(KintoConnectionError) as caught:
            await transport.send(Request("GET", "/buckets/b"))
    with pytest.raises(KintoConnectionError) as sync_caught:
        Transport(url, timeout=(1, 0.2), retry=None).send(Request("GET", "/buckets/b"))
    assert str(caught.value) == str(sync_caught.value) == (
        f"GET {url}/buckets/b: no answer within (1, 0.2) s (ReadTimeout)")


async def test_an_answer_that_cannot_be_decoded_is_a_connection_error_on_both_sides(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    broken = (200, {"Content-Type": "application/json", "Content-Encoding": "gzip"},
              b"this was never gzip")
    script.answers = [broken, broken]
    async with AsyncTransport(url, retry=None) as transport:
        with pytest.raises(KintoConnectionError) as caught:
            await transport.send(Request("GET", "/buckets/b"))
    with pytest.raises(KintoConnectionError) as sync_caught:
        Transport(url, retry=None).send(Request("GET", "/buckets/b"))
    assert str(caught.value) == str(sync_caught.value) == (
        f"GET {url}/buckets/b: cannot reach the server at {url} (ConnectionError)")
    assert isinstance(caught.value.cause, httpx.DecodingError)  # not raised bare any more


async def test_header_names_are_as_the_server_spelled_them(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    answer = (200, {"Content-Type": "application/json", "X-Custom-Name": "v"}, b"{}")
    script.answers = [answer, answer]
    async with AsyncTransport(url) as transport:
        headers = (await transport.send(Request("GET", "/"))).headers
    sync_headers = Transport(url).send(Request("GET", "/")).headers
    assert "X-Custom-Name" in list(headers)
    assert [name for name in headers if name != "Date"] == [
        name for name in sync_headers if name != "Date"]


# -- cancellation and connections --------------------------------------------------------------


def pooled(transport: AsyncTransport) -> list[Any]:
    """The connections httpx's pool holds (httpcore's, reached through httpx internals)."""
    assert isinstance(transport.wire, HttpxWire)
    return list(transport.wire.client._transport._pool.connections)  # type: ignore[attr-defined]


async def all_closed(proxy: FaultProxy) -> int:
    """The clients' connections still open at the proxy after it had time to see them go."""
    for _ in range(200):
        if proxy.client_connections == 0:
            break
        await anyio.sleep(0.01)
    return proxy.client_connections


@contextlib.contextmanager
def nothing_left_to_warn(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No 'Task was destroyed' / unclosed-transport report from asyncio, even after a
    garbage collection (the ResourceWarnings then are errors: -W error via filterwarnings)."""
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        yield
        gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


@contextlib.contextmanager
def left_to_the_gc() -> Iterator[list[str]]:
    """The names of our async generators that the garbage collector finishes (the event
    loop's finalizer hook, in a task of its own) instead of the code that left them."""
    hooks = sys.get_asyncgen_hooks()
    finished: list[str] = []

    def finalizer(agen: Any) -> None:
        if agen.__qualname__.startswith("HttpxWire."):
            finished.append(agen.__qualname__)
        if hooks.finalizer is not None:
            hooks.finalizer(agen)

    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalizer)
    try:
        yield finished
        gc.collect()
    finally:
        sys.set_asyncgen_hooks(*hooks)


def trickled(proxy: FaultProxy) -> None:
    proxy.fail_next(Fault.SLOW_BODY, chunk_size=1, trickle_interval=0.05)


@pytest.mark.filterwarnings("error")
async def test_a_task_cancelled_mid_body_leaks_no_connection(
    long_record: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    _, proxy = long_record
    with nothing_left_to_warn(caplog):
        transport = AsyncTransport(proxy.url, auth=AUTH, retry=None, deadline=60)
        trickled(proxy)
        task = asyncio.ensure_future(transport.send(Request("GET", RECORD)))
        while not proxy.log:  # the proxy has it, and is trickling its answer
            await anyio.sleep(0.01)
        await anyio.sleep(0.2)
        assert proxy.client_connections == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pooled(transport) == []  # dropped at once, not kept half read
        await transport.aclose()
        assert await all_closed(proxy) == 0


@pytest.mark.filterwarnings("error")
async def test_a_cancel_scope_mid_body_leaks_no_connection(
    long_record: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    """anyio's cancellation is level-triggered: every await inside the cancelled scope is
    cancelled again, the cleanup's included."""
    _, proxy = long_record
    with nothing_left_to_warn(caplog):
        async with AsyncTransport(proxy.url, auth=AUTH, retry=None, deadline=60) as transport:
            trickled(proxy)
            with anyio.move_on_after(0.3) as scope:
                await transport.send(Request("GET", RECORD))
            assert scope.cancelled_caught
            assert pooled(transport) == []
            assert await all_closed(proxy) == 0  # closed before the transport is
            # And the transport carries on: a new connection for the next request.
            assert (await transport.send(Request("GET", RECORD))).status == 200
        assert await all_closed(proxy) == 0


@pytest.mark.filterwarnings("error")
async def test_a_request_cancelled_before_its_answer_came_leaks_no_connection(
    proxied: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    """Cancelled while the server has not answered yet (a link with a second of latency)."""
    url, _ = proxied
    with nothing_left_to_warn(caplog), FaultProxy(url, latency=1.0) as slow:
        async with AsyncTransport(slow.url, auth=AUTH, retry=None) as transport:
            with anyio.move_on_after(0.3) as scope:
                await transport.send(Request("GET", RECORD))
            assert scope.cancelled_caught
            assert pooled(transport) == []
        assert await all_closed(slow) == 0


class ZeroFile:
    """A StreamBody's source: bytes from /dev/zero, the files it opened kept to look at."""

    def __init__(self, pieces: int) -> None:
        self.pieces = pieces
        self.opened: list[Any] = []
        self.read = 0  # pieces read so far

    def chunks(self) -> Iterator[bytes]:
        with open("/dev/zero", "rb") as file:
            self.opened.append(file)
            for _ in range(self.pieces):
                self.read += 1
                yield file.read(1 << 16)

    def body(self) -> StreamBody:
        return StreamBody("application/octet-stream", self.chunks, self.pieces << 16)


@pytest.fixture
def deaf_server() -> Iterator[str]:
    """A server that accepts connections and never reads from them: a body sent to it goes
    out until the socket buffers are full, then waits."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


@pytest.mark.filterwarnings("error")
async def test_an_upload_cancelled_midway_closes_its_file_at_once(
    deaf_server: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """Cancelled while its body goes out: the file it read from is closed when the send
    ends, not left open until a garbage collection."""
    source = ZeroFile(4000)  # 250 MiB: far more than the socket buffers hold
    with nothing_left_to_warn(caplog):
        async with AsyncTransport(deaf_server, auth=AUTH) as transport:
            with anyio.move_on_after(0.5) as scope:
                await transport.send(Request("POST", RECORD + "/attachment", source.body()))
            assert scope.cancelled_caught
            [file] = source.opened
            assert 0 < source.read < source.pieces  # midway
            assert file.closed
            assert pooled(transport) == []


async def test_an_upload_whose_answer_was_lost_is_not_resent_on_either_side(
    proxied: tuple[str, FaultProxy],
) -> None:
    """A StreamBody is never retried (what it reads from may not be readable twice)."""
    _, proxy = proxied
    path = RECORD + "/attachment"

    def arrange(proxy: FaultProxy) -> None:
        proxy.fail_next(Fault.RESET_AFTER, methods={"POST"})

    seen = await on_async(proxy, Request("POST", path, ZeroFile(2).body()), arrange,
                          retry=quick())
    assert seen.said == (KintoConnectionError, f"POST {proxy.url}{path}: cannot reach the "
                         f"server at {proxy.url} (ConnectionError)")
    twin = on_sync(proxy, Request("POST", path, ZeroFile(2).body()), arrange, retry=quick())
    assert (twin.said, twin.log) == (seen.said, seen.log) == (seen.said,
                                                             [("POST", "RESET_AFTER")])


@pytest.mark.filterwarnings("error")
async def test_a_task_cancelled_while_waiting_to_retry_leaks_nothing(
    proxied: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    _, proxy = proxied
    with nothing_left_to_warn(caplog):
        async with AsyncTransport(proxy.url, auth=AUTH) as transport:
            proxy.fail_next(Fault.UNAVAILABLE, retry_after=30)
            with anyio.move_on_after(0.5) as scope:
                await transport.send(Request("GET", RECORD))
            assert scope.cancelled_caught and _log(proxy) == [("GET", "UNAVAILABLE")]
        assert await all_closed(proxy) == 0


@pytest.mark.filterwarnings("error")
async def test_a_stream_closed_early_releases_its_connection(
    long_record: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    """Pieces come as they arrive (not once 64 KiB are in); closing after the first drops
    the connection (half read, it cannot be reused) at once."""
    _, proxy = long_record
    with nothing_left_to_warn(caplog), left_to_the_gc() as unfinished:
        async with AsyncTransport(proxy.url, auth=AUTH, retry=None, deadline=60) as transport:
            trickled(proxy)
            started = time.monotonic()
            response = await transport.send(Request("GET", RECORD), stream=True)
            async for piece in response.iter_bytes():
                assert piece == b"{"  # one byte: as it came
                break
            assert time.monotonic() - started < 5  # long before the whole body is in
            await response.aclose()
            assert pooled(transport) == []
            assert await all_closed(proxy) == 0
            # Closed means done: nothing more to read (not httpx's StreamClosed).
            assert [piece async for piece in response.iter_bytes()] == []
            del response, piece
    assert unfinished == []


@pytest.mark.filterwarnings("error")
async def test_a_stream_cancelled_mid_read_then_closed_releases_its_connection(
    long_record: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    _, proxy = long_record
    with nothing_left_to_warn(caplog):
        async with AsyncTransport(proxy.url, auth=AUTH, retry=None, deadline=60) as transport:
            trickled(proxy)
            async with await transport.send(Request("GET", RECORD), stream=True) as response:
                with anyio.move_on_after(0.3):
                    async for _ in response.iter_bytes():
                        pass
            assert pooled(transport) == []
            assert await all_closed(proxy) == 0


@pytest.mark.filterwarnings("error")
async def test_a_stream_past_the_deadline_fails_as_on_the_sync_side(
    long_record: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    """A streamed body is bounded by the attempt's deadline too: reading it on raises the
    same KintoConnectionError as the sync side's, and its connection is dropped."""
    _, proxy = long_record
    options: dict[str, Any] = {"auth": AUTH, "retry": None, "deadline": 0.5}
    with nothing_left_to_warn(caplog):
        async with AsyncTransport(proxy.url, **options) as transport:
            trickled(proxy)
            response = await transport.send(Request("GET", RECORD), stream=True)
            with pytest.raises(KintoConnectionError) as caught:
                async for _ in response.iter_bytes():
                    pass
            await response.aclose()
            assert pooled(transport) == []
        assert await all_closed(proxy) == 0
    with Transport(proxy.url, **options) as sync_transport:
        trickled(proxy)
        with sync_transport.send(Request("GET", RECORD), stream=True) as sync_response, \
                pytest.raises(KintoConnectionError) as sync_caught:
            for _ in sync_response.iter_bytes():
                pass
    assert str(caught.value) == str(sync_caught.value) == (
        f"GET {proxy.url}{RECORD}: no complete answer within the 0.5 s deadline")


@pytest.mark.filterwarnings("error")
async def test_a_stream_read_whole_gives_its_connection_back_for_the_next_request(
    proxied: tuple[str, FaultProxy], caplog: pytest.LogCaptureFixture,
) -> None:
    url, proxy = proxied
    with nothing_left_to_warn(caplog):
        async with AsyncTransport(proxy.url, auth=AUTH) as transport:
            async with await transport.send(Request("GET", RECORD), stream=True) as response:
                body = b"".join([piece async for piece in response.iter_bytes()])
            assert body == raw("GET", url, RECORD).content
            await transport.send(Request("GET", RECORD))
            assert proxy.client_connections == 1  # one connection, used twice
        assert await all_closed(proxy) == 0


def test_importing_kinto_query_aio_imports_httpx_so_no_loop_waits_for_it() -> None:
    """The first HttpxWire is made inside a running event loop: importing httpx then would
    block the loop for its import."""
    code = ("import sys, kinto_query; assert 'httpx' not in sys.modules; "
            "import kinto_query.aio; assert 'httpx' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
