"""Tests of testing/cassettes.py: JSON bodies stored as indented JSON."""

from __future__ import annotations

import json
from typing import Any

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


def cassette(project: pytest.Pytester, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.path / "cassettes" / f"{name}.json").read_text())
    return data


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
