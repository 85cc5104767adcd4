"""Tests of testing/httpx_cassette.py: the httpx side of a Recorder, on the same cassettes as
the requests side (recorded from a real Kinto, replayed offline, scrubbed, and failing with the
same message)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio

# pytester's in-process runs forget the modules first imported during them, and httpx imports
# httpcore lazily and keeps the exception classes of the first one it saw: imported here, the
# one httpcore stays for the whole session (else a later test's ConnectError escapes httpx's
# mapping of httpcore's errors).
import httpcore  # noqa: F401
import httpx
import pytest
import requests

from kinto_query import Client, Request, StreamBody
from kinto_query.aio import AsyncQuery, AsyncTransport
from kinto_query.testing import CassetteMismatch, Recorder
from kinto_query.testing.httpx_cassette import as_prepared

from ..conftest import Script

ALICE = ("alice", "s3cret")
TODO = "/buckets/b/collections/todo"


def interactions(path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(path.read_text())["http_interactions"]
    return found


def requests_in(path: Path) -> list[str]:
    return [f"{i['request']['method']} {i['request']['uri']}" for i in interactions(path)]


def httpx_client(recorder: Recorder, auth: tuple[str, str] = ALICE) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=recorder.httpx_transport(), auth=auth)


async def async_todo(recorder: Recorder, status: str = "todo") -> list[str]:
    """A bucket, a collection, one record, and the titles of the records of ``status``:
    through httpx."""
    url = recorder.server_url
    async with httpx_client(recorder) as client:
        (await client.put(f"{url}/buckets/b", json={"data": {}})).raise_for_status()
        (await client.put(f"{url}{TODO}", json={"data": {}})).raise_for_status()
        created = await client.post(f"{url}{TODO}/records",
                                    json={"data": {"title": "milk", "status": "todo"}})
        created.raise_for_status()
        listed = await client.get(f"{url}{TODO}/records", params={"status": status})
        listed.raise_for_status()
        return [r["title"] for r in listed.json()["data"]]


def sync_todo(recorder: Recorder, status: str = "todo") -> list[str]:
    """The same requests as ``async_todo``, through a Client on the requests side."""
    client = Client(recorder.server_url, auth=ALICE, session=recorder.new_session())
    send = client.transport.send
    send(Request("PUT", "/buckets/b", {"data": {}}))
    send(Request("PUT", TODO, {"data": {}}))
    send(Request("POST", f"{TODO}/records", {"data": {"title": "milk", "status": "todo"}}))
    listed = send(Request("GET", f"{TODO}/records?status={status}"))
    return [r["title"] for r in listed.json()["data"]]


def recorded(folder: Path, server_url: str, name: str = "todo") -> Recorder:
    return Recorder(folder, name, live_url=server_url, mode="once")


def replayed(folder: Path, name: str = "todo") -> Recorder:
    return Recorder(folder, name, mode="none")


# -- the request a cassette sees ----------------------------------------------------------------

_ORIGIN = "http://127.0.0.1:8888/v1"


@pytest.mark.parametrize("url", [
    f"{_ORIGIN}/buckets/b/collections/c/records?in_id=a,b&_sort=-last_modified",
    f"{_ORIGIN}/buckets/b/collections/c/records?like_title=*milk*&has_x=true",
    # httpx keeps [ ] | ^ ` { } as they are, requests quotes them: matched all the same.
    f'{_ORIGIN}/buckets/b/collections/c/records?title=café au lait&x=[1]&y="q"&z=a|b&w=^`{{}}',
    f"{_ORIGIN}/buckets/b%2Fc/collections/c/records/%C3%A9?_token=abc%3D%3D",
    f"{_ORIGIN}/buckets/b/collections/c/records?title=%25&x=%7e&_since=%221%22",
    f"{_ORIGIN}/buckets/é/collections/c?title=a+b",
])
def test_a_url_reads_as_requests_sends_it(url: str) -> None:
    on_requests = requests.Request("GET", url).prepare()
    on_httpx = as_prepared(httpx.Request("GET", url))
    assert on_httpx.url == on_requests.url


def test_a_request_reads_as_requests_sends_it() -> None:
    sent = httpx.Request("PUT", f"{_ORIGIN}/buckets/b", json={"data": {"n": 1}},
                         headers=[("X-Twice", "1"), ("X-Twice", "2"), ("If-Match", '"1"')])
    seen = as_prepared(sent)
    assert (seen.method, seen.body) == ("PUT", b'{"data":{"n":1}}')
    assert seen.headers["If-Match"] == '"1"' and seen.headers["x-twice"] == "1, 2"
    assert "If-Match" in list(seen.headers)  # as sent, not lowercased


# -- record, replay ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_async_recording_replays_on_either_side(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    assert await async_todo(recorder) == ["milk"]
    recorder.stop()
    cassette = tmp_path / "todo.json"
    assert requests_in(cassette) == [
        "PUT <KINTO_ORIGIN>/v1/buckets/b",
        "PUT <KINTO_ORIGIN>/v1/buckets/b/collections/todo",
        "POST <KINTO_ORIGIN>/v1/buckets/b/collections/todo/records",
        "GET <KINTO_ORIGIN>/v1/buckets/b/collections/todo/records?status=todo",
    ]
    # Stored as the requests side stores it: JSON bodies as JSON, no Content-Length kept.
    first = interactions(cassette)[0]
    assert first["request"]["body"]["json"] == {"data": {}}
    assert first["response"]["status"] == {"code": 201, "message": "Created"}
    assert first["response"]["body"]["json"]["data"]["id"] == "b"
    assert "Content-Length" not in first["response"]["headers"]

    replay = replayed(tmp_path)
    assert replay.server_url == "http://kinto.test/v1"  # no such host: nothing leaves
    assert await async_todo(replay) == ["milk"]
    replay.stop()
    replay = replayed(tmp_path)
    assert sync_todo(replay) == ["milk"]
    replay.stop()
    assert replay.mismatches == []


@pytest.mark.anyio
async def test_a_sync_recording_replays_on_the_async_side(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    assert sync_todo(recorder) == ["milk"]
    recorder.stop()
    before = (tmp_path / "todo.json").read_text()
    replay = replayed(tmp_path)
    assert await async_todo(replay) == ["milk"]
    replay.stop()
    assert (tmp_path / "todo.json").read_text() == before  # a replay writes nothing


@pytest.mark.anyio
async def test_the_replayed_answer_is_the_recorded_one(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    async def answers(recorder: Recorder) -> list[tuple[int, str, dict[str, Any], str]]:
        url = recorder.server_url
        async with httpx_client(recorder) as client:
            sent = [await client.put(f"{url}/buckets/b", json={"data": {"n": 1}}),
                    await client.get(f"{url}/buckets/b"),
                    await client.get(f"{url}/buckets/nope"),
                    await client.head(f"{url}/buckets/b")]
        # The data: permissions hold user ids, which the cassette labels.
        return [(a.status_code, a.reason_phrase, a.json().get("data") if a.content else {},
                 a.headers.get("ETag", "")) for a in sent]

    recorder = recorded(tmp_path, kinto_fresh_server)
    live = await answers(recorder)
    recorder.stop()
    replay = replayed(tmp_path)
    assert await answers(replay) == live
    replay.stop()
    assert [status for status, *_ in live] == [201, 200, 403, 200]
    assert live[1][3] == f'"{live[1][2]["last_modified"]}"'


@pytest.mark.anyio
async def test_concurrent_requests_are_recorded_and_replayed(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    async def create_many(recorder: Recorder) -> list[str]:
        url = recorder.server_url
        created: list[str] = []
        async with httpx_client(recorder) as client:
            await client.put(f"{url}/buckets/b", json={"data": {}})

            async def create(name: str) -> None:
                answer = await client.put(f"{url}/buckets/b/collections/{name}",
                                          json={"data": {}})
                created.append(answer.json()["data"]["id"])

            async with anyio.create_task_group() as tasks:
                for n in range(8):
                    tasks.start_soon(create, f"c{n}")
            listed = await client.get(f"{url}/buckets/b/collections")
        assert sorted(created) == [f"c{n}" for n in range(8)]
        return sorted(c["id"] for c in listed.json()["data"])

    recorder = recorded(tmp_path, kinto_fresh_server)
    live = await create_many(recorder)
    recorder.stop()
    assert len(interactions(tmp_path / "todo.json")) == 10
    replay = replayed(tmp_path)
    assert await create_many(replay) == live == [f"c{n}" for n in range(8)]
    replay.stop()


@pytest.mark.anyio
async def test_a_new_request_is_added_in_new_mode(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    assert sync_todo(recorder) == ["milk"]
    recorder.stop()
    extended = Recorder(tmp_path, "todo", live_url=kinto_fresh_server, mode="new")
    async with httpx_client(extended) as client:
        await client.put(f"{extended.server_url}/buckets/b", json={"data": {}})  # replayed
        info = await client.get(f"{extended.server_url}/")  # recorded, from the live server
    assert info.json()["user"]["id"].startswith("basicauth:")
    extended.stop()
    assert requests_in(tmp_path / "todo.json")[-2:] == [
        "GET <KINTO_ORIGIN>/v1/buckets/b/collections/todo/records?status=todo",
        "GET <KINTO_ORIGIN>/v1/",
    ]


# -- scrubbing -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_credentials_never_reach_a_cassette_recorded_by_httpx(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    url = recorder.server_url
    async with httpx.AsyncClient(transport=recorder.httpx_transport()) as anonymous:
        account = await anonymous.put(f"{url}/accounts/carol",
                                      json={"data": {"password": "c4r0l-pw"}})
        assert account.status_code == 201
    async with httpx_client(recorder, auth=("bob", "hunter22")) as bob:  # no account
        info = await bob.get(f"{url}/", params={"token": "t0ken-xyz"},
                             headers={"X-Auth-Token": "t0ken-xyz"})
        bob_id = info.json()["user"]["id"]
    recorder.stop()
    text = (tmp_path / "todo.json").read_text()
    for secret in ("c4r0l-pw", "hunter22", "t0ken-xyz",
                   base64.b64encode(b"bob:hunter22").decode(),
                   bob_id.removeprefix("basicauth:"), kinto_fresh_server.split("/")[2]):
        assert secret not in text
    account_put, root = interactions(tmp_path / "todo.json")
    assert "Authorization" not in account_put["request"]["headers"]
    assert root["request"]["headers"]["Authorization"] == ["<SCRUBBED>"]
    assert account_put["request"]["body"]["json"] == {"data": {"password": "<SCRUBBED>"}}
    assert account_put["response"]["body"]["json"]["data"]["password"] == "<SCRUBBED>"
    assert root["request"]["uri"] == "<KINTO_ORIGIN>/v1/?token=<SCRUBBED>"
    assert root["request"]["headers"]["X-Auth-Token"] == ["<SCRUBBED>"]
    assert root["response"]["body"]["json"]["user"]["id"] == "basicauth:user1"

    # Matched after the same scrubbing: the secrets sent again find their answers.
    replay = replayed(tmp_path)
    async with httpx.AsyncClient(transport=replay.httpx_transport()) as anonymous:
        await anonymous.put(f"{replay.server_url}/accounts/carol",
                            json={"data": {"password": "c4r0l-pw"}})
    async with httpx_client(replay, auth=("bob", "hunter22")) as bob:
        info = await bob.get(f"{replay.server_url}/", params={"token": "t0ken-xyz"})
    assert info.json()["user"]["id"] == "basicauth:user1"
    replay.stop()


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_unmatched_request_fails_as_on_the_requests_side(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    assert await async_todo(recorder) == ["milk"]
    recorder.stop()

    replay = replayed(tmp_path)
    with pytest.raises(CassetteMismatch) as on_httpx:
        await async_todo(replay, status="done")
    replay.stop()
    assert replay.mismatches == [on_httpx.value]
    replay = replayed(tmp_path)
    with pytest.raises(CassetteMismatch) as on_requests:
        sync_todo(replay, status="done")
    replay.stop()
    assert str(on_httpx.value) == str(on_requests.value)
    assert str(on_httpx.value).splitlines() == [
        f"the cassette {tmp_path / 'todo.json'} holds no answer for "
        "GET /v1/buckets/b/collections/todo/records?status=done",
        "  nearest recorded: GET /v1/buckets/b/collections/todo/records?status=todo "
        "(the query differs)",
        "  re-record this test: KINTO_QUERY_RECORD_MODE=all (this cassette only)",
    ]


@pytest.mark.anyio
async def test_a_request_sent_more_often_than_recorded_fails_alike(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    async with httpx_client(recorder) as client:
        await client.put(f"{recorder.server_url}/buckets/b", json={"data": {}})
    recorder.stop()
    replay = replayed(tmp_path)
    async with httpx_client(replay) as client:
        await client.put(f"{replay.server_url}/buckets/b", json={"data": {}})
        with pytest.raises(CassetteMismatch) as again:
            await client.put(f"{replay.server_url}/buckets/b", json={"data": {}})
    replay.stop()
    assert str(again.value).splitlines()[1] == (
        "  nearest recorded: PUT /v1/buckets/b (recorded once and already replayed: the test "
        "sends it more often than when it was recorded)")


# -- through the plugin: one cassette, either side -----------------------------------------------

pytest_plugins = ["pytester"]

_ENV = ("KINTO_QUERY_RECORD_MODE", "KINTO_QUERY_RECORD_URL", "KINTO_QUERY_RECORD_AUTH",
        "KINTO_SERVER_URL")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project that opted in to the plugin, and no record setting from outside."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makeconftest('pytest_plugins = ["kinto_query.testing"]\n')
    return pytester


# The same test three times, by the same name (so on the same cassette): on the requests side,
# through kinto_query's async side, and through an httpx client of the test's own (anyio's
# pytest plugin runs the async ones).
_SYNC_TODO = """
from kinto_query import Client, Request, StreamBody

TODO = "/buckets/b/collections/todo"

def test_todo(kinto_recorder):
    send = Client(auth=("alice", "s3cret")).transport.send   # at $KINTO_SERVER_URL
    send(Request("PUT", "/buckets/b", {{"data": {{}}}}))
    send(Request("PUT", TODO, {{"data": {{}}}}))
    send(Request("POST", TODO + "/records", {{"data": {{"title": "milk", "status": "todo"}}}}))
    listed = send(Request("GET", TODO + "/records?status={status}"))
    assert [r["title"] for r in listed.json()["data"]] == {expected}
"""

_ASYNC_TODO = """
import pytest

from kinto_query import Request
from kinto_query.aio import AsyncTransport

TODO = "/buckets/b/collections/todo"

@pytest.mark.anyio
async def test_todo(kinto_recorder):
    async with AsyncTransport(auth=("alice", "s3cret")) as transport:   # no wire: routed
        send = transport.send
        await send(Request("PUT", "/buckets/b", {{"data": {{}}}}))
        await send(Request("PUT", TODO, {{"data": {{}}}}))
        await send(Request("POST", TODO + "/records",
                           {{"data": {{"title": "milk", "status": "todo"}}}}))
        listed = await send(Request("GET", TODO + "/records?status={status}"))
    assert [r["title"] for r in listed.json()["data"]] == {expected}
"""

_HTTPX_TODO = """
import os

import httpx
import pytest

TODO = "/buckets/b/collections/todo"

@pytest.mark.anyio
async def test_todo(kinto_recorder):
    url = os.environ["KINTO_SERVER_URL"]
    async with httpx.AsyncClient(transport=kinto_recorder.httpx_transport(),
                                 auth=("alice", "s3cret")) as client:
        await client.put(url + "/buckets/b", json={{"data": {{}}}})
        await client.put(url + TODO, json={{"data": {{}}}})
        await client.post(url + TODO + "/records",
                          json={{"data": {{"title": "milk", "status": "todo"}}}})
        listed = await client.get(url + TODO + "/records", params={{"status": "{status}"}})
    assert [r["title"] for r in listed.json()["data"]] == {expected}
"""


def todo_test(side: str, status: str = "todo") -> str:
    template = {"sync": _SYNC_TODO, "async": _ASYNC_TODO, "httpx": _HTTPX_TODO}[side]
    return template.format(status=status, expected=["milk"] if status == "todo" else [])


def user_agents(project: pytest.Pytester) -> set[str]:
    """The HTTP libraries that sent the requests of the cassette, as User-Agent says
    (``kinto_query/0.1 requests/2.32 python/3.12``, or httpx's own)."""
    path = project.path / "cassettes" / "test_todo" / "test_todo.json"
    agents = [i["request"]["headers"]["User-Agent"][0].split() for i in interactions(path)]
    return {(words[1] if words[0].startswith("kinto_query/") else words[0]).split("/")[0]
            for words in agents}


def replay_offline(project: pytest.Pytester) -> str:
    """Run the project's tests in replay with no network (where ``unshare -n`` may) and no
    Kinto importable; pytest's output, once it passed."""
    from .test_recorder import WITHOUT_KINTO

    script = project.path / "without_kinto.py"
    script.write_text(WITHOUT_KINTO)
    command = [sys.executable, str(script), "pytest", "-p", "no:cacheprovider"]
    env = dict(os.environ, KINTO_SERVER_URL="http://127.0.0.1:9/v1")  # nothing listens
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"]).returncode == 0:
        command = ["unshare", "-n", *command]
    done = subprocess.run(command, cwd=project.path, capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout
    return done.stdout


@pytest.mark.live
@pytest.mark.parametrize("async_side", ["async", "httpx"])
def test_a_cassette_recorded_on_either_side_replays_on_the_other(
    project: pytest.Pytester, async_side: str
) -> None:
    project.makepyfile(test_todo=todo_test("sync"))
    project.runpytest("--kinto-record-mode=once").assert_outcomes(passed=1)
    assert user_agents(project) == {"requests"}
    project.makepyfile(test_todo=todo_test(async_side))
    replay_offline(project)

    project.runpytest("--kinto-record-mode=all").assert_outcomes(passed=1)
    assert user_agents(project) == {"httpx" if async_side == "async" else "python-httpx"}
    replay_offline(project)
    project.makepyfile(test_todo=todo_test("sync"))
    replay_offline(project)


def failure_of(result: pytest.RunResult) -> list[str]:
    """The lines of the one failure's report."""
    result.assert_outcomes(failed=1)
    section = str(result.stdout).split("_ test_todo")[1].split("short test summary")[0]
    lines: list[str] = section.split("\n", 1)[1].strip("_ =\n").splitlines()
    return lines


@pytest.mark.live
def test_a_request_the_cassette_lacks_fails_alike_on_every_side(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_todo=todo_test("async"))
    project.runpytest("--kinto-record-mode=once").assert_outcomes(passed=1)
    failures = {}
    for side in ("async", "httpx", "sync"):
        project.makepyfile(test_todo=todo_test(side, status="done"))
        failures[side] = project.runpytest()
        assert "Traceback" not in str(failures[side].stdout)
    said = [
        "the cassette cassettes/test_todo/test_todo.json holds no answer for "
        "GET /v1/buckets/b/collections/todo/records?status=done",
        "  nearest recorded: GET /v1/buckets/b/collections/todo/records?status=todo "
        "(the query differs)",
    ]
    # Each names its own test to re-record: anyio's plugin runs an async one per backend.
    for side in ("async", "httpx"):
        assert failure_of(failures[side]) == [
            *said, "  re-record this test: pytest --kinto-record-mode=all "
                   "'test_todo.py::test_todo[asyncio]'"]
    assert failure_of(failures["sync"]) == [
        *said, "  re-record this test: pytest --kinto-record-mode=all test_todo.py::test_todo"]


# -- streams -------------------------------------------------------------------------------------


def streamed_put() -> Request:
    """A PUT whose JSON body is sent as it is read (as a file upload is)."""
    pieces = [b'{"data": ', b'{"n": 1}}']
    return Request("PUT", "/buckets/b", StreamBody("application/json", lambda: iter(pieces),
                                                   length=sum(map(len, pieces))))


@pytest.mark.anyio
async def test_streams_both_ways_are_recorded_and_replayed(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    async def exchange(recorder: Recorder) -> tuple[int, Any]:
        async with recorder.async_transport(auth=ALICE) as transport:
            created = await transport.send(streamed_put())
            async with await transport.send(Request("GET", "/buckets/b"),
                                            stream=True) as read:
                body = b"".join([piece async for piece in read.iter_bytes()])
        # The data: the permissions hold user ids, which the cassette labels.
        return created.status, json.loads(body)["data"]

    recorder = recorded(tmp_path, kinto_fresh_server)
    status, live = await exchange(recorder)
    recorder.stop()
    assert status == 201 and live["n"] == 1
    (put, _) = interactions(tmp_path / "todo.json")
    assert put["request"]["body"]["json"] == {"data": {"n": 1}}
    replay = replayed(tmp_path)
    assert await exchange(replay) == (201, live)
    replay.stop()
    # The requests side sends the same stream and finds its answer.
    replay = replayed(tmp_path)
    client = Client(replay.server_url, auth=ALICE, session=replay.new_session())
    assert client.transport.send(streamed_put()).status == 201
    with client.transport.send(Request("GET", "/buckets/b"), stream=True) as read:
        assert json.loads(b"".join(read.iter_bytes()))["data"] == live
    replay.stop()


# -- compressed answers (a proxy in front of Kinto gzips them; Kinto itself never does) ---------


@pytest.mark.anyio
async def test_a_gzipped_answer_replays_on_either_side(
    tmp_path: Path, scripted: tuple[str, Script]
) -> None:
    url, script = scripted
    body = {"data": [{"id": "b", "last_modified": 1}]}
    script.answers = [(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"},
                       gzip.compress(json.dumps(body).encode()))]
    recorder = recorded(tmp_path, url)
    async with httpx_client(recorder) as client:
        live = await client.get(f"{url}/buckets")
    recorder.stop()
    assert live.json() == body
    (stored,) = interactions(tmp_path / "todo.json")
    assert "base64_string" in stored["response"]["body"]  # the bytes as sent, still gzipped

    replay = replayed(tmp_path)
    async with httpx_client(replay) as client:
        assert (await client.get(f"{replay.server_url}/buckets")).json() == body
    replay.stop()
    replay = replayed(tmp_path)
    client = Client(replay.server_url, auth=ALICE, session=replay.new_session())
    assert client.transport.send(Request("GET", "/buckets")).json() == body
    replay.stop()


# -- kinto_query's async objects through a cassette ----------------------------------------------


def async_records(transport: AsyncTransport) -> AsyncQuery[dict[str, Any]]:
    """``b/todo``'s records as plain objects, built as a collection builds its query."""
    path = f"{TODO}/records"
    return AsyncQuery(transport, path, lambda obj, fields, permissions: obj,
                      item_path=lambda record_id: f"{path}/{record_id}")


@pytest.mark.anyio
async def test_an_async_scan_page_by_page_replays_as_the_sync_query(
    tmp_path: Path, kinto_fresh_server: str
) -> None:
    recorder = recorded(tmp_path, kinto_fresh_server)
    async with recorder.async_transport(auth=ALICE) as transport:
        await transport.send(Request("PUT", "/buckets/b", {"data": {}}))
        await transport.send(Request("PUT", TODO, {"data": {}}))
        await transport.send(Request("POST", "/batch", {"requests": [
            {"method": "PUT", "path": f"{TODO}/records/r{n}", "body": {"data": {"n": n}}}
            for n in range(7)]}))
        query = async_records(transport).filter(n__gt=1).sort("n").page_size(2)
        scanned = [r["id"] async for r in query]
    recorder.stop()
    assert scanned == ["r2", "r3", "r4", "r5", "r6"]
    # Three pages, the next ones at the URLs the server gave (its origin a placeholder).
    pages = [r for r in requests_in(tmp_path / "todo.json") if "/records?" in r]
    assert len(pages) == 3 and all(p.startswith("GET <KINTO_ORIGIN>/v1/") for p in pages)

    replay = replayed(tmp_path)
    async with replay.async_transport(auth=ALICE) as transport:
        query = async_records(transport).filter(n__gt=1).sort("n").page_size(2)
        assert [r["id"] async for r in query] == scanned
    replay.stop()
    # The sync query sends the same requests: the async recording answers them.
    replay = replayed(tmp_path)
    client = Client(replay.server_url, auth=ALICE, session=replay.new_session())
    send = client.transport.send
    send(Request("PUT", "/buckets/b", {"data": {}}))
    send(Request("PUT", TODO, {"data": {}}))
    send(Request("POST", "/batch", {"requests": [
        {"method": "PUT", "path": f"{TODO}/records/r{n}", "body": {"data": {"n": n}}}
        for n in range(7)]}))
    todo = client.bucket("b").collection("todo")
    assert [r.id for r in todo.filter(n__gt=1).sort("n").page_size(2)] == scanned
    replay.stop()
    assert replay.mismatches == []
