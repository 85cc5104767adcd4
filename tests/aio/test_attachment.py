"""Tests of _objects/_async/attachment.py and the async record's attachment methods, on real Kinto
servers (the kit's have the kinto-attachment plugin): streamed both ways, size and SHA-256
checked, the errors the sync ones; a cancelled download leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import anyio
import pytest
import requests

from kinto_query import BadRequest, Forbidden, HashMismatch, NoAttachment, NotFound, NotLoaded
from kinto_query.aio import AsyncClient, AsyncCollection, AsyncRecord
from kinto_query.testing import KintoServer

from ..conftest import AUTH, R1, TODO, local_server, raw, raw_get, raw_put_record
from ..objects.test_attachment import CDN
from .sent import LoggedClient

pytestmark = pytest.mark.anyio


def metadata(location: str, content: bytes = b"hello") -> dict[str, Any]:
    """Attachment metadata as kinto-attachment writes it, for ``content`` at ``location``."""
    return {"location": location, "filename": "hello.txt", "mimetype": "text/plain",
            "size": len(content), "hash": hashlib.sha256(content).hexdigest()}


async def todo_of(client: AsyncClient, url: str) -> AsyncCollection:
    """Bucket 'w', collection 'todo' holding r1 (R1), written raw."""
    bucket = await client.bucket("w").create(exist_ok=True)
    todo = await bucket.create_collection("todo")
    raw_put_record(url, "r1", R1)
    return todo


@pytest.fixture
async def alice(kinto_fresh_server: str) -> AsyncIterator[LoggedClient]:
    async with LoggedClient(kinto_fresh_server, auth=AUTH) as client:
        yield client


async def test_attachment_round_trip_on_both_backends(kinto_any_server: str,
                                                      tmp_path: Path) -> None:
    content = os.urandom(1_500_000)  # binary, several pieces each way
    source = tmp_path / "blob.bin.json"  # an extension the server's default list allows
    source.write_bytes(content)
    async with LoggedClient(kinto_any_server, auth=AUTH) as client:
        todo = await todo_of(client, kinto_any_server)
        client.clear()
        attached = await todo.record(id="r1").attach(source, mimetype="application/octet-stream")
        assert client.sent == [("POST", f"{TODO}/records/r1/attachment")]
        upload = client.requests[0]
        assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        assert int(upload.headers["Content-Length"]) > len(content)  # sized, not chunked
        stored = raw_get(kinto_any_server, f"{TODO}/records/r1")["data"]
        assert stored["attachment"] == {
            "filename": "blob.bin.json", "mimetype": "application/octet-stream",
            "size": len(content), "hash": hashlib.sha256(content).hexdigest(),
            "location": attached.location}
        assert stored["title"] == "a"  # the record's own data untouched
        assert requests.get(attached.location, timeout=10).content == content

        record = await todo.get("r1")
        assert record.attachment == attached
        client.clear()
        assert await record.download_attachment(tmp_path / "copy.bin") == attached
        assert client.sent == [("GET", attached.location.replace(client.server_url, ""))]
        assert client.requests[0].headers["Accept-Encoding"] == "identity"
        assert (tmp_path / "copy.bin").read_bytes() == content
        client.clear()
        await record.download_attachment(tmp_path / "copy.bin")  # already there: kept
        assert client.sent == []

        replaced = await record.attach(io.BytesIO(b"small"), filename="small.txt")
        assert record.attachment == replaced  # the loaded record was reloaded
        assert requests.get(attached.location, timeout=10).status_code == 404  # old file gone
        buffer = io.BytesIO()
        await record.download_attachment(buffer)
        assert buffer.getvalue() == b"small"

        await record.detach()
        assert record.attachment is None
        assert raw_get(kinto_any_server, f"{TODO}/records/r1")["data"]["attachment"] is None
        assert requests.get(replaced.location, timeout=10).status_code == 404


async def test_a_new_record_is_created_with_its_file(alice: LoggedClient,
                                                     kinto_fresh_server: str) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    record = todo.record({"id": "n1", "title": "new"})
    attached = await record.attach(io.BytesIO(b"hello"), filename="hello.txt")
    assert (attached.filename, attached.mimetype, attached.size, attached.hash) == (
        "hello.txt", "text/plain", 5, hashlib.sha256(b"hello").hexdigest())
    stored = raw_get(kinto_fresh_server, f"{TODO}/records/n1")["data"]
    assert stored["title"] == "new" and stored["attachment"]["location"] == attached.location


async def test_what_is_refused_before_any_request(alice: LoggedClient, tmp_path: Path) -> None:
    record = alice.bucket("w").collection("todo").record(id="r1")
    with pytest.raises(FileNotFoundError):
        await record.attach(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match=r"wrap bytes in io\.BytesIO"):
        await record.attach(b"hello")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no name: pass filename="):
        await record.attach(io.BytesIO(b"hello"))
    with pytest.raises(ValueError, match="not a media type"):
        await record.attach(io.BytesIO(b"x"), filename="a.txt", mimetype="text/plain\r\nX: y")
    with pytest.raises(NotLoaded, match=r"`await record\.load\(\)` first"):
        await record.download_attachment(tmp_path / "a.txt")  # an attribute cannot await
    assert alice.sent == []


async def test_a_record_without_a_file(alice: LoggedClient, kinto_fresh_server: str,
                                       tmp_path: Path) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    record = await todo.get("r1")
    with pytest.raises(NoAttachment, match="record 'r1' has no attachment"):
        await record.download_attachment(tmp_path / "a.txt")


async def test_server_refusals_are_the_usual_errors(alice: LoggedClient,
                                                    kinto_fresh_server: str) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    with pytest.raises(BadRequest, match="File extension is not allowed"):
        await todo.record(id="r1").attach(io.BytesIO(b"MZ"), filename="setup.exe")
    with pytest.raises(NotFound, match="collection 'nope'"):
        await alice.bucket("w").collection("nope").record(id="r1").attach(
            io.BytesIO(b"x"), filename="a.txt")
    async with AsyncClient(kinto_fresh_server, auth=("bob", "hunter22")) as bob:
        with pytest.raises(Forbidden):
            await bob.bucket("w").collection("todo").record(id="r1").attach(
                io.BytesIO(b"x"), filename="a.txt")


async def test_a_stream_of_unknown_size_goes_chunked(alice: LoggedClient,
                                                     kinto_fresh_server: str) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    read, write = os.pipe()
    with os.fdopen(write, "wb") as sink:
        sink.write(b"from a pipe" * 1000)
    alice.clear()
    with os.fdopen(read, "rb") as pipe:
        attached = await todo.record(id="r1").attach(pipe, filename="pipe.txt")
    assert "Content-Length" not in alice.requests[0].headers
    assert alice.requests[0].headers["Transfer-Encoding"] == "chunked"
    assert attached.size == 11_000
    assert attached.hash == hashlib.sha256(b"from a pipe" * 1000).hexdigest()


async def test_a_file_failing_midway_is_its_own_error(alice: LoggedClient,
                                                      kinto_fresh_server: str) -> None:
    class Shrinking(io.BytesIO):
        """Says it holds 10 bytes, then gives 6: a file truncated while it is sent."""

        def read(self, size: int | None = -1) -> bytes:
            return super().read(3) if self.tell() < 6 else b""

    todo = await todo_of(alice, kinto_fresh_server)
    # The file's own error, not a KintoConnectionError ("cannot reach the server").
    with pytest.raises(OSError, match="shrank by 4 bytes while it was being sent"):
        await todo.record(id="r1").attach(Shrinking(b"0123456789"), filename="a.txt")
    assert "attachment" not in raw_get(kinto_fresh_server, f"{TODO}/records/r1")["data"]


def fake_attachment(url: str, record_id: str, attachment: dict[str, Any]) -> None:
    """A record whose attachment metadata was written raw (the plugin lets a record get one)."""
    response = raw("PUT", url, f"{TODO}/records/{record_id}", {"data": {"attachment": attachment}})
    response.raise_for_status()


async def test_a_file_that_is_not_the_one_recorded(alice: LoggedClient, kinto_fresh_server: str,
                                                   tmp_path: Path) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    real = await todo.record(id="r1").attach(io.BytesIO(b"hello"), filename="a.txt")
    fake_attachment(kinto_fresh_server, "r2", {**metadata(real.location), "hash": "0" * 64})
    target = tmp_path / "a.txt"
    with pytest.raises(HashMismatch, match="is not the attachment of record 'r2'") as caught:
        await (await todo.get("r2")).download_attachment(target)
    assert (caught.value.received, caught.value.size) == (hashlib.sha256(b"hello").hexdigest(), 5)
    assert os.listdir(tmp_path) == []  # nothing at the target, no temporary file either

    fake_attachment(kinto_fresh_server, "r3", metadata(real.location, b"hell"))  # 4 bytes
    buffer = io.BytesIO(b"kept:")
    buffer.seek(5)
    with pytest.raises(HashMismatch, match="taken back"):
        await (await todo.get("r3")).download_attachment(buffer)
    assert buffer.getvalue() == b"kept:"  # what was written is taken back


async def test_a_relative_location_is_joined_to_the_servers_base_url(
        alice: LoggedClient, kinto_fresh_server: str) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    real = await todo.record(id="r1").attach(io.BytesIO(b"hello"), filename="a.txt")
    fake_attachment(kinto_fresh_server, "r2", metadata(real.location.rsplit("/", 1)[1]))
    record = await todo.get("r2")
    alice.clear()
    buffer = io.BytesIO()
    await record.download_attachment(buffer)
    assert buffer.getvalue() == b"hello"
    # The server's capabilities say where files are (GET /v1/ once), then the file.
    assert alice.sent == [("GET", "/"), ("GET", real.location.replace(alice.server_url, ""))]


async def test_large_files_are_never_held_in_memory(alice: LoggedClient, kinto_fresh_server: str,
                                                    tmp_path: Path) -> None:
    todo = await todo_of(alice, kinto_fresh_server)
    size = 24 << 20
    source = tmp_path / "big.json"
    with open(source, "wb") as out:
        for _ in range(size >> 20):
            out.write(os.urandom(1 << 20))
    tracemalloc.start()
    try:
        attached = await todo.record(id="r1").attach(source)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await (await todo.get("r1")).download_attachment(tmp_path / "copy.json")
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert attached.size == size
    with open(tmp_path / "copy.json", "rb") as copy:
        assert hashlib.file_digest(copy, "sha256").hexdigest() == attached.hash
    assert upload_peak < 2 << 20 and download_peak < 2 << 20, (upload_peak, download_peak)


class Slow(BaseHTTPRequestHandler):
    """Announces 1,000 bytes, sends 10, then waits: a download still coming in."""

    released = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        type(self).released.wait(10)

    def log_message(self, *args: object) -> None:
        pass


async def test_a_cancelled_download_leaves_no_file_and_no_connection(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"previous")
    Slow.released.clear()
    with local_server(Slow) as origin:
        async with AsyncClient(origin + "/v1", auth=AUTH) as client:
            todo = client.bucket("b").collection("c")
            record = AsyncRecord.from_server(todo, {"id": "r1", "last_modified": 3, "attachment": {
                **metadata(origin + "/v1/attachments/a.bin", b"x" * 1000)}})
            started = time.monotonic()
            with anyio.move_on_after(0.5) as scope:
                await record.download_attachment(target)
            assert scope.cancelled_caught and time.monotonic() - started < 3
            # httpx keeps no connection for an answer closed before its end (its pool).
            pool = client.transport.wire.client._transport._pool  # type: ignore[attr-defined]
            assert pool.connections == []  # the answer being read was closed, not left open
        Slow.released.set()
    assert os.listdir(tmp_path) == ["a.bin"]  # no partial file beside it
    assert target.read_bytes() == b"previous"  # and the old one untouched


@pytest.fixture(scope="module")
def cdn_kinto() -> Iterator[tuple[str, str]]:
    """A Kinto whose attachments base_url is another origin (the sync tests' CDN), and it."""
    with local_server(CDN) as cdn, KintoServer(
            settings={"attachment_base_url": f"{cdn}/files/"}) as server:
        CDN.kinto = server.url
        yield server.url, cdn


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
async def test_a_file_on_the_cdn_is_fetched_without_credentials(
        cdn_kinto: tuple[str, str], tmp_path: Path) -> None:
    url, cdn = cdn_kinto
    CDN.seen, CDN.corrupt = [], False
    requests.post(f"{url}/__flush__", timeout=10).raise_for_status()
    async with AsyncClient(url, auth=AUTH, headers={"X-Team": "secret"}) as client:
        bucket = await client.bucket("main").create()
        rules = await bucket.create_collection("rules")
        await rules.record(id="r1").attach(io.BytesIO(b"hello"), filename="hello.txt")
        record = await rules.get("r1")
        assert record.attachment is not None and record.attachment.location.startswith(cdn)
        await record.download_attachment(tmp_path)  # a folder: the file's own name in it
        assert os.listdir(tmp_path) == ["hello.txt"]
        assert (tmp_path / "hello.txt").read_bytes() == b"hello"
        [headers] = CDN.seen
        assert "Authorization" not in headers and "X-Team" not in headers
        assert headers["User-Agent"].startswith("kinto_query/")
        CDN.corrupt = True
        (tmp_path / "hello.txt").unlink()
        with pytest.raises(HashMismatch, match="is not the attachment of record 'r1'"):
            await record.download_attachment(tmp_path)
        assert os.listdir(tmp_path) == []  # no file, no temporary file
