"""Tests of testing/httpx_cassette.py: the httpx side of a Recorder, on the same cassettes as
the requests side (recorded from a real Kinto, replayed offline, scrubbed, and failing with the
same message)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from kinto_query import Client, Request
from kinto_query.testing import CassetteMismatch, Recorder

ALICE = ("alice", "s3cret")
TODO = "/buckets/b/collections/todo"


def interactions(path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(path.read_text())["http_interactions"]
    return found


def requests_in(path: Path) -> list[str]:
    return [f"{i['request']['method']} {i['request']['uri']}" for i in interactions(path)]


def httpx_client(recorder: Recorder, auth: tuple[str, str] = ALICE) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=recorder.async_transport(), auth=auth)


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
    async with httpx.AsyncClient(transport=recorder.async_transport()) as anonymous:
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
    async with httpx.AsyncClient(transport=replay.async_transport()) as anonymous:
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
