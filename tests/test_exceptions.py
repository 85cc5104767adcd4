"""Errors from responses a real Kinto cannot be made to send: a proxy's HTML page, an empty 502.

Those answers come from a tiny local HTTP server written here (a hand-made response,
because Kinto itself always answers JSON); Kinto's own errors are in test_errors_cassettes.py.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kinto_query import Client, HTTPError, KintoError, ServerError, TooManyRequests


class ProxyHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.endswith("/html"):
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        elif self.path.endswith("/empty"):
            body = b""
            self.send_response(502)
        elif self.path.endswith("/teapot"):
            body = b'{"code": 418, "message": "short and stout"}'
            self.send_response(418)
            self.send_header("Content-Type", "application/json")
        else:
            body = b""
            self.send_response(429)
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), ProxyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def test_html_error_page_gives_a_clean_server_error(proxy: str) -> None:
    client = Client(proxy, auth=("alice", "s3cret"))
    with pytest.raises(ServerError) as caught:
        client._request("GET", "/html")
    error = caught.value
    assert str(error) == "GET /v1/html -> 502 Bad Gateway: non-JSON answer (text/html, 50 bytes)"
    assert (error.status, error.errno, error.details) == (502, None, None)


def test_empty_error_body(proxy: str) -> None:
    with pytest.raises(ServerError, match=r"^GET /v1/empty -> 502 Bad Gateway: empty answer$"):
        Client(proxy)._request("GET", "/empty")


def test_unlisted_status_is_a_plain_http_error(proxy: str) -> None:
    with pytest.raises(HTTPError) as caught:
        Client(proxy)._request("GET", "/teapot")
    assert type(caught.value) is HTTPError
    assert str(caught.value).endswith("-> 418 I'm a Teapot: short and stout")


def test_too_many_requests_reads_retry_after(proxy: str) -> None:
    with pytest.raises(TooManyRequests) as caught:
        Client(proxy)._request("GET", "/slow")
    assert caught.value.retry_after == 7
    assert isinstance(caught.value, KintoError)


def test_errors_survive_pickling(proxy: str) -> None:
    with pytest.raises(ServerError) as caught:
        Client(proxy)._request("GET", "/empty")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == str(caught.value)
    assert copy.status == 502
