"""Tests of _objects/attachment.py and the attachment methods of Record (the kinto-attachment
plugin)."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import os
import re
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests

from kinto_query import (
    Attachment,
    BadRequest,
    Client,
    Collection,
    Forbidden,
    HashMismatch,
    InvalidQuery,
    InvalidResponse,
    KintoConnectionError,
    NoAttachment,
    NotFound,
    OriginalFile,
    Record,
    ServerError,
    UnsafeURL,
)
from kinto_query._objects.attachment import _multipart, _Source
from kinto_query.testing.attachment_files import CASSETTE_BOUNDARY

from ..conftest import AUTH, TODO, RequestLog, Script, local_server, put, raw, raw_get

HELLO = hashlib.sha256(b"hello").hexdigest()


def metadata(location: str, content: bytes = b"hello", **extra: Any) -> dict[str, Any]:
    """Attachment metadata as kinto-attachment writes it, for ``content`` at ``location``."""
    return {"location": location, "filename": "hello.txt", "mimetype": "text/plain",
            "size": len(content), "hash": hashlib.sha256(content).hexdigest(), **extra}


def parts(body: bytes, content_type: str) -> list[tuple[str | None, str | None, bytes]]:
    """A multipart body parsed back by the standard library: (field, filename, content)."""
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return [(part.get_param("name", header="content-disposition"), part.get_filename(),
             part.get_payload(decode=True)) for part in message.iter_parts()]


# -- pure: the upload body ------------------------------------------------------------------------


def test_multipart_body_reads_back_as_sent_and_has_its_length() -> None:
    content = bytes(range(256)) * 5000  # binary, over several pieces
    body = _multipart(_Source(io.BytesIO(content)), 'a "quoted" name é.bin',
                      "application/octet-stream", {"data": b'{"title":"x"}'})
    sent = b"".join(body.open())
    assert body.length == len(sent)
    assert body.content_type.startswith("multipart/form-data; boundary=")
    assert parts(sent, body.content_type) == [
        ("data", None, b'{"title":"x"}'),
        ("attachment", 'a "quoted" name é.bin', content),
    ]


def test_multipart_boundary_is_new_each_time() -> None:
    first = _multipart(_Source(io.BytesIO(b"x")), "x.txt", "text/plain", {})
    second = _multipart(_Source(io.BytesIO(b"x")), "x.txt", "text/plain", {})
    assert first.content_type != second.content_type


def test_a_file_object_is_sent_from_where_it_stands() -> None:
    file = io.BytesIO(b"skip:keep")
    file.seek(5)
    source = _Source(file)
    assert (source.length, b"".join(source.chunks())) == (4, b"keep")


def test_a_stream_without_seek_has_no_length_and_is_sent_whole() -> None:
    class Pipe:
        def __init__(self) -> None:
            self.buffer = io.BytesIO(b"z" * 600_000)

        def read(self, size: int = -1) -> bytes:
            return self.buffer.read(size)

    source = _Source(Pipe())
    assert source.length is None
    assert b"".join(source.chunks()) == b"z" * 600_000


# -- pure: bad input is refused before any request ------------------------------------------------


class TextLike:
    """A file-like object of text that is no io.TextIOBase."""

    def read(self, size: int = -1) -> str:
        return ""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("write() argument must be str")
        return len(text)


@pytest.fixture
def handle(offline_client: Client) -> Record:
    """A handle on record r1 of a client that fails the test on any request."""
    return offline_client.bucket("b").collection("todo").record(id="r1")


def test_attach_a_missing_path(handle: Record, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        handle.attach(tmp_path / "nope.txt")
    assert caught.value.filename == str(tmp_path / "nope.txt")


def test_attach_a_directory(handle: Record, tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="a directory cannot be attached"):
        handle.attach(tmp_path)


def test_attach_a_text_mode_file(handle: Record, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    with open(tmp_path / "a.txt") as text, pytest.raises(TypeError, match="open it with 'rb'"):
        handle.attach(text)
    with pytest.raises(TypeError, match="open in text mode"):
        handle.attach(io.StringIO("hello"), filename="a.txt")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reads text, not bytes"):
        handle.attach(TextLike(), filename="a.txt")  # type: ignore[arg-type]


def test_attach_a_file_open_for_writing_only(handle: Record, tmp_path: Path) -> None:
    with open(tmp_path / "a.txt", "wb") as out, pytest.raises(io.UnsupportedOperation,
                                                              match="not open for reading"):
        handle.attach(out)


def test_attach_bytes_names_the_fix(handle: Record) -> None:
    with pytest.raises(TypeError, match=r"not bytes \(wrap bytes in io.BytesIO"):
        handle.attach(b"hello")  # type: ignore[arg-type]


def test_attach_a_nameless_file_needs_a_filename(handle: Record) -> None:
    with pytest.raises(ValueError, match="has no name: pass filename="):
        handle.attach(io.BytesIO(b"hello"))


def test_attach_refuses_header_injection(handle: Record) -> None:
    with pytest.raises(ValueError, match="line breaks"):
        handle.attach(io.BytesIO(b"x"), filename="a\r\nX-Evil: 1.txt")
    with pytest.raises(ValueError, match="not a media type"):
        handle.attach(io.BytesIO(b"x"), filename="a.txt", mimetype="text/plain\r\nX-Evil: 1")


def test_attach_refuses_unsaved_changes(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    record = Record.from_server(todo, {"id": "r1", "last_modified": 3, "title": "a"})
    record.data.title = "b"
    with pytest.raises(ValueError, match=r"unsaved changes that attach\(\) would drop"):
        record.attach(io.BytesIO(b"x"), filename="a.txt")
    with pytest.raises(ValueError, match=r"unsaved changes that detach\(\) would drop"):
        record.detach()


# -- pure: metadata and download checks ---------------------------------------------------------


def test_metadata_is_typed() -> None:
    gzipped = metadata("http://kinto.test/v1/attachments/a.txt.gz", b"zz", custom=1,
                       original={"filename": "a.txt", "mimetype": "text/plain", "size": 5,
                                 "hash": HELLO})
    attachment = Attachment.from_server(gzipped, "record 'r1'")
    assert attachment == Attachment("http://kinto.test/v1/attachments/a.txt.gz", "hello.txt",
                                    "text/plain", 2, hashlib.sha256(b"zz").hexdigest(),
                                    OriginalFile("a.txt", "text/plain", 5, HELLO),
                                    extra={"custom": 1})


def test_malformed_metadata_says_what_is_wrong() -> None:
    with pytest.raises(InvalidResponse, match="record 'r1': the attachment metadata has no "
                                              "valid size, hash"):
        Attachment.from_server({"location": "l", "filename": "f", "mimetype": "m",
                                "size": "5"}, "record 'r1'")


def test_download_without_attachment(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    record = Record.from_server(todo, {"id": "r1", "last_modified": 3, "attachment": None})
    assert record.attachment is None
    with pytest.raises(NoAttachment, match="record 'r1' has no attachment") as caught:
        record.download_attachment(io.BytesIO())
    assert isinstance(caught.value, LookupError)


def test_a_record_loaded_without_its_attachment_does_not_say_none(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    record = Record.from_server(todo, {"id": "r1", "last_modified": 3, "title": "t"},
                                fields=("title",))
    with pytest.raises(InvalidQuery, match=r"loaded with fields.*without its attachment"):
        record.attachment  # noqa: B018
    with pytest.raises(InvalidQuery):
        record.download_attachment(io.BytesIO())
    whole = Record.from_server(todo, {"id": "r1", "last_modified": 3, "attachment": None},
                               fields=("attachment",))
    assert whole.attachment is None


def test_download_targets_are_checked_first(offline_client: Client, tmp_path: Path) -> None:
    todo = offline_client.bucket("b").collection("todo")
    record = Record.from_server(todo, {"id": "r1", "last_modified": 3,
                                       "attachment": metadata("http://localhost:8888/v1/a")})
    (tmp_path / "hello.txt").mkdir()  # a folder target: its hello.txt is the target
    with pytest.raises(IsADirectoryError, match="is a directory"):
        record.download_attachment(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        record.download_attachment(tmp_path / "missing" / "a.txt")
    with open(tmp_path / "a.txt", "w") as text, pytest.raises(TypeError, match="'wb'"):
        record.download_attachment(text)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes text, not bytes"):
        record.download_attachment(TextLike())  # type: ignore[arg-type]


# -- scripted HTTP (answers a real Kinto never gives on demand) -----------------------------------


def test_a_streamed_upload_is_never_retried(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    # Kinto's own 503 (errno 201): nothing applied, so no read-back either; a plain POST is
    # resent on it.
    busy = b'{"code": 503, "errno": 201, "error": "Service Unavailable", "message": "retry"}'
    script.answers = [(503, {"Retry-After": "0", "Content-Type": "application/json"}, busy)] * 3
    record = Client(url, auth=AUTH).bucket("b").collection("c").record(id="r1")
    with pytest.raises(ServerError):
        record.attach(io.BytesIO(b"hello"), filename="a.txt")
    assert [(method, path) for method, path, _, _ in script.seen] == [
        ("POST", "/v1/buckets/b/collections/c/records/r1/attachment")]


def test_a_file_failing_midway_is_its_own_error(scripted: tuple[str, Script]) -> None:
    class Shrinking(io.BytesIO):
        """Says it holds 10 bytes, then gives 6: a file truncated while it is sent."""

        def read(self, size: int | None = -1) -> bytes:
            return super().read(3) if self.tell() < 6 else b""

    url, _ = scripted
    record = Client(url, auth=AUTH).bucket("b").collection("c").record(id="r1")
    # The file's own error, not a KintoConnectionError ("cannot reach the server").
    with pytest.raises(OSError, match="shrank by 4 bytes while it was being sent"):
        record.attach(Shrinking(b"0123456789"), filename="a.txt")


class Truncated(BaseHTTPRequestHandler):
    """Announces 1,000 bytes, sends 10, hangs up: a transfer broken midway."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_a_broken_download_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"previous")
    with local_server(Truncated) as origin:
        todo = Client(origin + "/v1", auth=AUTH).bucket("b").collection("c")
        record = Record.from_server(todo, {"id": "r1", "last_modified": 3, "attachment": {
            **metadata(origin + "/v1/attachments/a.bin", b"x" * 1000)}})
        with pytest.raises(KintoConnectionError, match=r"GET http://127\.0\.0\.1"):
            record.download_attachment(target)
    assert os.listdir(tmp_path) == ["a.bin"]  # no partial file beside it
    assert target.read_bytes() == b"previous"  # and the old one untouched


# -- cassettes: the common path -------------------------------------------------------------------


@pytest.fixture
def files(kinto_client: Client) -> Collection:
    """Collection 'files' of bucket 'shop' holding record r1, on this test's cassette."""
    put(kinto_client, "/buckets/shop")
    put(kinto_client, "/buckets/shop/collections/files")
    put(kinto_client, "/buckets/shop/collections/files/records/r1", {"title": "doc"})
    return kinto_client.bucket("shop").collection("files")


def test_attach_read_and_download(files: Collection, request_log: RequestLog,
                                  tmp_path: Path) -> None:
    request_log.clear()
    attached = files.record(id="r1").attach(io.BytesIO(b"hello"), filename="hello.txt")
    assert (attached.filename, attached.mimetype, attached.size, attached.hash) == (
        "hello.txt", "text/plain", 5, HELLO)
    record = files.get("r1")
    assert record.attachment == attached and record.data.title == "doc"
    assert record.download_attachment(tmp_path / "copy.txt") == attached
    assert (tmp_path / "copy.txt").read_bytes() == b"hello"
    file_path = attached.location.split("/v1", 1)[1]
    assert request_log.sent == [
        ("POST", "/buckets/shop/collections/files/records/r1/attachment"),
        ("GET", "/buckets/shop/collections/files/records/r1"),
        ("GET", file_path),
    ]
    upload = request_log.requests[0]
    assert upload.headers["Content-Type"] == f"multipart/form-data; boundary={CASSETTE_BOUNDARY}"
    sent = upload.body if isinstance(upload.body, bytes) else str(upload.body).encode()
    assert parts(sent, upload.headers["Content-Type"]) == [("attachment", "hello.txt", b"hello")]
    assert request_log.requests[2].headers["Accept-Encoding"] == "identity"


def test_replace_then_detach(files: Collection, tmp_path: Path) -> None:
    record = files.get("r1")
    record.attach(io.BytesIO(b"first"), filename="a.txt")
    loaded_after_first = record.last_modified
    replaced = record.attach(io.BytesIO(b"second, longer"), filename="b.csv")
    assert record.attachment == replaced  # a loaded record is reloaded after each change
    assert record.last_modified is not None and loaded_after_first is not None
    assert record.last_modified > loaded_after_first
    assert (replaced.filename, replaced.mimetype, replaced.size) == ("b.csv", "text/csv", 14)
    buffer = io.BytesIO()
    record.download_attachment(buffer)
    assert buffer.getvalue() == b"second, longer"
    record.detach()
    assert record.attachment is None and files.get("r1").attachment is None
    record.data.title = "still saves"
    record.save()  # the reload kept its version right: no 412
    assert files.get("r1").data.title == "still saves"


# -- live: kinto-http.py's functional tests of attachments, with our API --------------------------


@pytest.fixture
def payments(alice: Client) -> Collection:
    return alice.bucket("mozilla").create(exist_ok=True).create_collection("payments")


def test_adding_an_attachment(payments: Collection, kinto_fresh_server: str,
                              tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_text("hello")
    record = payments.record({"id": "abc", "secret": "psssssst!"},
                             permissions={"write": ["system.Everyone"]})
    record.attach(path, mimetype="text/custom")
    stored = raw_get(kinto_fresh_server, "/buckets/mozilla/collections/payments/records/abc")
    assert stored["data"]["attachment"]["filename"] == "file.txt"
    assert stored["data"]["attachment"]["mimetype"] == "text/custom"
    assert stored["data"]["secret"] == "psssssst!"
    assert "system.Everyone" in stored["permissions"]["write"]


def test_removing_an_attachment(payments: Collection, kinto_fresh_server: str,
                                tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_text("hello")
    payments.record(id="abc").attach(path)
    payments.record(id="abc").detach()
    stored = raw_get(kinto_fresh_server, "/buckets/mozilla/collections/payments/records/abc")
    assert stored["data"]["attachment"] is None


# -- live, both backends --------------------------------------------------------------------------


def test_attachment_round_trip(any_todo: Collection, kinto_any_server: str,
                               tmp_path: Path) -> None:
    content = os.urandom(1_500_000)  # binary, several pieces each way
    source = tmp_path / "blob.bin.json"  # an extension the server's default list allows
    source.write_bytes(content)
    attached = any_todo.record(id="r1").attach(source, mimetype="application/octet-stream")
    stored = raw_get(kinto_any_server, f"{TODO}/records/r1")["data"]
    assert stored["attachment"] == {
        "filename": "blob.bin.json", "mimetype": "application/octet-stream",
        "size": len(content), "hash": hashlib.sha256(content).hexdigest(),
        "location": attached.location}
    assert stored["title"] == "a"  # the record's own data untouched
    assert requests.get(attached.location, timeout=10).content == content

    any_todo.get("r1").download_attachment(tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == content

    replaced = any_todo.get("r1").attach(io.BytesIO(b"small"), filename="small.txt")
    assert requests.get(attached.location, timeout=10).status_code == 404  # old file gone
    assert requests.get(replaced.location, timeout=10).content == b"small"

    any_todo.record(id="r1").detach()
    assert raw_get(kinto_any_server, f"{TODO}/records/r1")["data"]["attachment"] is None
    assert requests.get(replaced.location, timeout=10).status_code == 404


# -- live: what the server refuses, and what it sends wrong ---------------------------------------


def test_server_refusals_are_the_usual_errors(todo: Collection, alice: Client,
                                              bob: Client) -> None:
    with pytest.raises(BadRequest, match="File extension is not allowed"):
        todo.record(id="r1").attach(io.BytesIO(b"MZ"), filename="setup.exe")
    with pytest.raises(NotFound, match="collection 'nope'"):
        alice.bucket("w").collection("nope").record(id="r1").attach(
            io.BytesIO(b"x"), filename="a.txt")
    with pytest.raises(Forbidden):
        bob.bucket("w").collection("todo").record(id="r1").attach(
            io.BytesIO(b"x"), filename="a.txt")


def test_a_stream_of_unknown_size_goes_chunked(todo: Collection, tmp_path: Path) -> None:
    read, write = os.pipe()
    with os.fdopen(write, "wb") as sink:
        sink.write(b"from a pipe" * 1000)
    with os.fdopen(read, "rb") as pipe:
        attached = todo.record(id="r2").attach(pipe, filename="pipe.txt")
    assert attached.size == 11_000
    assert attached.hash == hashlib.sha256(b"from a pipe" * 1000).hexdigest()


def fake_attachment(url: str, record_id: str, attachment: dict[str, Any]) -> None:
    """A record whose attachment metadata was written raw (the plugin lets a record get one)."""
    response = raw("PUT", url, f"{TODO}/records/{record_id}", {"data": {"attachment": attachment}})
    response.raise_for_status()


def test_a_file_that_is_not_the_one_recorded(todo: Collection, kinto_fresh_server: str,
                                             tmp_path: Path) -> None:
    real = todo.record(id="r1").attach(io.BytesIO(b"hello"), filename="a.txt")
    fake_attachment(kinto_fresh_server, "r2", {**metadata(real.location), "hash": "0" * 64})
    target = tmp_path / "a.txt"
    with pytest.raises(HashMismatch, match="is not the attachment of record 'r2'") as caught:
        todo.get("r2").download_attachment(target)
    assert (caught.value.received, caught.value.size) == (HELLO, 5)
    assert os.listdir(tmp_path) == []  # nothing at the target, no temporary file either

    fake_attachment(kinto_fresh_server, "r3", metadata(real.location, b"hell"))  # 4 bytes
    buffer = io.BytesIO(b"kept:")
    buffer.seek(5)
    with pytest.raises(HashMismatch, match="taken back"):
        todo.get("r3").download_attachment(buffer)
    assert buffer.getvalue() == b"kept:"  # what was written is taken back


def test_a_relative_location_is_joined_to_the_servers_base_url(todo: Collection,
                                                               kinto_fresh_server: str) -> None:
    real = todo.record(id="r1").attach(io.BytesIO(b"hello"), filename="a.txt")
    name = real.location.rsplit("/", 1)[1]
    fake_attachment(kinto_fresh_server, "r2", metadata(name))
    buffer = io.BytesIO()
    todo.get("r2").download_attachment(buffer)
    assert buffer.getvalue() == b"hello"


def test_large_files_are_never_held_in_memory(todo: Collection, tmp_path: Path) -> None:
    size = 24 << 20
    source = tmp_path / "big.json"
    with open(source, "wb") as out:
        for _ in range(size >> 20):
            out.write(os.urandom(1 << 20))
    tracemalloc.start()
    try:
        attached = todo.record(id="r1").attach(source)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        todo.record(id="r1").download_attachment(tmp_path / "copy.json")
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert attached.size == size
    assert (tmp_path / "copy.json").stat().st_size == size
    assert upload_peak < 2 << 20 and download_peak < 2 << 20, (upload_peak, download_peak)


# -- attachments on a CDN (Remote Settings serves them from another origin) -----------------------


class CDN(BaseHTTPRequestHandler):
    """A second loopback origin serving a Kinto's attachment files, as a CDN serves Remote
    Settings' (a Kinto serves only its own origin); it records the headers that reached it."""

    kinto = ""
    seen: list[dict[str, str]] = []  # noqa: RUF012 - reset by the fixture
    corrupt = False

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        answer = requests.get(f"{self.kinto}/attachments/{self.path.removeprefix('/files/')}",
                              timeout=10)
        body = answer.content[:-1] + b"!" if self.corrupt and answer.content else answer.content
        self.send_response(answer.status_code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def cdn_kinto() -> Iterator[tuple[str, str]]:
    """A Kinto whose attachments base_url is the CDN origin, and that origin."""
    from kinto_query.testing import KintoServer

    with local_server(CDN) as cdn, KintoServer(
            settings={"attachment_base_url": f"{cdn}/files/"}) as server:
        CDN.kinto = server.url
        yield server.url, cdn


@pytest.fixture
def cdn_files(cdn_kinto: tuple[str, str]) -> Iterator[tuple[Collection, str]]:
    url, cdn = cdn_kinto
    CDN.seen, CDN.corrupt = [], False
    requests.post(f"{url}/__flush__", timeout=10).raise_for_status()
    client = Client(url, auth=AUTH, headers={"X-Team": "secret"})
    put(client, "/buckets/main")
    put(client, "/buckets/main/collections/rules")
    collection = client.bucket("main").collection("rules")
    collection.record(id="r1").attach(io.BytesIO(b"hello"), filename="hello.txt")
    yield collection, cdn
    client.close()


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
def test_a_file_on_the_cdn_is_downloaded_without_credentials(
    cdn_files: tuple[Collection, str], tmp_path: Path
) -> None:
    collection, cdn = cdn_files
    record = collection.get("r1")
    assert record.attachment is not None and record.attachment.location.startswith(cdn)
    record.download_attachment(tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == b"hello"
    [headers] = CDN.seen
    assert "Authorization" not in headers and "X-Team" not in headers
    assert headers["User-Agent"].startswith("kinto_query/")


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
def test_a_relative_location_is_fetched_from_the_cdn(
    cdn_files: tuple[Collection, str], cdn_kinto: tuple[str, str], tmp_path: Path
) -> None:
    # Remote Settings records hold locations relative to the advertised base_url.
    collection, cdn = cdn_files
    url, _ = cdn_kinto
    real = collection.get("r1").attachment
    assert real is not None
    relative = real.location.removeprefix(f"{cdn}/files/")
    answer = raw("PUT", url, "/buckets/main/collections/rules/records/r4",
                 {"data": {"attachment": metadata(relative)}})
    assert answer.status_code < 300, answer.text
    collection.get("r4").download_attachment(tmp_path)
    assert (tmp_path / "hello.txt").read_bytes() == b"hello"
    [headers] = CDN.seen
    assert "Authorization" not in headers


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
def test_a_folder_target_gets_the_files_own_name_and_a_held_file_is_kept(
    cdn_files: tuple[Collection, str], tmp_path: Path
) -> None:
    collection, _ = cdn_files
    record = collection.get("r1")
    record.download_attachment(tmp_path)
    assert os.listdir(tmp_path) == ["hello.txt"]
    assert (tmp_path / "hello.txt").read_bytes() == b"hello"
    mtime = (tmp_path / "hello.txt").stat().st_mtime_ns
    record.download_attachment(tmp_path)  # the same file is there: nothing fetched
    record.download_attachment(tmp_path / "hello.txt")
    assert len(CDN.seen) == 1 and (tmp_path / "hello.txt").stat().st_mtime_ns == mtime
    (tmp_path / "hello.txt").write_bytes(b"jello")  # same size, other bytes: fetched again
    record.download_attachment(tmp_path)
    assert len(CDN.seen) == 2 and (tmp_path / "hello.txt").read_bytes() == b"hello"


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
def test_a_corrupt_file_from_the_cdn_leaves_nothing(
    cdn_files: tuple[Collection, str], tmp_path: Path
) -> None:
    collection, _ = cdn_files
    CDN.corrupt = True
    with pytest.raises(HashMismatch, match="is not the attachment of record 'r1'"):
        collection.get("r1").download_attachment(tmp_path)
    assert os.listdir(tmp_path) == []  # no file, no temporary file


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
def test_a_location_outside_the_advertised_base_url_is_refused(
    cdn_files: tuple[Collection, str], cdn_kinto: tuple[str, str], tmp_path: Path
) -> None:
    collection, cdn = cdn_files
    url, _ = cdn_kinto
    for number, location in enumerate((f"{cdn}/elsewhere/a.txt",
                                       "http://127.0.0.1:9/files/a.txt")):
        record_id = f"r{number + 10}"
        answer = raw("PUT", url, f"/buckets/main/collections/rules/records/{record_id}",
                     {"data": {"attachment": metadata(location)}})
        assert answer.status_code < 300, answer.text
        with pytest.raises(UnsafeURL, match=re.escape(
                f"record '{record_id}': the attachment is at {location}, neither on {url} nor "
                f"below the attachments base_url it advertises ({cdn}/files/)")):
            collection.get(record_id).download_attachment(tmp_path / "a.txt")
    assert CDN.seen == [] and os.listdir(tmp_path) == []


@pytest.mark.live  # cdn_kinto: a server of its own, not a fixture of the plugin's
def test_a_filename_that_is_a_path_cannot_go_in_a_folder(
    cdn_files: tuple[Collection, str], cdn_kinto: tuple[str, str], tmp_path: Path
) -> None:
    collection, cdn = cdn_files
    url, _ = cdn_kinto
    raw("PUT", url, "/buckets/main/collections/rules/records/r3", {"data": {"attachment": {
        **metadata(f"{cdn}/files/a.txt"), "filename": "../../etc/passwd"}}}).raise_for_status()
    with pytest.raises(InvalidResponse, match=re.escape(
            "record 'r3': the attachment's filename '../../etc/passwd' cannot name a file in a "
            "folder: download it to a file path")):
        collection.get("r3").download_attachment(tmp_path)
    assert CDN.seen == [] and os.listdir(tmp_path) == []
