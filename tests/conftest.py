"""Our suite is the first user of the kinto_query.testing plugin."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import requests

from kinto_query import Client

pytest_plugins = ["kinto_query.testing"]


class RequestLog:
    """Every request a session sends, as (method, path and query below the server URL)."""

    def __init__(self, session: requests.Session, server_url: str) -> None:
        self.server_url = server_url
        self.sent: list[tuple[str, str]] = []
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        self.sent.append((request.method or "", (request.url or "").replace(self.server_url, "")))

    def clear(self) -> None:
        self.sent.clear()


class NoNetwork(requests.Session):
    """A session that fails the test on any request: building a query must send nothing."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        pytest.fail(f"unexpected request: {args[:2]}")


@pytest.fixture
def offline_client() -> Client:
    return Client("http://localhost:8888/v1", auth=("alice", "s3cret"), session=NoNetwork())


@pytest.fixture
def request_log(kinto_client: Client) -> RequestLog:
    return RequestLog(kinto_client.session, kinto_client.server_url)


def put(client: Client, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """Create or replace an object through the client's own request path."""
    body: dict[str, Any] = {"data": data or {}}
    body.update(extra)
    return client._request("PUT", path, body=body).json()


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
        answer = client._request("POST", "/batch", body={"requests": chunk}).json()
        assert all(r["status"] in (200, 201) for r in answer["responses"])
        chunk.clear()

    for record in records:
        chunk.append({"method": "PUT", "path": f"{path}/{record['id']}", "body": {"data": record}})
        if len(chunk) == 25:
            send()
    if chunk:
        send()


@pytest.fixture(scope="session")
def server_on_8888() -> Iterator[str]:
    """A Kinto on localhost:8888, where the README and the seed README's examples point."""
    from kinto_query.testing import KintoServer  # the plugin module: imported after pytest's

    with KintoServer(host="localhost", port=8888) as server:
        yield server.url


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
    """The ```python fenced blocks of a Markdown file."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
