"""The fault proxy itself, live against a real Kinto, with plain ``requests`` as the client."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .faultproxy import Fault, FaultProxy

AUTH = ("alice", "s3cret")
COLL = "/buckets/b/collections/c"


def call(method: str, url: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, url + path, auth=AUTH, timeout=10, **kwargs)


@pytest.fixture
def proxy(kinto_fresh_server: str) -> Iterator[FaultProxy]:
    with FaultProxy(kinto_fresh_server) as proxy:
        yield proxy


@pytest.fixture
def collection(kinto_fresh_server: str) -> str:
    """Bucket ``b`` and collection ``c`` on the server, created raw."""
    for path in ("/buckets/b", COLL):
        call("PUT", kinto_fresh_server, path).raise_for_status()
    return COLL


def test_url_mirrors_the_upstream_prefix(proxy: FaultProxy, kinto_fresh_server: str) -> None:
    assert kinto_fresh_server.endswith("/v1")
    assert proxy.url.startswith("http://127.0.0.1:") and proxy.url.endswith("/v1")
    assert proxy.url != kinto_fresh_server


def test_forwarding_is_transparent(proxy: FaultProxy, kinto_fresh_server: str) -> None:
    answer = call("PUT", proxy.url, "/buckets/b", json={"data": {"title": "été"}})
    assert answer.status_code == 201
    assert answer.json()["data"]["title"] == "été"
    upstream = call("GET", kinto_fresh_server, "/buckets/b")
    assert upstream.status_code == 200
    assert upstream.json() == answer.json()
    assert call("GET", proxy.url, "/buckets/b").json() == upstream.json()
    assert proxy.log == [
        ("PUT", "/v1/buckets/b", "forwarded"),
        ("GET", "/v1/buckets/b", "forwarded"),
    ]
    assert proxy.counts() == {"forwarded": 2}


def test_queries_heads_errors_and_304_are_relayed(
    proxy: FaultProxy, kinto_fresh_server: str, collection: str
) -> None:
    for n in range(3):
        call("PUT", proxy.url, f"{collection}/records/r{n}", json={"data": {"n": n}})
    with requests.Session() as session:  # one keep-alive connection for every request
        session.auth = AUTH
        head = session.head(f"{proxy.url}{collection}/records?min_n=1", timeout=10)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Total-Objects"] == "2"
        listing = session.get(f"{proxy.url}{collection}/records?_sort=n&min_n=1", timeout=10)
        assert [r["id"] for r in listing.json()["data"]] == ["r1", "r2"]
        etag = listing.headers["ETag"]
        again = session.get(
            f"{proxy.url}{collection}/records", headers={"If-None-Match": etag}, timeout=10
        )
        assert again.status_code == 304 and again.content == b""
        missing = session.get(f"{proxy.url}{collection}/records/nope", timeout=10)
        assert missing.status_code == 404 and missing.json()["errno"] == 110
        unauthenticated = requests.get(f"{proxy.url}/buckets/b", timeout=10)
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["WWW-Authenticate"].startswith("Basic")
    assert proxy.log[3][:2] == ("HEAD", f"/v1{collection}/records?min_n=1")


def test_next_page_stays_on_the_proxy(
    proxy: FaultProxy, kinto_fresh_server: str, collection: str
) -> None:
    for n in range(3):
        call("PUT", kinto_fresh_server, f"{collection}/records/r{n}", json={"data": {"n": n}})
    upstream = call("GET", kinto_fresh_server, f"{collection}/records?_limit=1")
    assert upstream.headers["Next-Page"].startswith(kinto_fresh_server + "/")
    seen, url = [], f"{proxy.url}{collection}/records?_limit=1&_sort=n"
    while url:
        page = requests.get(url, auth=AUTH, timeout=10)
        seen += [r["id"] for r in page.json()["data"]]
        url = page.headers.get("Next-Page", "")
        assert url == "" or url.startswith(proxy.url + "/")
    assert seen == ["r0", "r1", "r2"]
    assert proxy.counts() == {"forwarded": 3}


def test_unavailable_answers_503_and_writes_nothing(
    proxy: FaultProxy, kinto_fresh_server: str
) -> None:
    proxy.inject(Fault.UNAVAILABLE)
    answer = call("PUT", proxy.url, "/buckets/b")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "0"
    assert answer.json()["errno"] == 201 and answer.json()["code"] == 503
    assert call("GET", kinto_fresh_server, "/buckets/b").status_code == 403  # no such bucket
    assert proxy.log == [("PUT", "/v1/buckets/b", "UNAVAILABLE")]


def test_too_many_answers_429_with_retry_after(proxy: FaultProxy, kinto_fresh_server: str) -> None:
    proxy.inject(Fault.TOO_MANY, retry_after=3)
    answer = call("PUT", proxy.url, "/buckets/b")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "3"
    assert answer.json()["errno"] == 117
    assert call("GET", kinto_fresh_server, "/buckets/b").status_code == 403


@pytest.mark.parametrize("status", [None, 504])
def test_gateway_after_applies_the_write_then_answers_html(
    proxy: FaultProxy, kinto_fresh_server: str, status: int | None
) -> None:
    if status is None:
        proxy.inject(Fault.GATEWAY_AFTER)
    else:
        proxy.inject(Fault.GATEWAY_AFTER, status=status)
    answer = call("PUT", proxy.url, "/buckets/b", json={"data": {"x": 1}})
    assert answer.status_code == (status or 502)
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text.startswith("<html>")
    assert call("GET", kinto_fresh_server, "/buckets/b").json()["data"]["x"] == 1
    assert proxy.counts() == {"GATEWAY_AFTER": 1}


def test_reset_raises_connection_error_and_writes_nothing(
    proxy: FaultProxy, kinto_fresh_server: str
) -> None:
    proxy.inject(Fault.RESET)
    with pytest.raises(requests.ConnectionError):
        call("PUT", proxy.url, "/buckets/b")
    assert call("GET", kinto_fresh_server, "/buckets/b").status_code == 403
    assert proxy.counts() == {"RESET": 1}


def test_reset_is_a_real_rst(proxy: FaultProxy) -> None:
    proxy.inject(Fault.RESET)
    port = int(proxy.origin.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /v1/ HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            sock.recv(100)


def test_reset_after_writes_yet_raises(
    proxy: FaultProxy, kinto_fresh_server: str, collection: str
) -> None:
    proxy.inject(Fault.RESET_AFTER)
    with pytest.raises(requests.ConnectionError):
        call("PUT", proxy.url, f"{collection}/records/r1", json={"data": {"n": 1}})
    record = call("GET", kinto_fresh_server, f"{collection}/records/r1")
    assert record.status_code == 200 and record.json()["data"]["n"] == 1
    assert proxy.counts() == {"RESET_AFTER": 1}


def test_slow_body_arrives_complete_but_late(
    proxy: FaultProxy, kinto_fresh_server: str, collection: str
) -> None:
    call("PUT", kinto_fresh_server, f"{collection}/records/r1", json={"data": {"t": "x" * 50}})
    expected = call("GET", kinto_fresh_server, f"{collection}/records/r1")
    proxy.inject(Fault.SLOW_BODY, chunk_size=16, trickle_interval=0.05)
    started = time.monotonic()
    answer = call("GET", proxy.url, f"{collection}/records/r1")
    elapsed = time.monotonic() - started
    assert answer.content == expected.content
    assert elapsed >= math.ceil(len(expected.content) / 16) * 0.05
    assert proxy.counts() == {"SLOW_BODY": 1}


def test_times_expires_a_rule(proxy: FaultProxy) -> None:
    proxy.inject(Fault.UNAVAILABLE, times=2)
    statuses = [call("GET", proxy.url, "/").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    proxy.fail_next(Fault.TOO_MANY)
    assert [call("GET", proxy.url, "/").status_code for _ in range(2)] == [429, 200]
    assert proxy.counts() == {"UNAVAILABLE": 2, "forwarded": 2, "TOO_MANY": 1}


def test_rules_match_by_method_and_path_in_order(proxy: FaultProxy, collection: str) -> None:
    proxy.inject(Fault.TOO_MANY, rate=0.0)
    proxy.inject(Fault.UNAVAILABLE, methods={"put"}, path_contains="/records/")
    proxy.inject(Fault.GATEWAY_AFTER, methods={"PUT"})
    assert call("GET", proxy.url, f"{collection}/records").status_code == 200
    assert call("PUT", proxy.url, f"{collection}/records/r1").status_code == 503
    assert call("PUT", proxy.url, f"{collection}").status_code == 502
    proxy.clear()
    assert call("PUT", proxy.url, f"{collection}/records/r1").status_code == 201
    outcomes = [outcome for _, _, outcome in proxy.log]
    assert outcomes == ["forwarded", "UNAVAILABLE", "GATEWAY_AFTER", "forwarded"]


def test_a_seed_makes_outcomes_reproducible(kinto_fresh_server: str) -> None:
    runs = []
    for _ in range(2):
        with FaultProxy(kinto_fresh_server, seed=1) as proxy:
            proxy.inject(Fault.UNAVAILABLE, rate=0.5)
            statuses = [call("GET", proxy.url, "/").status_code for _ in range(20)]
            runs.append(statuses)
            assert [outcome for _, _, outcome in proxy.log] == [
                "UNAVAILABLE" if s == 503 else "forwarded" for s in statuses
            ]
    assert runs[0] == runs[1]
    assert {503, 200} == set(runs[0])


def test_concurrent_requests_are_all_logged(proxy: FaultProxy) -> None:
    proxy.inject(Fault.UNAVAILABLE, rate=0.3)
    statuses: list[int] = []

    def work() -> None:
        with requests.Session() as session:
            statuses.extend(session.get(proxy.url + "/", timeout=10).status_code for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = proxy.counts()
    assert sum(counts.values()) == len(statuses) == 40
    assert counts.get("UNAVAILABLE", 0) == statuses.count(503)


def test_unreachable_upstream_answers_502() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with FaultProxy(f"http://127.0.0.1:{port}/v1") as proxy:
            answer = requests.get(proxy.url + "/", timeout=10)
    assert answer.status_code == 502
    assert proxy.counts() == {"upstream_error": 1}


def test_bad_rules_are_refused(kinto_fresh_server: str) -> None:
    proxy = FaultProxy(kinto_fresh_server)
    with pytest.raises(TypeError):
        proxy.inject(Fault.RESET, status=504)
    with pytest.raises(ValueError):
        proxy.inject(Fault.UNAVAILABLE, rate=1.5)
    with pytest.raises(ValueError):
        proxy.inject(Fault.GATEWAY_AFTER, status=200)
    with pytest.raises(RuntimeError):
        _ = proxy.url
    with pytest.raises(ValueError):
        FaultProxy("https://example.org/v1")


def test_stop_frees_the_port_and_every_thread(kinto_fresh_server: str, collection: str) -> None:
    before = set(threading.enumerate())
    proxy = FaultProxy(kinto_fresh_server).start()
    port = int(proxy.origin.rsplit(":", 1)[1])
    with requests.Session() as session:
        session.auth = AUTH
        assert session.get(proxy.url + "/", timeout=10).status_code == 200  # kept alive
        idle = socket.create_connection(("127.0.0.1", port))  # open, never sends a request
        proxy.inject(Fault.SLOW_BODY, trickle_interval=30.0)  # would take minutes
        slow = threading.Thread(target=lambda: _swallow(session, proxy.url + collection))
        slow.start()
        time.sleep(0.3)
        assert len(set(threading.enumerate()) - before) >= 4  # server, 2 handlers, client
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 5
        slow.join(10)
        idle.close()
    assert set(threading.enumerate()) <= before
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/v1/", timeout=5)
    proxy.stop()  # a second stop does nothing


def _swallow(session: requests.Session, url: str) -> None:
    with contextlib.suppress(requests.RequestException):
        session.get(url, timeout=60)  # reads the whole (never complete) body


def test_client_connections_counts_what_clients_hold_open(proxy: FaultProxy) -> None:
    session = requests.Session()
    session.get(proxy.url + "/", timeout=10).raise_for_status()
    assert proxy.client_connections == 1  # kept alive by the session
    session.close()
    deadline = time.monotonic() + 5
    while proxy.client_connections and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proxy.client_connections == 0
