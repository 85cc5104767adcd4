"""Tests of _wire/http.py: what each side's wire says of a failed exchange, and which wire a
configuration gets."""

from __future__ import annotations

import httpx
import pytest
import requests

from kinto_query import Config, HttpxWire, Outgoing, Request, RequestsWire
from kinto_query._wire.http import async_wire_for, wire_for


def _out() -> Outgoing:
    return Outgoing(request=Request("GET", "/x"), url="http://kinto.test/v1/x", headers={},
                    body=None, auth=None, trusted=True, stream=False, timeout=(5.0, 60.0),
                    deadline=120.0, limit=0.0, server_url="http://kinto.test/v1")


def test_a_failure_is_worded_the_same_whatever_the_wire() -> None:
    out = _out()
    assert str(out.failure(OSError(), deadline_passed=True)) == (
        "GET http://kinto.test/v1/x: no complete answer within the 120.0 s deadline")
    assert str(out.failure(TimeoutError(), timed_out=True)) == (
        "GET http://kinto.test/v1/x: no answer within (5.0, 60.0) s (TimeoutError)")
    refused = out.failure(ConnectionRefusedError(), never_sent=True)
    assert refused.never_sent and str(refused).endswith(
        "cannot reach the server at http://kinto.test/v1 (ConnectionRefusedError)")


def test_each_side_gets_its_own_wire_and_refuses_the_others() -> None:
    session = requests.Session()
    sync = wire_for(Config("http://kinto.test/v1", session=session,
                           session_factory=requests.Session))
    assert isinstance(sync, RequestsWire) and sync.session is session and not sync.owned
    assert isinstance(async_wire_for(Config("http://kinto.test/v1")), HttpxWire)
    with pytest.raises(TypeError, match="must be a sync wire"):
        wire_for(Config("http://kinto.test/v1", wire=HttpxWire(httpx.AsyncClient())))
    with pytest.raises(TypeError, match="session= is a requests session, for Client"):
        async_wire_for(Config("http://kinto.test/v1", session=session))
