"""Our suite is the first user of the kinto_query.testing plugin.

Every test carries its medium as a marker: the plugin marks ``live`` the tests that use a
real server and ``cassette`` those that replay one; ``pytest_collection_modifyitems`` below
marks every other test ``pure`` (no Kinto at all).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from kinto_query import Bucket, Client, Collection, Request, Response, Transport
from kinto_query.exceptions import raise_for_response

pytest_plugins = ["kinto_query.testing"]

AUTH = ("alice", "s3cret")
TODO = "/buckets/w/collections/todo"
R1 = {"title": "a", "status": "todo", "n": 1}
R2 = {"author": {"name": "ann", "age": 3}, "title": "t"}
R3 = {"title": "c", "status": "todo", "n": 3}
_MEDIA = ("live", "cassette", "postgresql")
# The fixtures by which the plugin marks a test live or cassette.
_SERVER_FIXTURES = {
    "kinto_server", "kinto_fresh_server", "kinto_recorder", "kinto_client",
    "kinto_async_transport", "kinto_async_client",
    "kinto_postgresql", "kinto_pg_server", "kinto_fresh_pg_server", "kinto_any_server",
    "kinto_rs_server", "kinto_fresh_rs_server", "kinto_rs_pg_server", "kinto_fresh_rs_pg_server",
    "kinto_any_rs_server",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: "-m pure" deselects in a later implementation of this hook, so a test must be
    # marked before; the plugin's own marking may not have run yet, hence the fixture check.
    for item in items:
        uses_a_server = _SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
        if not uses_a_server and not any(item.get_closest_marker(m) for m in _MEDIA):
            item.add_marker(pytest.mark.pure)


@pytest.fixture
def anyio_backend() -> str:
    """The async tests (``@pytest.mark.anyio``, anyio's plugin) run on asyncio."""
    return "asyncio"


# -- watching what a client sends ----------------------------------------------------------------


class RequestLog:
    """Every request a client sends from now on: ``sent`` as (method, path and query below the
    server URL), ``requests`` as requests prepared them."""

    def __init__(self, client: Client) -> None:
        self.server_url = client.server_url
        self.sent: list[tuple[str, str]] = []
        self.requests: list[requests.PreparedRequest] = []
        client.session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        self.requests.append(request)
        self.sent.append((request.method or "", (request.url or "").replace(self.server_url, "")))

    @property
    def methods(self) -> list[str]:
        return [method for method, _ in self.sent]

    def clear(self) -> None:
        self.sent.clear()
        self.requests.clear()


class NoNetwork(requests.Session):
    """A session that fails the test on any request: building a query must send nothing."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        pytest.fail(f"unexpected request: {args[:2]}")


@pytest.fixture
def offline_client() -> Client:
    return Client("http://localhost:8888/v1", auth=AUTH, session=NoNetwork())


@pytest.fixture
def request_log(kinto_client: Client) -> RequestLog:
    return RequestLog(kinto_client)


# -- writing through the client's own request path ---------------------------------------------


def put(client: Client, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """Create or replace an object through the client's own request path."""
    body: dict[str, Any] = {"data": data or {}}
    body.update(extra)
    return client.transport.send(Request("PUT", path, body)).json()


def load_records(
    client: Client, bucket: str, collection: str, records: Iterable[dict[str, Any]]
) -> None:
    """A bucket, a collection and its records, each by id."""
    put(client, f"/buckets/{bucket}")
    put(client, f"/buckets/{bucket}/collections/{collection}")
    for record in records:
        put(client, f"/buckets/{bucket}/collections/{collection}/records/{record['id']}", record)


def batch_put(client: Client, path: str, records: Iterable[dict[str, Any]]) -> None:
    """Load many records fast: PUT each by id, 25 to a POST /batch (the default maximum)."""
    chunk: list[dict[str, Any]] = []

    def send() -> None:
        answer = client.transport.send(Request("POST", "/batch", {"requests": chunk})).json()
        assert all(r["status"] in (200, 201) for r in answer["responses"])
        chunk.clear()

    for record in records:
        chunk.append({"method": "PUT", "path": f"{path}/{record['id']}", "body": {"data": record}})
        if len(chunk) == 25:
            send()
    if chunk:
        send()


# -- reading a live server raw, never through kinto_query ---------------------------------------


def raw(method: str, url: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, url + path, json=body, auth=AUTH, timeout=10)


def raw_get(url: str, path: str) -> Any:
    response = raw("GET", url, path)
    response.raise_for_status()
    return response.json()


def raw_dump(url: str) -> dict[str, bytes]:
    """Every bucket, group, collection and record (and each listing) as the server sends
    its bytes, timestamps included: a dry run must leave every one of them as it was."""
    dump: dict[str, bytes] = {}

    def get(path: str) -> Any:
        answer = raw("GET", url, path)
        dump[path] = answer.content
        return answer.json()

    for bucket in get("/buckets")["data"]:
        path = f"/buckets/{bucket['id']}"
        get(path)
        for kind in ("groups", "collections"):
            for child in get(f"{path}/{kind}")["data"]:
                child_path = f"{path}/{kind}/{child['id']}"
                get(child_path)
                if kind == "collections":
                    for record in get(f"{child_path}/records")["data"]:
                        get(f"{child_path}/records/{record['id']}")
    return dump


def raw_put_record(url: str, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
    response = raw("PUT", url, f"{TODO}/records/{record_id}", {"data": data})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def raw_record(url: str, record_id: str) -> dict[str, Any]:
    """The record's data as the server has it (id and last_modified included)."""
    data: dict[str, Any] = raw_get(url, f"{TODO}/records/{record_id}")["data"]
    return data


def raw_read(url: str, path: str) -> list[str]:
    read: list[str] = raw_get(url, path)["permissions"].get("read", [])
    return read


def own(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("id", "last_modified")}


# -- fixtures: objects on a cassette or on a live server ----------------------------------------


@pytest.fixture
def bucket(kinto_client: Client) -> Bucket:
    """A bucket 'shop' on this test's cassette."""
    return Bucket("shop", client=kinto_client, create=True)


@pytest.fixture
def alice(kinto_fresh_server: str) -> Client:
    return Client(kinto_fresh_server, auth=AUTH)


@pytest.fixture
def bob(kinto_fresh_server: str) -> Client:
    return Client(kinto_fresh_server, auth=("bob", "hunter22"))


def seeded_todo(client: Client, url: str) -> Collection:
    """Bucket 'w', collection 'todo' holding r1, r2, r3 (R1, R2, R3), written raw."""
    collection = Bucket("w", client=client, create=True).create_collection("todo")
    for record_id, data in (("r1", R1), ("r2", R2), ("r3", R3)):
        raw_put_record(url, record_id, data)
    return collection


@pytest.fixture
def todo(alice: Client, kinto_fresh_server: str) -> Collection:
    """Live: ``seeded_todo`` on the memory backend."""
    return seeded_todo(alice, kinto_fresh_server)


@pytest.fixture
def any_alice(kinto_any_server: str) -> Client:
    """alice on a fresh server of each backend in turn (memory, then PostgreSQL)."""
    return Client(kinto_any_server, auth=AUTH)


@pytest.fixture
def any_todo(any_alice: Client, kinto_any_server: str) -> Collection:
    """``seeded_todo`` on each backend in turn: read the server raw through
    ``kinto_any_server``."""
    return seeded_todo(any_alice, kinto_any_server)


@pytest.fixture
def team_todo(alice: Client) -> Collection:
    """Live: an empty collection 'todo' of alice's bucket 'live', which bob may write too."""
    bucket = Bucket("live", client=alice, create=True)
    # Let bob in, to race with alice.
    bucket.permissions.write += ["system.Authenticated"]
    bucket.save()
    return bucket.create_collection("todo")


# The address the README's and the seed README's examples are written for (make serve).
DOCS_ORIGIN = "http://localhost:8888"


@pytest.fixture(scope="session")
def docs_server() -> Iterator[str]:
    """A Kinto for the documents' examples, on a free port: the suite runs while a
    ``make serve`` holds 8888. Run each block through ``for_docs_server``."""
    from kinto_query.testing import KintoServer  # the plugin module: imported after pytest's

    with KintoServer(host="localhost") as server:
        yield server.url


def for_docs_server(block: str, server_url: str) -> str:
    """A code block as written, pointed at ``server_url`` instead of ``make serve``."""
    return block.replace(DOCS_ORIGIN, server_url.removesuffix("/v1"))


# -- code blocks of documents ---------------------------------------------------------------------


def code_blocks(text: str, marker: str = ".. code-block:: python") -> list[str]:
    """The python code blocks of a reStructuredText file (indented after the marker)."""
    blocks = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.strip() != marker:
            continue
        depth = len(line) - len(line.lstrip())
        body: list[str] = []
        for following in lines[number + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= depth:
                break
            body.append(following)
        indent = min(len(b) - len(b.lstrip()) for b in body if b.strip())
        blocks.append("\n".join(b[indent:] for b in body).strip() + "\n")
    return blocks


def markdown_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown file, those indented in a list item too
    (dedented)."""
    found = re.findall(r"^( *)```python\n(.*?)^\1```", text, flags=re.S | re.M)
    return [textwrap.dedent(body) for _, body in found]


# -- a transport that answers from a script, for pure tests of what objects send ---------------


Answer = tuple[int, Any]


class ScriptedTransport(Transport):
    """Answers each request with ``answer(request) -> (status, JSON body or None)``, sending
    nothing; ``sent`` lists the requests in order. Errors are raised as the real one does."""

    def __init__(self, answer: Callable[[Request], Answer]) -> None:
        super().__init__("http://kinto.test/v1", session=NoNetwork())
        self.answer = answer
        self.sent: list[Request] = []

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        status, body = self.answer(request)
        content = b"" if body is None else json.dumps(body).encode()
        reason = {200: "OK", 201: "Created", 404: "Not Found", 412: "Precondition Failed"}
        response = Response(
            request, self.url(request.path), status, reason.get(status, ""),
            {"Content-Type": "application/json"}, content,
        )
        raise_for_response(response)
        return response


def scripted_client(answer: Callable[[Request], Answer]) -> tuple[Client, ScriptedTransport]:
    client = Client("http://kinto.test/v1", session=NoNetwork())
    client.transport = ScriptedTransport(answer)
    return client, client.transport


@contextlib.contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A hand-written HTTP server on 127.0.0.1 (for answers a real Kinto never gives), as
    its origin; stopped on leaving, answers still being sent included."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


# -- a scripted HTTP server: answers a real Kinto never gives on demand (hand-written) -------------

# One scripted answer: (status, headers, body), or "reset" to drop the connection.
WireAnswer = tuple[int, dict[str, str], bytes] | str
WIRE_OK: WireAnswer = (200, {"Content-Type": "application/json"}, b'{"data": {"id": "b"}}')


class Script:
    """The answers to give, in order, and the requests seen."""

    def __init__(self) -> None:
        self.answers: list[WireAnswer] = []
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.trickle: float = 0.0


class Handler(BaseHTTPRequestHandler):
    script: Script

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.script.seen.append((self.command, self.path, dict(self.headers), body))
        answer = self.script.answers.pop(0) if self.script.answers else WIRE_OK
        if answer == "reset":
            # SO_LINGER 0: close with a RST, as a crashed proxy would.
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.close_connection = True
            return
        status, headers, content = answer  # type: ignore[misc]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.script.trickle:
            for byte in content:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.script.trickle)
        else:
            self.wfile.write(content)

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = do_HEAD = _handle

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()
    handler = type("ScriptedHandler", (Handler,), {"script": script})
    with local_server(handler) as origin:
        yield origin + "/v1", script


def paste_into_repl(blocks: Iterable[str], server_url: str, *, timeout: float) -> str:
    """What ``python -i`` prints when the blocks are pasted into it as a reader would, line by
    line, a blank line after each (the REPL ends an indented block only at a blank line, so a
    block without one is a SyntaxError there though it runs as a file); fails the test on any
    traceback or SyntaxError."""
    pasted = "".join(for_docs_server(block, server_url) + "\n" for block in blocks)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    done = subprocess.run(
        [sys.executable, "-i", "-q"], input=pasted, capture_output=True, text=True,
        timeout=timeout, env=env, check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "SyntaxError" not in done.stderr, done.stderr
    return done.stdout
