"""Tests of testing/recorder.py: what is recorded, from where, and replayed offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kinto_query.testing import KintoServer

pytest_plugins = ["pytester"]

CONFTEST = 'pytest_plugins = ["kinto_query.testing"]\n'


_ENV = ("KINTO_QUERY_RECORD_MODE", "KINTO_QUERY_RECORD_URL", "KINTO_QUERY_RECORD_AUTH",
        "KINTO_SERVER_URL")


# Runs python with Kinto made unimportable, as where only the testing extra is installed.

WITHOUT_KINTO = """
import runpy, sys

class NoKinto:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("kinto", "kinto_attachment"):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoKinto())
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


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


# -- 3. clients the code under test builds -------------------------------------------------------

_APP = """
from kinto_query import Bucket, Client

def add_todo(title):
    client = Client(auth=("alice", "s3cret"))        # at $KINTO_SERVER_URL
    todo = Bucket("b", client=client, create=True).create_collection("todo", exist_ok=True)
    todo.create_record({"title": title})
    return [r.data.title for r in todo]
"""


_APP_TESTS = """
import app

def test_add(kinto_recorder):
    assert app.add_todo("milk") == ["milk"]
"""


_AROUND = """
import requests
from kinto_query import Client

def test_around_the_recorder(kinto_recorder):
    client = Client(kinto_recorder.server_url, session=requests.Session())
    assert "user" not in client.server_info()
"""


@pytest.mark.live
def test_3_clients_built_by_the_code_under_test_are_recorded(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(app=_APP, test_app=_APP_TESTS, test_around=_AROUND)
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "all")
    result = project.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*recorded nothing into cassettes/test_around/"
                                 "test_around_the_recorder.json: no request went through*"])
    assert "GET <KINTO_ORIGIN>/v1/buckets/b/collections/todo/records" in requests_in(
        project, "test_app/test_add")
    # No empty cassette left, nor its folder.
    assert cassettes(project) == ["test_app/test_add.json"]
    assert not (project.path / "cassettes" / "test_around").exists()
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "none")
    project.runpytest("-k", "test_add").assert_outcomes(passed=1)


# -- 4. failures that say what to do -------------------------------------------------------------

_TODO = """
from kinto_query import Bucket

def test_it(kinto_client):
    todo = Bucket("b", client=kinto_client, create=True).create_collection("todo")
    todo.create_record({{"title": "a", "status": "todo"}})
    assert [r.data.title for r in todo.filter(status="{status}")] == {expected}
"""


_EXTERNAL = """
from kinto_query import Bucket

def test_on_my_server(kinto_client):
    Bucket("mine", client=kinto_client, create=True)
    assert kinto_client.server_info()["user"]["id"].startswith("basicauth:")
"""


@pytest.fixture
def my_server() -> Iterator[str]:
    """A Kinto the user runs (here on this machine), not one the plugin starts."""
    with KintoServer() as server:
        yield server.url


@pytest.mark.live
def test_5_recording_from_a_server_of_yours(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, my_server: str
) -> None:
    project.makepyfile(test_external=_EXTERNAL)
    monkeypatch.setenv("KINTO_QUERY_RECORD_AUTH", "carol:c4r0l-pw")
    project.runpytest("--kinto-record-mode=once", f"--kinto-record-url={my_server}"
                      ).assert_outcomes(passed=1)
    # It landed on that server, as carol.
    mine = requests.get(f"{my_server}/buckets/mine", auth=("carol", "c4r0l-pw"), timeout=10)
    assert mine.status_code == 200
    text = (project.path / "cassettes" / "test_external" / "test_on_my_server.json").read_text()
    port = my_server.split(":")[2].split("/")[0]
    assert port not in text and "c4r0l-pw" not in text
    monkeypatch.delenv("KINTO_QUERY_RECORD_AUTH")
    project.runpytest().assert_outcomes(passed=1)


def run_without_kinto(project: pytest.Pytester, *args: str) -> subprocess.CompletedProcess[str]:
    script = project.path / "without_kinto.py"
    script.write_text(WITHOUT_KINTO)
    return subprocess.run([sys.executable, str(script), *args], cwd=project.path,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.live
def test_7_replay_needs_neither_kinto_nor_a_network(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_todo=_TODO.format(status="todo", expected=["a"]))
    recorded = run_without_kinto(project, "pytest", "-p", "no:cacheprovider",
                                 "--kinto-record-mode=once")
    assert recorded.returncode == 1, recorded.stdout
    assert re.search(r"cannot start Kinto: kinto and kinto_attachment are not installed in "
                     r"\S+ \(pip install 'kinto_query\[server\]'\)\n", recorded.stdout)
    assert "Traceback" not in recorded.stdout
    project.runpytest("--kinto-record-mode=once").assert_outcomes(passed=1)  # Kinto here
    replay = ["pytest", "-p", "no:cacheprovider"]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"]).returncode == 0:
        # No network at all: no interface but a loopback that is down.
        replay = ["unshare", "-n", sys.executable, str(project.path / "without_kinto.py"),
                  *replay]
        done = subprocess.run(replay, cwd=project.path, capture_output=True, text=True,
                              timeout=120)
    else:
        monkeypatch.setenv("KINTO_SERVER_URL", "http://127.0.0.1:9/v1")  # nothing listens
        done = run_without_kinto(project, *replay)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout
