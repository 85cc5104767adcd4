"""Tests of _wire/plugins.py: the flush endpoint, and NotEnabled where a server's part is off."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterator

import pytest
import requests

from kinto_query import Bucket, Client, NotEnabled, NotFound

from ..conftest import AUTH, RequestLog, raw

# -- cassettes ------------------------------------------------------------------------------------


def test_flush_empties_the_server(kinto_client: Client, request_log: RequestLog) -> None:
    Bucket("shop", client=kinto_client, create=True).create_collection("todo")
    assert [b.id for b in kinto_client.buckets()] == ["shop"]
    request_log.clear()
    assert kinto_client.flush() is None
    assert request_log.sent == [("POST", "/__flush__")]
    assert list(kinto_client.buckets()) == []


# -- live -----------------------------------------------------------------------------------------


def test_flush_reads_back_empty_raw(todo: object, alice: Client, kinto_fresh_server: str) -> None:
    assert raw("GET", kinto_fresh_server, "/buckets/w").status_code == 200
    alice.flush()
    assert raw("GET", kinto_fresh_server, "/buckets/w").status_code == 403  # gone (or hidden)
    assert requests.get(kinto_fresh_server + "/buckets", auth=AUTH, timeout=10).json() == {
        "data": []}


@pytest.fixture(scope="module")
def bare_server() -> Iterator[str]:
    """A Kinto with flush, history, accounts and the permissions endpoint all off."""
    from kinto_query.testing import KintoServer

    settings = {"includes": "kinto.plugins.default_bucket", "multiauth_policies": "basicauth",
                "experimental_permissions_endpoint": "false"}
    with KintoServer(settings=settings) as server:
        yield server.url


OFF: list[tuple[str, Callable[[Client], object], str, str]] = [
    ("flush", lambda c: c.flush(),
     "POST /v1/__flush__ -> 404 Not Found: this server has no flush endpoint "
     "(turned on by kinto.plugins.flush in kinto.includes) (errno 111)", "flush endpoint"),
    ("history", lambda c: list(c.bucket("b").history()),
     "GET /v1/buckets/b/history -> 404 Not Found: this server has no history plugin "
     "(turned on by kinto.plugins.history in kinto.includes) (errno 111)", "history plugin"),
    ("history count", lambda c: c.bucket("b").history().count(),
     "GET /v1/buckets/b/history?_fields=id,deleted -> 404", "history plugin"),
    ("history purge", lambda c: c.bucket("b").history().delete(),
     "DELETE /v1/buckets/b/history -> 404", "history plugin"),
    ("permissions", lambda c: c.permissions().first(),
     "GET /v1/permissions?_limit=1 -> 404 Not Found: this server has no permissions endpoint "
     "(turned on by kinto.experimental_permissions_endpoint = true) (errno 111)",
     "permissions endpoint"),
    ("permissions count", lambda c: c.permissions().count(), "/v1/permissions",
     "permissions endpoint"),
    ("accounts", lambda c: c.accounts.create("ann", "pw"),
     "PUT /v1/accounts/ann -> 404 Not Found: this server has no accounts plugin "
     "(turned on by kinto.plugins.accounts in kinto.includes) (errno 111)", "accounts plugin"),
    ("account", lambda c: c.accounts.get("ann"), "GET /v1/accounts/ann -> 404", "accounts plugin"),
    ("attach", lambda c: c.bucket("b").collection("c").record(id="r1").attach(
        io.BytesIO(b"x"), filename="a.txt"),
     "POST /v1/buckets/b/collections/c/records/r1/attachment -> 404 Not Found: this server has "
     "no kinto-attachment plugin (turned on by kinto_attachment in kinto.includes)",
     "kinto-attachment plugin"),
    ("detach", lambda c: c.bucket("b").collection("c").record(id="r1").detach(),
     "DELETE /v1/buckets/b/collections/c/records/r1/attachment -> 404",
     "kinto-attachment plugin"),
]


@pytest.mark.live
@pytest.mark.parametrize(("what", "call", "text", "feature"), OFF, ids=[o[0] for o in OFF])
def test_what_is_off_says_so(bare_server: str, what: str, call: Callable[[Client], object],
                             text: str, feature: str) -> None:
    client = Client(bare_server, auth=AUTH)
    with pytest.raises(NotEnabled) as caught:
        call(client)
    error = caught.value
    assert text in str(error)
    assert isinstance(error, NotFound) and error.status == 404 and error.feature == feature
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.feature, copy.setting, str(copy)) == (
        NotEnabled, error.feature, error.setting, str(error))


@pytest.mark.live
def test_the_bare_server_still_serves_the_rest(bare_server: str) -> None:
    client = Client(bare_server, auth=AUTH)
    assert client.whoami().policy == "basicauth"
    bucket = Bucket("b", client=client, create=True)
    assert [b.id for b in client.buckets()] == ["b"]
    bucket.delete()


def test_a_missing_object_stays_not_found(alice: Client) -> None:
    # Only the endpoints of optional parts read a 404 as "turned off".
    with pytest.raises(NotFound) as caught:
        alice.bucket("default").collection("nope").get("r1")
    assert not isinstance(caught.value, NotEnabled)
