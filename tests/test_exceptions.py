"""Tests of exceptions.py: one hierarchy, and what each error says.

Kinto's own errors are replayed from cassettes. Answers a real Kinto cannot be made to send (a
proxy's HTML page, an empty 502) come from a tiny local HTTP server written here.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from kinto_query import (
    AlreadyExists,
    BadRequest,
    Client,
    Collection,
    Forbidden,
    HTTPError,
    KintoError,
    NotFound,
    PreconditionFailed,
    Request,
    ServerError,
    TooManyRequests,
    Unauthorized,
)
from kinto_query.testing import Recorder

from .conftest import local_server, put

HUGE = "x" * 1_000_000  # a 1 MB error message


class ProxyHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.endswith("/html"):
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        elif self.path.endswith("/empty"):
            body = b""
            self.send_response(502)
        elif self.path.endswith("/huge"):
            body = json.dumps({"code": 400, "errno": 107, "message": HUGE}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
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
    with local_server(ProxyHandler) as origin:
        yield origin + "/v1"


def get(url: str, path: str) -> None:
    Client(url, auth=("alice", "s3cret"), retry=None).transport.send(Request("GET", path))


# -- answers that are not Kinto's ---------------------------------------------------------------


def test_html_error_page_gives_a_clean_server_error(proxy: str) -> None:
    with pytest.raises(ServerError) as caught:
        get(proxy, "/html")
    error = caught.value
    assert str(error) == "GET /v1/html -> 502 Bad Gateway: non-JSON answer (text/html, 50 bytes)"
    assert (error.status, error.errno, error.details) == (502, None, None)


def test_error_carries_our_response_and_request(proxy: str) -> None:
    with pytest.raises(ServerError) as caught:
        get(proxy, "/html")
    error = caught.value
    assert error.request == Request("GET", "/html")
    assert (error.response.status, error.response.reason) == (502, "Bad Gateway")
    assert error.response.headers["content-type"] == "text/html; charset=utf-8"
    assert error.response.content.startswith(b"<html>")


def test_empty_error_body(proxy: str) -> None:
    with pytest.raises(ServerError, match=r"^GET /v1/empty -> 502 Bad Gateway: empty answer$"):
        get(proxy, "/empty")


def test_unlisted_status_is_a_plain_http_error(proxy: str) -> None:
    with pytest.raises(HTTPError) as caught:
        get(proxy, "/teapot")
    assert type(caught.value) is HTTPError
    assert str(caught.value).endswith("-> 418 I'm a Teapot: short and stout")


def test_too_many_requests_reads_retry_after(proxy: str) -> None:
    with pytest.raises(TooManyRequests) as caught:
        get(proxy, "/slow")
    assert caught.value.retry_after == 7
    assert isinstance(caught.value, KintoError)


def test_errors_survive_pickling(proxy: str) -> None:
    with pytest.raises(ServerError) as caught:
        get(proxy, "/empty")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == str(caught.value)
    assert copy.status == 502


def test_a_huge_error_message_is_cut_in_str_and_kept_whole_in_message(proxy: str) -> None:
    with pytest.raises(BadRequest) as caught:
        get(proxy, "/huge")
    error = caught.value
    assert str(error) == (
        "GET /v1/huge -> 400 Bad Request: " + "x" * 500
        + "… [999500 more characters] (errno 107)"
    )
    assert len(str(error)) < 1000
    assert error.message == HUGE
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


# -- Kinto's own errors, recorded -----------------------------------------------------------------


def test_unauthorized_without_credentials(kinto_recorder: Recorder) -> None:
    anonymous = kinto_recorder.client()
    with pytest.raises(Unauthorized) as caught:
        anonymous.transport.send(Request("PUT", "/buckets/b", {"data": {}}))
    error = caught.value
    assert (error.status, error.errno) == (401, 104)
    assert str(error) == (
        "PUT /v1/buckets/b -> 401 Unauthorized: "
        "Please authenticate yourself to use this endpoint. (errno 104)"
    )


@pytest.mark.parametrize("path", ["/buckets/private", "/buckets/does-not-exist"])
def test_forbidden_for_a_bucket_of_someone_else(kinto_recorder: Recorder, path: str) -> None:
    alice = kinto_recorder.client(auth=("alice", "s3cret"))
    bob = kinto_recorder.client(auth=("bob", "hunter22"))
    put(alice, "/buckets/private")
    with pytest.raises(Forbidden) as caught:
        bob.transport.send(Request("GET", path))
    assert (caught.value.status, caught.value.errno) == (403, 121)
    assert str(caught.value) == (
        f"GET /v1{path} -> 403 Forbidden: This user cannot access this resource. "
        "(Kinto answers 403 both when you may not access an object and when a bucket "
        "does not exist); if these credentials may be wrong, client.whoami() says who the "
        "server takes you for (errno 121)"
    )
    assert caught.value.credentials_sent


def test_not_found_missing_collection(kinto_client: Client) -> None:
    put(kinto_client, "/buckets/b")
    with pytest.raises(NotFound) as caught:
        kinto_client.transport.send(Request("GET", "/buckets/b/collections/c/records"))
    assert str(caught.value) == (
        "GET /v1/buckets/b/collections/c/records -> 404 Not Found: "
        "collection 'c' not found in bucket 'b' (or the bucket does not exist) (errno 111)"
    )
    assert caught.value.details == {"id": "c", "resource_name": "collection"}


def test_not_found_missing_record(kinto_client: Client) -> None:
    put(kinto_client, "/buckets/b")
    put(kinto_client, "/buckets/b/collections/c")
    with pytest.raises(NotFound) as caught:
        kinto_client.bucket("b").collection("c").get("nope")
    assert str(caught.value) == (
        "GET /v1/buckets/b/collections/c/records/nope -> 404 Not Found: "
        "record 'nope' not found (errno 110)"
    )


def test_bad_request_for_an_invalid_id_sent_raw(kinto_client: Client) -> None:
    # The client never builds such a path (InvalidId first); sent raw to see the server's answer.
    with pytest.raises(BadRequest) as caught:
        kinto_client.transport.send(Request("PUT", "/buckets/x.y", {"data": {}}))
    error = caught.value
    assert (error.status, error.errno) == (400, 107)
    assert str(error) == (
        "PUT /v1/buckets/x.y -> 400 Bad Request: path: Invalid object id (errno 107)"
    )


def test_precondition_failed_carries_the_existing_object(kinto_client: Client) -> None:
    put(kinto_client, "/buckets/b")
    first = put(kinto_client, "/buckets/b/collections/c", {"v": 1})
    put(kinto_client, "/buckets/b/collections/c", {"v": 2})
    with pytest.raises(PreconditionFailed) as caught:
        kinto_client.transport.send(Request(
            "PUT",
            "/buckets/b/collections/c",
            {"data": {"v": 3}},
            {"If-Match": f'"{first["data"]["last_modified"]}"'},
        ))
    error = caught.value
    assert (error.status, error.errno) == (412, 114)
    assert error.existing is not None and error.existing["v"] == 2
    answer = kinto_client.transport.send(Request("GET", "/buckets/b/collections/c")).json()
    assert answer["data"]["v"] == 2


# -- messages, live -------------------------------------------------------------------------------


def test_already_exists_message_suggests_exist_ok(todo: Collection) -> None:
    """Creating an existing id says it already exists and how to accept that."""
    with pytest.raises(AlreadyExists) as caught:
        todo.create_record({"id": "r1"})
    message = str(caught.value)
    assert "already exists" in message
    assert "exist_ok=True" in message
    assert "modified meanwhile" not in message


def test_count_on_missing_collection_says_not_found(todo: Collection, alice: Client) -> None:
    """count() (a HEAD, no body) on a missing collection says what listing it says."""
    missing = alice.bucket("w").collection("nope")
    with pytest.raises(NotFound) as listed:
        list(missing)
    with pytest.raises(NotFound) as counted:
        missing.count()
    assert "collection 'nope' not found" in str(listed.value)
    assert "collection 'nope' not found" in str(counted.value)


def test_a_stale_save_says_what_to_do(todo: Collection, alice: Client) -> None:
    mine = todo.create_record({"id": "stale", "title": "milk"})
    theirs = alice.bucket("w").collection("todo").get("stale")
    theirs.data.title = "bread"
    theirs.save()
    mine.data.title = "eggs"
    with pytest.raises(PreconditionFailed) as caught:
        mine.save()
    assert str(caught.value).endswith(
        "-> 412 Precondition Failed: Resource was modified meanwhile: record 'stale' changed on "
        "the server since you loaded it; refresh() and redo your change, read the server's "
        "version in error.existing, or save(force=True) to overwrite it (errno 114)")
    assert caught.value.existing is not None and caught.value.existing["title"] == "bread"
    with pytest.raises(PreconditionFailed, match=r"or delete\(force=True\) to overwrite it"):
        mine.delete()


def test_a_wrong_password_on_a_bucket_hints_to_check_the_credentials(
    todo: Collection, kinto_fresh_server: str
) -> None:
    wrong = Client(kinto_fresh_server, auth=("alice", "not her password"))
    with pytest.raises(Forbidden) as caught:
        wrong.bucket("w").collection("todo").count()
    assert "client.whoami() says who the server takes you for" in str(caught.value)
