"""Tests of _json.py: answers decode to the same values with the fast decoder (msgspec, the
``fast`` extra) as with ``json`` alone (``KINTO_QUERY_FAST_JSON=0``), and a body that is not
JSON is the same clear error either way.

The suite runs with msgspec installed (the ``dev`` extra); each test here runs with it on and
off, the fast runs skipped where it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
from typing import Any

import pytest

from kinto_query import Client, Collection, InvalidResponse
from kinto_query._json import decoder, loads

from .conftest import TODO, Script, own, raw

HAS_MSGSPEC = importlib.util.find_spec("msgspec") is not None
DECODERS = [
    pytest.param("msgspec", marks=pytest.mark.skipif(not HAS_MSGSPEC,
                                                     reason="the fast extra is not installed")),
    "json",
]


@pytest.fixture(params=DECODERS)
def chosen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The decoder a test runs with: msgspec (when installed) or json alone."""
    if request.param == "json":
        monkeypatch.setenv("KINTO_QUERY_FAST_JSON", "0")
    else:
        monkeypatch.delenv("KINTO_QUERY_FAST_JSON", raising=False)
    assert decoder() == request.param
    return str(request.param)


def same(value: Any, expected: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0), NaN equal to NaN."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(value, float) and math.isnan(value)
    if type(value) is not type(expected):
        return False
    if isinstance(expected, dict):
        return list(value) == list(expected) and all(same(value[k], v)
                                                     for k, v in expected.items())
    if isinstance(expected, list):
        return len(value) == len(expected) and all(map(same, value, expected))
    return bool(value == expected)


# What msgspec reads differently from json, or refuses where json reads it: the fallback.
BODIES = [
    b'{"data": [{"id": "a", "n": 1, "x": 1.5, "t": true, "z": null, "s": "\\u00e9\\n"}]}',
    b'{"n": 123456789012345678901234567890, "m": -9223372036854775809}',  # beyond 64 bits
    b'{"a": 1, "a": 2}',  # duplicate keys: the last one
    b'{"x": NaN, "y": Infinity, "z": -Infinity}',
    b'{"big": 1e400}',  # beyond a float: inf
    b'{"s": "\\ud800"}',  # a lone surrogate escape
    b'{"x": -0.0, "tiny": 5e-324, "p": 0.1}',
    b'\xef\xbb\xbf{"bom": 1}',
    '{"utf16": "\u00e9"}'.encode("utf-16"),
    b'  [1, "two", {"three": [3]}]  ',
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_decodes_to_what_json_gives_with_either_decoder(chosen: str, body: bytes) -> None:
    assert same(loads(body), json.loads(body))


@pytest.mark.parametrize("body", [b"", b"<html>", b'{"data": [', b'{"a": 1} x', b'{"a": "\xff"}'])
def test_a_body_that_is_not_json_is_a_value_error_with_either_decoder(
    chosen: str, body: bytes
) -> None:
    with pytest.raises(ValueError):
        loads(body)


@pytest.mark.parametrize("body", [b'{"data": [{"id": "a"}, {"id": "b"', b'{"data": ["\xff"]}'])
def test_a_page_that_is_not_json_is_our_clear_error_with_either_decoder(
    chosen: str, scripted: tuple[str, Script], body: bytes
) -> None:
    # Hand-written answers (the scripted server): a real Kinto always sends whole JSON.
    url, script = scripted
    script.answers = [(200, {"Content-Type": "application/json"}, body)]
    collection = Client(url, retry=None).bucket("b").collection("c")
    with pytest.raises(InvalidResponse) as raised:
        list(collection)
    assert str(raised.value) == (
        f"GET {url}/buckets/b/collections/c/records -> 200: expected JSON, got "
        f"application/json ({len(body)} bytes)")


def test_a_scan_reads_the_same_records_with_either_decoder(
    chosen: str, todo: Collection, kinto_fresh_server: str
) -> None:
    # (Kinto itself sends 2**70 back as a float: the values compared are the ones it sent.)
    todo.record({"id": "odd", "big": 2**62, "huge": 2**70, "text": "é\u2028\U0001f600",
                 "f": 0.1}).save()
    sent = raw("GET", kinto_fresh_server, f"{TODO}/records").content
    expected = {obj["id"]: obj for obj in json.loads(sent)["data"]}
    got = {obj["id"]: obj for obj in todo.dicts()}
    assert same(got, expected)
    record = todo.get("odd")
    assert same(record.data.to_dict(), own(expected["odd"])) and record.data.big == 2**62
