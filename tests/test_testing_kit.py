"""The test kit as a user meets it: a project of its own, with
``pytest_plugins = ["kinto_query.testing"]``, recording and replaying as its README says.

One test per wall of issue 11 (numbered as there). Recording runs start a real Kinto in the
inner pytest run, hence ``live``.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kinto_query.testing import KintoServer

pytest_plugins = ["pytester"]

REPO = Path(__file__).parent.parent
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


# -- 2. secrets ----------------------------------------------------------------------------------

_SCRUB_CONFTEST = CONFTEST + """
import pytest
from kinto_query.testing import Scrub

@pytest.fixture
def kinto_scrub():
    return Scrub(headers=["X-Tenant"], fields=["data.ssn"], patterns=[r"sk_live_[a-z0-9]+"])
"""
_SECRETS = """
from kinto_query import Bucket, Request

def test_secrets(kinto_recorder):
    anonymous = kinto_recorder.client()
    account = anonymous.transport.send(
        Request("PUT", "/accounts/bob", {"data": {"password": "b0b-pa55"}})).json()
    assert set(account["data"]) >= {"id", "password"}   # the bcrypt hash comes back
    bob = kinto_recorder.client(auth=("bob", "b0b-pa55"))
    assert bob.server_info()["user"]["id"] == "account:bob"

    alice = kinto_recorder.client(auth=("alice", "s3cret"), headers={
        "X-Api-Key": "k3y-123", "Cookie": "session=c00kie", "X-Tenant": "t3nant"})
    me = alice.server_info()["user"]["id"]
    bucket = Bucket("b", client=alice, create=True)
    bucket.permissions.read += [me, "account:bob"]      # a user id read, then sent back
    bucket.save()
    assert me in bucket.refresh().permissions.write
    todo = bucket.create_collection("todo")
    record = todo.create_record({"ssn": "123-45-6789", "note": "key sk_live_abc123 here"})
    assert todo.get(record.id).data.note.startswith("key ")
"""


@pytest.mark.live
def test_2_cassettes_hold_no_credential_and_no_secret(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makeconftest(_SCRUB_CONFTEST)
    project.makepyfile(test_secrets=_SECRETS)
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "once")
    project.runpytest().assert_outcomes(passed=1)
    text = (project.path / "cassettes" / "test_secrets" / "test_secrets.json").read_text()
    basic = [base64.b64encode(c.encode()).decode() for c in ("alice:s3cret", "bob:b0b-pa55")]
    for secret in ("s3cret", "b0b-pa55", "$2b$", "k3y-123", "c00kie", "t3nant", "123-45-6789",
                   "sk_live_abc123", *basic):
        assert secret not in text
    assert not re.search(r"basicauth:[0-9a-f]{64}", text)
    assert "<SCRUBBED>" in text and '"basicauth:user1"' in text
    # Replayed: the password and the user id sent back match what was recorded.
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "none")
    project.runpytest().assert_outcomes(passed=1)


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


@pytest.mark.live
def test_4_failures_name_the_request_the_nearest_one_and_the_command(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_todo=_TODO.format(status="todo", expected=["a"]))
    missing = project.runpytest()
    missing.assert_outcomes(errors=1)
    said = str(missing.stdout)
    assert ("no cassette cassettes/test_todo/test_it.json: record it with "
            "pytest --kinto-record-mode=once test_todo.py::test_it") in said
    # Once in the report of the error (pytest's own one-line summary below it repeats it in
    # full where CI is set, as pytest then does not truncate it).
    report = said.split("short test summary info")[0]
    assert report.count("--kinto-record-mode=once test_todo.py::test_it") == 1
    assert "During handling" not in said and "Traceback" not in said

    project.runpytest("--kinto-record-mode=once", "test_todo.py::test_it").assert_outcomes(
        passed=1)
    project.makepyfile(test_todo=_TODO.format(status="done", expected=[]))
    stale = project.runpytest()
    stale.assert_outcomes(failed=1)
    section = str(stale.stdout).split("_ test_it _")[1].split("short test summary")[0]
    assert section.strip("_ =\n").splitlines() == [
        "the cassette cassettes/test_todo/test_it.json holds no answer for "
        "GET /v1/buckets/b/collections/todo/records?status=done",
        "  nearest recorded: GET /v1/buckets/b/collections/todo/records?status=todo "
        "(the query differs)",
        "  re-record this test: pytest --kinto-record-mode=all test_todo.py::test_it",
    ]
    assert "BetamaxError" not in str(stale.stdout) and "Traceback" not in str(stale.stdout)
    project.runpytest("--kinto-record-mode=all", "test_todo.py::test_it").assert_outcomes(
        passed=1)
    project.runpytest().assert_outcomes(passed=1)


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


# -- 6. cassettes a reviewer can read ------------------------------------------------------------

_CAFE = """
from kinto_query import Bucket

def test_cafe(kinto_client):
    todo = Bucket("b", client=kinto_client, create=True).create_collection("todo")
    todo.create_record({"id": "r1", "title": "café", "n": 1})
"""


@pytest.mark.live
def test_6_json_bodies_are_stored_as_indented_json(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_cafe=_CAFE)
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "once")
    project.runpytest().assert_outcomes(passed=1)
    last = cassette(project, "test_cafe/test_cafe")["http_interactions"][-1]
    assert last["request"]["body"]["json"] == {"data": {"title": "café", "n": 1}}
    assert last["response"]["body"]["json"]["data"]["title"] == "café"
    text = (project.path / "cassettes" / "test_cafe" / "test_cafe.json").read_text()
    assert '\n              "title": "café",\n' in text
    assert '"string": "{' not in text  # no body kept as an escaped string


# -- 7. replay needs pytest and betamax only -----------------------------------------------------


def test_7_the_testing_extra_is_replay_only_and_servers_need_the_server_extra() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = {extra: sorted(re.split(r"[\s<>=\[;]", r)[0] for r in extras[extra])
             for extra in ("testing", "server")}
    assert names == {"testing": ["betamax", "pytest"], "server": ["kinto", "kinto-attachment"]}


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


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_7_the_command_line_ends_with_one_clear_line(
    project: pytest.Pytester, taken_port: int
) -> None:
    busy = project.run(sys.executable, "-m", "kinto_query.testing", "--port", str(taken_port),
                       timeout=60)
    assert busy.ret == 1 and str(busy.stdout) == ""
    assert busy.errlines == [f"cannot start Kinto: localhost:{taken_port} is already in use "
                             "(another Kinto running? choose another port with --port)"]
    missing = run_without_kinto(project, "kinto_query.testing", "--port", "0")
    assert missing.returncode == 1 and missing.stdout == ""
    assert re.fullmatch(r"cannot start Kinto: kinto and kinto_attachment are not installed in "
                        r"\S+ \(pip install 'kinto_query\[server\]'\)\n", missing.stderr)


# -- 8. make test while make serve runs ----------------------------------------------------------


@pytest.fixture
def port_8888_in_use() -> Iterator[None]:
    """Port 8888 taken, as by a ``make serve`` from another clone (if something already
    holds it, that is the same situation)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", 8888))
            sock.listen()
        except OSError:
            pass  # in use already
        yield


@pytest.mark.live
def test_8_the_document_examples_run_while_make_serve_holds_8888(
    pytester: pytest.Pytester, port_8888_in_use: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KINTO_SERVER_URL", raising=False)
    result = pytester.runpytest_subprocess(
        str(REPO / "tests" / "test_readme.py"), str(REPO / "tests" / "test_seed.py"),
        f"--rootdir={REPO}", "-c", str(REPO / "pyproject.toml"), "-p", "no:cacheprovider",
        timeout=600)
    result.assert_outcomes(passed=4)
