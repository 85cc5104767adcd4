"""Tests of testing/mismatch.py: what a test asking for an unrecorded request is told."""

from __future__ import annotations

import pytest

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
