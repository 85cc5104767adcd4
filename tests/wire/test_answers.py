"""Tests of _wire/answers.py: Kinto's answers as a dry run predicts them (pure; test_dry_run.py
compares the predictions with a real server's answers)."""

from __future__ import annotations

import io

from kinto_query._messages import Request
from kinto_query._objects.attachment import _multipart, _Source
from kinto_query._wire.answers import (
    conflict,
    error_body,
    make_response,
    merged,
    not_found,
    upload_answer,
)


def test_error_bodies_are_kintos() -> None:
    assert not_found("record", "r1") == (404, {
        "code": 404, "errno": 110, "error": "Not Found",
        "details": {"id": "r1", "resource_name": "record"}})
    assert not_found("collection", "c")[1]["errno"] == 111
    assert conflict({"id": "r1", "last_modified": 5}) == (412, {
        "code": 412, "errno": 114, "error": "Precondition Failed",
        "message": "Resource was modified meanwhile",
        "details": {"existing": {"id": "r1", "last_modified": 5}}})
    assert "details" not in conflict(None)[1]
    assert error_body(403, 121, "Forbidden") == {"code": 403, "errno": 121, "error": "Forbidden"}


def test_a_patch_sets_top_level_fields_and_a_merge_patch_merges_and_removes() -> None:
    data = {"a": {"x": 1, "y": 2}, "b": 1}
    merged(data, {"a": {"x": 9}, "c": None}, merge_patch=False)
    assert data == {"a": {"x": 9}, "b": 1, "c": None}
    data = {"a": {"x": 1, "y": 2}, "b": 1}
    merged(data, {"a": {"x": 9, "y": None}, "b": None}, merge_patch=True)
    assert data == {"a": {"x": 9}}


def test_an_upload_is_answered_from_the_forms_head_without_reading_the_file() -> None:
    content = b"x" * 1000
    body = _multipart(_Source(io.BytesIO(content)), 'my "report".pdf', "application/pdf",
                      {"data": b"{}"})
    answer = upload_answer(body)
    assert (answer["filename"], answer["mimetype"], answer["size"]) == (
        'my "report".pdf', "application/pdf", 1000)


def test_a_response_carries_the_body_as_json() -> None:
    request = Request("PUT", "/buckets/b")
    response = make_response(request, "http://h/v1/buckets/b", 201, {"data": {"id": "b"}},
                             {"ETag": '"5"'})
    assert (response.status, response.reason, response.json()) == (
        201, "Created", {"data": {"id": "b"}})
    assert response.headers == {"Content-Type": "application/json", "ETag": '"5"'}
