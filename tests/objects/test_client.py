"""Tests of _objects/_blocking/client.py: the Client facade's configuration, and what it asks the
server."""

from __future__ import annotations

import pytest
import requests
from requests.auth import HTTPDigestAuth

from kinto_query import Client, Collection

from ..conftest import RequestLog


def test_server_url_defaults_to_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINTO_SERVER_URL", raising=False)
    assert Client().server_url == "http://localhost:8888/v1"


def test_server_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINTO_SERVER_URL", "https://kinto.example.com/v1/")
    assert Client().server_url == "https://kinto.example.com/v1"


def test_server_url_loses_its_trailing_slash() -> None:
    assert Client("http://h:1/v1/").server_url == "http://h:1/v1"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:8888/v1", "http"),
        ("ftp://h/v1", "http"),
        ("http://alice:s3cret@h/v1", "must not hold credentials"),
        ("http://h/v1?x=1", "query"),
    ],
)
def test_bad_server_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        Client(url)
    assert "s3cret" not in str(caught.value)


def test_requests_auth_objects_are_used_as_is() -> None:
    digest = HTTPDigestAuth("u", "p")
    assert Client(auth=digest).auth is digest


@pytest.mark.parametrize("auth", [("alice", "s3cret"), "alice:s3cret", "Bearer s3cret"])
def test_repr_never_shows_credentials(auth: object) -> None:
    text = repr(Client("http://h.test/v1", auth=auth))  # type: ignore[arg-type]
    assert "s3cret" not in text
    assert "YWxpY2U6czNjcmV0" not in text
    assert text.startswith("<Client 'http://h.test/v1'")


def test_repr_says_a_dry_run_client_is_one() -> None:
    assert repr(Client("http://h.test/v1", dry_run=True)) == (
        "<Client 'http://h.test/v1', dry_run=True>")
    assert repr(Client("http://h.test/v1")) == "<Client 'http://h.test/v1'>"


def test_facade_properties_are_the_transports() -> None:
    client = Client("http://h.test/v1", auth=("alice", "s3cret"))
    transport = client.transport
    assert (client.server_url, client.auth, client.session) == (
        transport.server_url, transport.auth, transport.session)


def test_injected_session_is_not_closed() -> None:
    closed: list[str] = []

    class Tracking(requests.Session):
        def close(self) -> None:
            closed.append("injected")

    with Client(session=Tracking()) as client:
        assert isinstance(client.session, Tracking)
    assert closed == []


def test_owned_session_is_closed() -> None:
    closed: list[str] = []
    owned = Client()
    owned.session.close = lambda: closed.append("owned")  # type: ignore[method-assign]
    with owned:
        pass
    assert closed == ["owned"]


def test_buckets_query_url(offline_client: Client) -> None:
    assert offline_client.buckets().sort("id").url == "http://localhost:8888/v1/buckets?_sort=id"


def test_server_info_is_fetched_once(kinto_client: Client, request_log: RequestLog) -> None:
    info = kinto_client.server_info()
    assert info["project_name"] == "kinto"
    assert info["http_api_version"].startswith("1.")
    assert kinto_client.batch_max_requests == 25
    assert {"default_bucket", "accounts", "history"} <= set(kinto_client.capabilities)
    assert info["user"]["id"].startswith("basicauth:")
    kinto_client.server_info()
    assert request_log.sent == [("GET", "/")]


def test_client_lists_buckets(todo: Collection, alice: Client) -> None:
    """Client.buckets() lists the buckets the user can read."""
    assert "w" in [b.id for b in alice.buckets()]
