"""Tests of testing/plugin.py: cassette names, and record modes as pytest options."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# pytester's in-process runs forget the modules first imported during them, and httpx imports
# httpcore lazily and keeps the exception classes of the first one it saw: imported here, the
# one httpcore stays for the whole session (else a later test's ConnectError escapes httpx's
# mapping of httpcore's errors).
import httpcore  # noqa: F401
import pytest

from kinto_query import Request
from kinto_query.aio import AsyncClient, AsyncTransport, HttpxWire
from kinto_query.testing import Recorder
from kinto_query.testing.plugin import cassette_name, cassette_of

pytest_plugins = ["pytester"]

CONFTEST = 'pytest_plugins = ["kinto_query.testing"]\n'


_ENV = ("KINTO_QUERY_RECORD_MODE", "KINTO_QUERY_RECORD_URL", "KINTO_QUERY_RECORD_AUTH",
        "KINTO_SERVER_URL")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project that opted in to the plugin, and no record setting from outside."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    return pytester


def cassette(project: pytest.Pytester, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.path / "cassettes" / f"{name}.json").read_text())
    return data


def cassettes(project: pytest.Pytester) -> list[str]:
    folder = project.path / "cassettes"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.json"))


def requests_in(project: pytest.Pytester, name: str) -> list[str]:
    return [f"{i['request']['method']} {i['request']['uri']}"
            for i in cassette(project, name)["http_interactions"]]


# -- 1. two tests, one cassette ------------------------------------------------------------------

_SAME_NAMES = """
import pytest
from kinto_query import Bucket

def buckets(client, name):
    Bucket(name, client=client, create=True)
    return [b.id for b in client.buckets()]

class TestOne:
    def test_it(self, kinto_client):
        assert buckets(kinto_client, "one") == ["one"]

class TestTwo:
    def test_it(self, kinto_client):
        assert buckets(kinto_client, "two") == ["two"]

@pytest.mark.parametrize("param", ["x/y", "x_y"])
def test_param(kinto_client, param):
    name = {"x/y": "slash", "x_y": "underscore"}[param]
    assert buckets(kinto_client, name) == [name]
"""


_IN_A_FOLDER = """
from kinto_query import Bucket

def test_it(kinto_client):
    Bucket("{name}", client=kinto_client, create=True)
    assert [b.id for b in kinto_client.buckets()] == ["{name}"]
"""


@pytest.mark.live
def test_1_tests_of_the_same_name_get_cassettes_of_their_own(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_same=_SAME_NAMES)
    for folder in ("a", "b"):
        project.mkpydir(folder)
        (project.path / folder / "test_same.py").write_text(_IN_A_FOLDER.format(name=folder))
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "all")
    project.runpytest().assert_outcomes(passed=6)
    names = cassettes(project)
    assert names[:2] == ["a/test_same/test_it.json", "b/test_same/test_it.json"]
    assert names[2:4] == ["test_same/TestOne.test_it.json", "test_same/TestTwo.test_it.json"]
    assert [re.sub(r"-[0-9a-f]{8}\]", "-<hash>]", n) for n in names[4:]] == [
        "test_same/test_param[x_y-<hash>].json", "test_same/test_param[x_y].json"]
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "none")
    project.runpytest().assert_outcomes(passed=6)
    # The same names run after run.
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "all")
    project.runpytest().assert_outcomes(passed=6)
    assert cassettes(project) == names


# -- 5. record modes as options, and a server of yours -------------------------------------------

_TWO = """
from kinto_query import Bucket

def test_first(kinto_client):
    Bucket("first", client=kinto_client, create=True)

def test_second(kinto_client):
    Bucket("second", client=kinto_client, create=True){more}
"""


@pytest.mark.live
def test_5_record_modes_are_pytest_options(project: pytest.Pytester) -> None:
    project.makepyfile(test_two=_TWO.format(more=""))
    project.runpytest("--kinto-record-mode=once", "-k", "first").assert_outcomes(passed=1)
    first = (project.path / "cassettes" / "test_two" / "test_first.json").read_text()
    # none: replay only; the missing cassette is an error.
    project.runpytest("--kinto-record-mode=none").assert_outcomes(passed=1, errors=1)
    # once: records the missing one only.
    project.runpytest("--kinto-record-mode=once").assert_outcomes(passed=2)
    assert (project.path / "cassettes" / "test_two" / "test_first.json").read_text() == first
    # new: keeps what a cassette holds, adds the request it lacks.
    project.makepyfile(test_two=_TWO.format(more="\n    kinto_client.server_info()"))
    project.runpytest("--kinto-record-mode=new", "-k", "second").assert_outcomes(passed=1)
    assert requests_in(project, "test_two/test_second") == [
        "PUT <KINTO_ORIGIN>/v1/buckets/second", "GET <KINTO_ORIGIN>/v1/"]
    project.runpytest().assert_outcomes(passed=2)
    # all: records every one anew.
    project.runpytest("--kinto-record-mode=all").assert_outcomes(passed=2)
    assert (project.path / "cassettes" / "test_two" / "test_first.json").read_text() != first
    refused = project.runpytest("--kinto-record-mode=sometimes")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid choice: 'sometimes'" in str(refused.stderr)


@pytest.mark.parametrize(("nodeid", "name"), [
    ("test_x.py::test_it", "test_x/test_it"),
    ("tests/api/test_x.py::TestA::test_it", "tests/api/test_x/TestA.test_it"),
    ("a/test_x.py::TestA::TestB::test_it[1-a]", "a/test_x/TestA.TestB.test_it[1-a]"),
    ("../up/test_x.py::test_it", "..-9d891e73/up/test_x/test_it"),
])
def test_cassette_names_follow_the_test_id(nodeid: str, name: str) -> None:
    assert cassette_name(nodeid) == name


def test_cassette_names_stay_unique_where_characters_must_go() -> None:
    names = {cassette_name(f"t.py::test[{p}]") for p in ("a/b", "a_b", "a b", "a\\b", "x" * 300)}
    assert len(names) == 5
    assert all(len(n) < 120 for n in names)


# -- async tests: one cassette for every anyio backend -------------------------------------------

_BACKENDS_CONFTEST = """
import pytest

pytest_plugins = ["kinto_query.testing"]

# Two backends, as where trio is installed too: asyncio, and asyncio in debug mode.
@pytest.fixture(params=["asyncio", ("asyncio", {"debug": True})])
def anyio_backend(request):
    return request.param
"""

_ASYNC_PARAMS = """
import os

import httpx
import pytest

@pytest.mark.anyio
@pytest.mark.parametrize("name", ["x", "y"])
async def test_bucket(kinto_recorder, name):
    async with httpx.AsyncClient(transport=kinto_recorder.httpx_transport(),
                                 auth=("alice", "s3cret")) as client:
        put = await client.put(f"{os.environ['KINTO_SERVER_URL']}/buckets/{name}",
                               json={"data": {}})
    assert put.json()["data"]["id"] == name
"""


@pytest.mark.live
def test_an_async_test_has_one_cassette_for_all_backends(project: pytest.Pytester) -> None:
    project.makeconftest(_BACKENDS_CONFTEST)
    project.makepyfile(test_async=_ASYNC_PARAMS)
    result = project.runpytest("--kinto-record-mode=once", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_bucket?asyncio-x? PASSED*",
                                 "*test_bucket?anyio_backend1-x? PASSED*"])
    # The first backend's run recorded it, the second replayed it.
    assert cassettes(project) == ["test_async/test_bucket[x].json",
                                  "test_async/test_bucket[y].json"]
    assert requests_in(project, "test_async/test_bucket[x]") == [
        "PUT <KINTO_ORIGIN>/v1/buckets/x"]
    project.runpytest().assert_outcomes(passed=4)


@pytest.mark.parametrize(("nodeid", "backend", "name"), [
    ("t.py::test_it[asyncio]", "asyncio", "t/test_it"),
    ("t.py::test_it[trio-a-1]", "trio", "t/test_it[a-1]"),
    ("t.py::test_it[a-1-trio]", "trio", "t/test_it[a-1]"),
    ("t.py::test_it[a-asyncio-b]", "asyncio", "t/test_it[a-b]"),
    ("t.py::test_it[anyio_backend1]", ("asyncio", {"debug": True}), "t/test_it"),
    ("t.py::test_it", "asyncio", "t/test_it"),  # a conftest's anyio_backend, not a parameter
])
def test_an_async_tests_cassette_leaves_its_backend_out(
    nodeid: str, backend: Any, name: str
) -> None:
    params = {"anyio_backend": backend} if nodeid.endswith("]") else {}
    item = SimpleNamespace(nodeid=nodeid, callspec=SimpleNamespace(
        params=params, indices={"anyio_backend": 1}))
    assert cassette_of(item) == name  # type: ignore[arg-type]


# -- async tests on this suite's own cassettes ---------------------------------------------------


@pytest.mark.anyio
async def test_kinto_async_transport_talks_through_the_cassette(
    kinto_async_transport: AsyncTransport, kinto_recorder: Recorder
) -> None:
    async with kinto_async_transport as transport:
        created = await transport.send(Request("PUT", "/buckets/shop", {"data": {}}))
        info = await transport.server_info()
    assert created.json()["data"]["id"] == "shop"
    assert info["user"]["id"].startswith("basicauth:")  # user1 on replay
    assert transport.server_url == kinto_recorder.server_url
    assert kinto_recorder.sent == 2
    wire = transport.wire
    assert isinstance(wire, HttpxWire) and wire.client.is_closed  # async with closed it


@pytest.mark.anyio
async def test_kinto_async_client_is_an_async_client_on_the_cassette(
    kinto_async_client: AsyncClient, kinto_recorder: Recorder
) -> None:
    async with kinto_async_client as client:
        todo = client.bucket("home").collection("todo")
        await client.bucket("home").create()
        await todo.create()
        made = await todo.create_record({"title": "milk", "status": "done"})
        titles = [r.data.title async for r in todo.records().filter(status="done")]
        again = await todo.get_record(made.id)
    assert titles == ["milk"]
    assert (again.id, again.data.title) == (made.id, "milk")
    assert client.server_url == kinto_recorder.server_url
    assert kinto_recorder.sent == 5
    # The recorder's httpx client is the fixture's own: async with closed it.
    wire = client.transport.wire
    assert isinstance(wire, HttpxWire) and wire.client.is_closed


@pytest.mark.anyio
async def test_async_transports_built_during_a_test_are_routed(
    kinto_recorder: Recorder,
) -> None:
    async with AsyncTransport(auth=("alice", "s3cret")) as transport:  # no URL, no wire
        await transport.send(Request("PUT", "/buckets/routed", {"data": {}}))
        assert transport.server_url == kinto_recorder.server_url
        assert transport.id_factory == kinto_recorder.new_id
    assert kinto_recorder.sent == 1


_AROUND = """
import httpx
import pytest

from kinto_query import Request
from kinto_query.aio import AsyncClient, AsyncTransport, HttpxWire

@pytest.mark.anyio
async def test_around(kinto_recorder):
    wire = HttpxWire(httpx.AsyncClient())   # a wire of its own: not routed
    async with AsyncTransport(kinto_recorder.server_url, wire=wire) as transport:
        await transport.send(Request("GET", "/"))
"""


@pytest.mark.live
def test_an_async_test_that_records_nothing_is_told_why(project: pytest.Pytester) -> None:
    project.makepyfile(test_around=_AROUND)
    result = project.runpytest("--kinto-record-mode=once")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*recorded nothing into cassettes/test_around/test_around.json:"
                                 " no request went through the recorder*async ones without "
                                 "wire=*"])
    assert cassettes(project) == []


# -- the async guide's test example, as a user's project runs it ---------------------------------


@pytest.mark.live
def test_the_async_guides_test_example_records_then_replays(project: pytest.Pytester) -> None:
    from ..conftest import markdown_blocks

    guide = (Path(__file__).parent.parent.parent / "docs" / "guides" / "async.md").read_text()
    (example,) = [b for b in markdown_blocks(guide) if "kinto_async_client" in b]
    project.makepyfile(test_todo_async=example)
    project.makeconftest(CONFTEST + _ANYIO_BACKEND)
    project.runpytest("--kinto-record-mode=once").assert_outcomes(passed=1)
    assert requests_in(project, "test_todo_async/test_milk_is_done")[-1] == (
        "GET <KINTO_ORIGIN>/v1/buckets/home/collections/todo/records?status=done")
    project.runpytest("--kinto-record-mode=none", "-p", "no:cacheprovider").assert_outcomes(
        passed=1)


_ANYIO_BACKEND = '''
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
'''
