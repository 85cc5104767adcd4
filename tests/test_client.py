"""Pure tests of the Client: configuration, credentials, network failures (no Kinto needed)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from requests.auth import HTTPDigestAuth

from kinto_query import Client, KintoConnectionError, TokenAuth, UnsafeURL
from kinto_query._client import DEFAULT_TIMEOUT, parse_auth


def header_of(auth: object) -> str | None:
    request = requests.Request("GET", "http://x/", auth=parse_auth(auth)).prepare()
    return request.headers.get("Authorization")


def test_server_url_default_env_and_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINTO_SERVER_URL", raising=False)
    assert Client().server_url == "http://localhost:8888/v1"
    monkeypatch.setenv("KINTO_SERVER_URL", "https://kinto.example.com/v1/")
    assert Client().server_url == "https://kinto.example.com/v1"
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


@pytest.mark.parametrize(
    ("auth", "header"),
    [
        (("alice", "s3cret"), "Basic YWxpY2U6czNjcmV0"),
        ("alice:s3cret", "Basic YWxpY2U6czNjcmV0"),
        ("alice:pass word:with colon", "Basic YWxpY2U6cGFzcyB3b3JkOndpdGggY29sb24="),
        ("Bearer abc.def", "Bearer abc.def"),
        ("Portier xyz", "Portier xyz"),
        (TokenAuth("Bearer", "t"), "Bearer t"),
        (None, None),
    ],
)
def test_auth_spellings(auth: object, header: str | None) -> None:
    assert header_of(auth) == header


def test_requests_auth_objects_are_used_as_is() -> None:
    digest = HTTPDigestAuth("u", "p")
    assert Client(auth=digest).auth is digest


@pytest.mark.parametrize(
    ("auth", "error", "message"),
    [
        (("alice",), TypeError, "two strings"),
        (("alice", 3), TypeError, "two strings"),
        ("alice", ValueError, "'user:password' or '<Type> <credentials>'"),
        (":nouser", ValueError, "'user:password'"),
        (42, TypeError, "not int"),
        (lambda r: r, TypeError, "AuthBase"),
    ],
)
def test_bad_auth_says_what_is_accepted(auth: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Client(auth=auth)  # type: ignore[arg-type]


@pytest.mark.parametrize("auth", [("alice", "s3cret"), "alice:s3cret", "Bearer s3cret"])
def test_repr_never_shows_credentials(auth: object) -> None:
    text = repr(Client("http://h/v1", auth=auth))  # type: ignore[arg-type]
    assert "s3cret" not in text
    assert "YWxpY2U6czNjcmV0" not in text
    assert text.startswith("<Client 'http://h/v1'")


@pytest.mark.parametrize("timeout", [None, 0, -1, (1, 2, 3), "5", True])
def test_timeout_must_be_finite(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        Client(timeout=timeout)  # type: ignore[arg-type]


def test_default_timeout_is_finite() -> None:
    assert Client().timeout == DEFAULT_TIMEOUT
    assert all(0 < t < 300 for t in DEFAULT_TIMEOUT)


def test_owned_session_is_closed_injected_one_is_not() -> None:
    closed: list[str] = []

    class Tracking(requests.Session):
        def close(self) -> None:
            closed.append("injected")

    with Client(session=Tracking()) as client:
        assert isinstance(client.session, Tracking)
    assert closed == []
    owned = Client()
    owned.session.close = lambda: closed.append("owned")  # type: ignore[method-assign]
    with owned:
        pass
    assert closed == ["owned"]


def test_absolute_urls_must_stay_on_the_server() -> None:
    client = Client("http://localhost:8888/v1")
    assert client.url("http://LOCALHOST:8888/v1/buckets?_token=x") == (
        "http://LOCALHOST:8888/v1/buckets?_token=x"
    )
    for elsewhere in [
        "http://evil.example/v1/buckets",
        "https://localhost:8888/v1/buckets",
        "http://localhost:9999/v1/buckets",
    ]:
        with pytest.raises(UnsafeURL, match="would send your credentials elsewhere"):
            client.url(elsewhere)


def test_body_that_is_not_json_is_a_clear_type_error() -> None:
    client = Client("http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="body is not JSON"):
        client._request("PUT", "/buckets/b", body={"data": {"when": object()}})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_refused_connection_is_a_kinto_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    client = Client(url, auth=("alice", "s3cret"))
    with pytest.raises(KintoConnectionError) as caught:
        client.server_info()
    error = caught.value
    assert str(error).startswith(f"GET {url}/: cannot reach the server at {url}")
    assert isinstance(error.cause, requests.ConnectionError)
    assert "s3cret" not in str(error)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real socket that accepts connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_times_out(silent_server: str) -> None:
    client = Client(silent_server, timeout=(1, 0.3))
    with pytest.raises(KintoConnectionError, match=r"no answer within \(1, 0.3\) s") as caught:
        client.server_info()
    assert isinstance(caught.value.cause, requests.Timeout)
