"""Tests of _wire/_blocking/transport.py: Request values, the one object that sends, its safety
checks."""

from __future__ import annotations

import contextlib
import datetime
import io
import ipaddress
import platform
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

import kinto_query
from kinto_query import (
    Client,
    Collection,
    ConfigurationError,
    Forbidden,
    InvalidResponse,
    KintoConnectionError,
    Request,
    TooManyRedirects,
    Transport,
    UnsafeURL,
)
from kinto_query._config import DEFAULT_TIMEOUT
from kinto_query._wire.policy import MAX_REDIRECTS

from ..conftest import AUTH, WIRE_OK, Handler, Script, WireAnswer, local_server

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

    do_PUT = do_GET

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


def test_a_write_redirected_to_add_v1_is_a_configuration_error_too(redirecting: str) -> None:
    # A path below the origin: a bare origin means its /v1 API root and is not redirected.
    transport = Transport(redirecting + "/kinto", auth=AUTH)
    with pytest.raises(ConfigurationError, match="the server URL is probably"):
        transport.send(Request("PUT", "/buckets/b", {"data": {}}))


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


# -- following redirects of reads ---------------------------------------------------------------
# Two hand-written loopback servers (the configured one and "another origin", which records what
# reached it): a plain Kinto redirects only within itself, so it cannot show the rest.


@contextlib.contextmanager
def scripted_origin() -> Iterator[tuple[str, Script]]:
    script = Script()
    with local_server(type("ScriptedHandler", (Handler,), {"script": script})) as origin:
        yield origin, script


@pytest.fixture
def two_origins() -> Iterator[tuple[tuple[str, Script], tuple[str, Script]]]:
    with scripted_origin() as server, scripted_origin() as elsewhere:
        yield server, elsewhere


def redirect(status: int, location: str) -> WireAnswer:
    return (status, {"Location": location, "Content-Type": "application/json"}, b"{}")


def test_a_read_follows_a_redirect_on_the_same_origin(two_origins: Any) -> None:
    (server, script), _ = two_origins
    script.answers = [redirect(307, "/v1/buckets/moved?x=1")]
    response = Transport(server + "/v1", auth=AUTH).send(Request("GET", "/buckets/b"))
    assert (response.status, response.url) == (200, f"{server}/v1/buckets/moved?x=1")
    assert [path for _, path, _, _ in script.seen] == ["/v1/buckets/b", "/v1/buckets/moved?x=1"]
    # Same origin: the credentials go along.
    assert all("Authorization" in headers for _, _, headers, _ in script.seen)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_read_redirected_elsewhere_arrives_without_credentials(
    two_origins: Any, method: str
) -> None:
    (server, script), (other, seen) = two_origins
    # User info in the Location is dropped too: no credentials ride in a followed URL.
    target = other.replace("http://", "http://mallory:pw@") + "/cdn/changes?_expected=0"
    script.answers = [redirect(307, target)]
    session = requests.Session()
    session.headers["Authorization"] = "Bearer session-token"  # a session's own credentials
    session.cookies.set("session", "cookie-secret", domain="127.0.0.1")
    transport = Transport(server + "/v1", auth=AUTH, session=session,
                          headers={"X-Api-Key": "k", "Authorization": "Bearer configured"})
    response = transport.send(Request(method, "/buckets/monitor/collections/changes"))
    assert (response.status, response.url) == (200, f"{other}/cdn/changes?_expected=0")
    [(seen_method, path, headers, _)] = seen.seen
    assert (seen_method, path) == (method, "/cdn/changes?_expected=0")
    assert not {"Authorization", "Cookie", "X-Api-Key"} & set(headers)
    assert headers["User-Agent"].startswith("kinto_query/")
    first = script.seen[0][2]  # the server itself got all of them
    assert first["Authorization"].startswith("Basic ") and first["X-Api-Key"] == "k"
    assert "cookie-secret" in first["Cookie"]


def test_credentials_stay_off_after_the_way_left_the_server(two_origins: Any) -> None:
    (server, script), (other, seen) = two_origins
    script.answers = [redirect(302, f"{other}/hop"), WIRE_OK]
    seen.answers = [redirect(302, f"{server}/v1/back")]
    response = Transport(server + "/v1", auth=AUTH).send(Request("GET", "/buckets/b"))
    assert response.url == f"{server}/v1/back"
    assert "Authorization" not in script.seen[1][2]  # back on the server, still without


def test_a_redirect_loop_is_a_clear_error(two_origins: Any) -> None:
    (server, script), (other, seen) = two_origins
    script.answers = [redirect(307, f"{other}/a"), redirect(307, f"{other}/a")]
    seen.answers = [redirect(301, f"{server}/v1/buckets/b")]
    with pytest.raises(TooManyRedirects, match=re.escape(
            f"GET {server}/v1/buckets/b: the redirects loop ({server}/v1/buckets/b -> "
            f"{other}/a -> {server}/v1/buckets/b)")) as caught:
        Transport(server + "/v1", retry=None).send(Request("GET", "/buckets/b"))
    assert isinstance(caught.value, UnsafeURL)


def test_redirects_are_followed_a_bounded_number_of_times(two_origins: Any) -> None:
    (server, script), _ = two_origins
    script.answers = [redirect(307, f"/v1/hop/{n}") for n in range(MAX_REDIRECTS + 1)]
    with pytest.raises(TooManyRedirects, match=f"more than {MAX_REDIRECTS} redirects"):
        Transport(server + "/v1", retry=None).send(Request("GET", "/buckets/b"))
    assert len(script.seen) == MAX_REDIRECTS + 1


@pytest.mark.parametrize("method", ["PUT", "POST", "PATCH", "DELETE"])
def test_a_write_is_never_redirected(two_origins: Any, method: str) -> None:
    (server, script), (other, seen) = two_origins
    script.answers = [redirect(307, f"{other}/v1/buckets/b")]
    with pytest.raises(UnsafeURL, match=re.escape(
            f"{method} {server}/v1/buckets/b was redirected to {other}/v1/buckets/b; "
            "kinto_query follows redirects of reads only")):
        Transport(server + "/v1", auth=AUTH, retry=None).send(
            Request(method, "/buckets/b", {"data": {}}))
    assert seen.seen == []


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as files (for a loopback https server)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            # Its own trust anchor: OpenSSL takes a self-signed one as such only as a CA.
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_a_redirect_from_https_to_http_is_refused(two_origins: Any, tmp_path: Path) -> None:
    _, (other, seen) = two_origins
    cert_file, key_file = _self_signed(tmp_path)
    script = Script()
    script.answers = [redirect(302, f"{other}/v1/buckets/b")]
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (Handler,), {"script": script}))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        session = requests.Session()
        session.verify = str(cert_file)
        session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides session.verify
        url = f"https://127.0.0.1:{server.server_port}/v1"
        with pytest.raises(UnsafeURL, match=r"redirected to http://.*: not followed, it leaves "
                           "https"):
            Transport(url, auth=AUTH, session=session, retry=None).send(
                Request("GET", "/buckets/b"))
    finally:
        server.shutdown()
        server.server_close()
    assert len(script.seen) == 1 and seen.seen == []


def test_kinto_redirects_a_trailing_slash_and_a_read_follows(todo: Collection,
                                                            alice: Client) -> None:
    """A real Kinto's own 307 (``.../records/`` to ``.../records``): followed for a read."""
    response = alice.transport.send(Request("GET", f"{todo.path}/records/"))
    assert response.status == 200
    assert response.url == f"{alice.server_url}{todo.path}/records"
    assert isinstance(response.data(), list)


def test_kinto_redirects_a_trailing_slash_and_a_write_is_refused(alice: Client) -> None:
    with pytest.raises(UnsafeURL, match=r"PUT .*/buckets/b/ was redirected to .*/buckets/b; "
                       "kinto_query follows redirects of reads only: use the exact URL"):
        alice.transport.send(Request("PUT", "/buckets/b/", {"data": {}}))
    with pytest.raises(Forbidden):  # nothing was created (Kinto: 403 for a missing bucket)
        alice.transport.send(Request("GET", "/buckets/b"))


# -- User-Agent ---------------------------------------------------------------------------------


def test_every_request_says_who_sends_it(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    Transport(url, retry=None).send(Request("GET", "/buckets/b"))
    Transport(url, retry=None, user_agent="myproduct/1.2").send(Request("GET", "/buckets/b"))
    expected = (f"kinto_query/{kinto_query.__version__} requests/{requests.__version__} "
                f"python/{platform.python_version()}")
    assert [headers["User-Agent"] for _, _, headers, _ in script.seen] == [
        expected, f"myproduct/1.2 {expected}"]


def test_the_user_agent_reaches_a_real_kinto_in_batches_and_copies(
    kinto_fresh_server: str,
) -> None:
    client = Client(kinto_fresh_server, auth=AUTH, user_agent="reader/3")
    assert client.transport.copy().user_agent == "reader/3"
    client.server_info()  # answered by the real server with the header sent


@pytest.mark.parametrize("bad", ["", "  ", "a\r\nX-Injected: 1", 12])
def test_a_user_agent_must_be_a_product_token(bad: object) -> None:
    with pytest.raises(ValueError, match="product token"):
        Client(user_agent=bad)  # type: ignore[arg-type]


def test_remote_settings_redirects_an_old_since_and_a_read_follows(
    kinto_fresh_rs_server: Any,
) -> None:
    """monitor/changes answers 307 for a _since older than it keeps (to its http_host, here
    itself): followed, to the whole list."""
    server = kinto_fresh_rs_server
    timestamp = server.publish("regions", [{"id": "fr"}])
    monitor = "/buckets/monitor/collections/changes/changeset"
    raw = requests.get(f"{server.url}{monitor}?_expected=0&_since=%221%22",
                       allow_redirects=False, timeout=10)
    assert raw.status_code == 307  # what the server does, read raw
    client = Client(server.url, auth=AUTH)
    response = client.transport.send(Request("GET", f'{monitor}?_expected=0&_since="1"'))
    assert response.status == 200
    assert response.url == f"{server.url}{monitor}?_expected=0"
    changes = response.json()["changes"]
    assert [(c["bucket"], c["collection"], c["last_modified"]) for c in changes] == [
        ("main", "regions", timestamp)]
    client.close()


@pytest.mark.kinto_remote_settings
def test_the_monitors_redirect_replays(kinto_client: Client) -> None:
    """The same 307 (recorded from the kit's Remote Settings server), followed in replay."""
    monitor = "/buckets/monitor/collections/changes/changeset"
    response = kinto_client.transport.send(Request("GET", f'{monitor}?_expected=0&_since="1"'))
    assert response.status == 200
    assert response.url == f"{kinto_client.server_url}{monitor}?_expected=0"
    assert response.json()["changes"] == []
