"""Tests of testing/attachment_files.py: the session cassettes record uploads with (live: the body
is checked as sent to a real Kinto). The plugin serving files is tested through downloads in
test_attachment.py."""

from __future__ import annotations

import io

import requests

from kinto_query._objects.attachment import _multipart, _Source
from kinto_query.testing.attachment_files import CASSETTE_BOUNDARY, RecordableSession


def test_a_streamed_upload_is_sent_whole_with_a_fixed_boundary(kinto_server: str) -> None:
    body = _multipart(_Source(io.BytesIO(b"hello")), "f.txt", "text/plain", {})
    random_boundary = body.content_type.partition("boundary=")[2]
    with RecordableSession() as session:
        answer = session.post(f"{kinto_server}/__heartbeat__", data=body.chunks(),
                              headers={"Content-Type": body.content_type}, timeout=30)
    sent = answer.request
    assert isinstance(sent.body, bytes)
    assert random_boundary.encode() not in sent.body
    assert sent.body == b"".join(body.chunks()).replace(random_boundary.encode(),
                                                       CASSETTE_BOUNDARY.encode())
    assert sent.headers["Content-Type"] == f"multipart/form-data; boundary={CASSETTE_BOUNDARY}"
    assert sent.headers["Content-Length"] == str(len(sent.body))
    assert "Transfer-Encoding" not in sent.headers


def test_a_body_of_bytes_is_sent_as_it_is(kinto_server: str) -> None:
    with RecordableSession() as session:
        answer = session.post(f"{kinto_server}/__heartbeat__", data=b"{}", timeout=30)
    assert answer.request.body == b"{}"
    assert isinstance(session, requests.Session)
