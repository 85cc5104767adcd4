"""Tests of _transport.py: Request values, the one object that sends, its safety checks."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from kinto_query import (
    Client,
    Collection,
    ConfigurationError,
    InvalidResponse,
    KintoConnectionError,
    Request,
    Transport,
    UnsafeURL,
)
from kinto_query._transport import DEFAULT_TIMEOUT

from .conftest import AUTH, local_server

# -- Request values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "batchable"),
    [
        (None, True),
        ({"data": {"title": "x"}}, True),
        ({}, True),
        ([{"op": "add", "path": "/data/title", "value": "x"}], False),
    ],
)
def test_request_batchable_only_with_an_object_body(body: object, batchable: bool) -> None:
    # Kinto refuses a whole batch holding a JSON-Patch list (400 errno 107).
    assert Request("PATCH", "/buckets/b", body).batchable() is batchable


# -- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [None, 0, -1, (1, 2, 3), "5", True])
def test_timeout_must_be_finite(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        Client(timeout=timeout)  # type: ignore[arg-type]


def test_default_timeout_is_finite() -> None:
    assert Client().transport.timeout == DEFAULT_TIMEOUT
    assert all(0 < t < 300 for t in DEFAULT_TIMEOUT)


def test_repr_never_shows_credentials() -> None:
    text = repr(Transport("http://h.test/v1", auth=AUTH))
    assert text == "<Transport 'http://h.test/v1', auth=BasicAuth('alice', '***')>"


def test_absolute_urls_on_the_server_are_kept() -> None:
    transport = Client("http://localhost:8888/v1").transport
    assert transport.url("http://LOCALHOST:8888/v1/buckets?_token=x") == (
        "http://LOCALHOST:8888/v1/buckets?_token=x"
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        "http://evil.example/v1/buckets",
        "https://localhost:8888/v1/buckets",
        "http://localhost:9999/v1/buckets",
    ],
)
def test_absolute_urls_must_stay_on_the_server(elsewhere: str) -> None:
    transport = Client("http://localhost:8888/v1").transport
    with pytest.raises(UnsafeURL, match="would send your credentials elsewhere"):
        transport.url(elsewhere)


def test_body_that_is_not_json_is_a_clear_type_error() -> None:
    client = Client("http://127.0.0.1:9/v1", retry=None)
    with pytest.raises(TypeError, match="cannot send field 'when' to Kinto"):
        client.transport.send(Request("PUT", "/buckets/b", {"data": {"when": object()}}))


# -- no answer ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_refused_connection_is_a_kinto_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    client = Client(url, auth=AUTH)
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
    client = Client(silent_server, timeout=(1, 0.3), retry=None)
    with pytest.raises(KintoConnectionError, match=r"no answer within \(1, 0.3\) s") as caught:
        client.server_info()
    assert isinstance(caught.value.cause, requests.Timeout)


# -- redirects and odd answers, from a tiny local server ---------------------------------------


class RedirectingHandler(BaseHTTPRequestHandler):
    """Answers as Kinto (or a proxy) would to malformed URLs; hand-made, as Kinto never errs."""

    def do_GET(self) -> None:
        if self.path.endswith("/away"):
            self._answer(302, {"Location": "http://elsewhere.example/v1/buckets"})
        elif self.path.startswith("/v1/"):
            if self.path.endswith("/"):  # Kinto: a trailing slash is redirected away
                self._answer(307, {"Location": self.path.rstrip("/")})
            elif self.path.endswith("/html"):  # a success that is not Kinto's JSON
                self._answer(200, {"Content-Type": "text/html"}, b"<html>hello</html>")
            else:
                self._answer(200, {"Content-Type": "application/json"}, b'{"data": {}}')
        else:  # Kinto: a URL without /v1 is redirected to the one with it
            self._answer(307, {"Location": "/v1" + self.path})

    def _answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def redirecting() -> Iterator[str]:
    """The origin (no /v1) of a local server that redirects like Kinto."""
    with local_server(RedirectingHandler) as origin:
        yield origin


def test_a_bare_origin_is_the_servers_root_with_the_api_below_v1(redirecting: str) -> None:
    transport = Transport(redirecting, auth=AUTH)
    assert transport.server_url == f"{redirecting}/v1"
    response = transport.send(Request("GET", "/buckets/b/collections/c/records"))
    assert (response.status, response.url) == (200, f"{redirecting}/v1/buckets/b/collections/c"
                                                     "/records")


def test_redirect_inserting_v1_is_a_configuration_error(redirecting: str) -> None:
    transport = Transport(redirecting + "/kinto", auth=AUTH)
    with pytest.raises(ConfigurationError) as caught:
        transport.send(Request("GET", "/buckets/b/collections/c/records"))
    assert f"the server URL is probably '{redirecting}/v1/kinto'" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_redirect_inserting_v1_below_a_prefix(redirecting: str) -> None:
    transport = Transport(redirecting + "/kinto", auth=AUTH)
    with pytest.raises(ConfigurationError, match="redirected GET /kinto/buckets to /v1/kinto"):
        transport.send(Request("GET", "/buckets"))


def test_redirect_of_a_trailing_slash_is_unsafe(redirecting: str) -> None:
    transport = Transport(redirecting + "/v1", auth=AUTH)
    with pytest.raises(UnsafeURL, match=r"was redirected to .*/v1/buckets/b; use the exact URL"):
        transport.send(Request("GET", "/buckets/b/"))


def test_redirect_to_another_host_is_unsafe(redirecting: str) -> None:
    transport = Transport(redirecting, auth=AUTH)
    with pytest.raises(UnsafeURL, match=r"redirected to http://elsewhere\.example/v1/buckets"):
        transport.send(Request("GET", "/away"))


def test_a_success_that_is_not_json_is_an_invalid_response(redirecting: str) -> None:
    transport = Transport(redirecting + "/v1")
    response = transport.send(Request("GET", "/html"))
    with pytest.raises(InvalidResponse, match=r"-> 200: expected JSON, got text/html \(18 bytes"):
        response.json()


def test_response_carries_its_request(redirecting: str) -> None:
    request = Request("GET", "/buckets/b")
    response = Transport(redirecting + "/v1").send(request)
    assert response.request is request
    assert (response.status, response.data()) == (200, {})
    assert response.url == f"{redirecting}/v1/buckets/b"


# -- against a real Kinto -------------------------------------------------------------------------


def test_live_a_server_url_without_v1_works(todo: Collection, kinto_fresh_server: str) -> None:
    """The server's bare origin, as people type it: Kinto's API root /v1 is below it."""
    client = Client(kinto_fresh_server.removesuffix("/v1"), auth=AUTH)
    assert client.server_url == kinto_fresh_server
    assert client.bucket("w").collection("todo").count() == todo.count()


def test_a_session_with_another_adapter_is_read_as_requests_reads_it() -> None:
    """A transport adapter whose body is a plain file object (as mocks and custom adapters
    give), not urllib3's response: the answer is still read whole."""

    class FileAdapter(requests.adapters.BaseAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
            response = requests.Response()
            response.status_code, response.url, response.request = 200, request.url or "", request
            response.headers["Content-Type"] = "application/json"
            response.raw = io.BytesIO(b'{"data": {"id": "b"}}')
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    session.mount("http://", FileAdapter())
    answer = Client("http://kinto.test/v1", session=session).transport.send(
        Request("GET", "/buckets/b"))
    assert answer.json() == {"data": {"id": "b"}}
