"""Kinto's answers, as a dry run predicts them: error bodies, merged data, the made-up
answer to an upload, responses built from them."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from .._messages import Request, Response, StreamBody

__all__ = ["Held", "conflict", "error_body", "make_response", "merged", "not_found",
           "upload_answer"]

Held = tuple[int, Any]  # (status, body) of an answer about one object


def error_body(status: int, errno: int, error: str, message: str | None = None,
               details: Any = None) -> dict[str, Any]:
    """An error body as Kinto writes one (``code``, ``errno``, ``error``...)."""
    body: dict[str, Any] = {"code": status, "errno": errno, "error": error}
    if message:
        body["message"] = message
    if details is not None:
        body["details"] = details
    return body


def not_found(kind: str, object_id: str) -> Held:
    """Kinto's 404 for a missing object (errno 110 for a record, 111 for the others)."""
    return 404, error_body(404, 110 if kind == "record" else 111, "Not Found",
                           details={"id": object_id, "resource_name": kind})


def conflict(existing: Mapping[str, Any] | None) -> Held:
    """Kinto's 412, with the server's version (``details.existing``) when there is one."""
    details = {"existing": dict(existing)} if existing is not None else None
    return 412, error_body(412, 114, "Precondition Failed", "Resource was modified meanwhile",
                           details)


def merged(data: dict[str, Any], changes: Mapping[str, Any], merge_patch: bool) -> None:
    """``changes`` applied to ``data`` as a ``PATCH`` does: top-level fields set, or with
    ``merge_patch`` (RFC 7396) nested objects merged and nulls removing."""
    for key, value in changes.items():
        if merge_patch and value is None:
            data.pop(key, None)
        elif merge_patch and isinstance(value, Mapping) and isinstance(data.get(key), dict):
            merged(data[key], value, True)
        else:
            data[key] = copy.deepcopy(value)


def upload_answer(body: StreamBody) -> dict[str, Any]:
    """What kinto-attachment would answer an upload, as far as the form's head tells (its
    first chunk: the file itself is not read): file name, media type, size."""
    head = next(iter(body.chunks()), b"").decode("utf-8", "replace")
    found = re.search(r'name="attachment"; filename="((?:[^"\\]|\\.)*)"\r\n'
                      r"Content-Type: ([^\r]*)", head)
    boundary = body.content_type.partition("boundary=")[2]
    size = None if body.length is None else \
        body.length - len(head.encode()) - len(f"\r\n--{boundary}--\r\n")
    return {"location": "", "hash": "", "size": max(0, size or 0),
            "filename": found.group(1).replace('\\"', '"') if found else "",
            "mimetype": found.group(2) if found else "application/octet-stream"}


def make_response(request: Request, url: str, status: int, body: Any,
                  headers: Mapping[str, str] | None = None) -> Response:
    """The answer to ``request``: ``body`` as JSON, with ``headers``."""
    reason = {200: "OK", 201: "Created", 403: "Forbidden", 404: "Not Found",
              412: "Precondition Failed"}.get(status, "")
    return Response(request, url, status, reason,
                    {"Content-Type": "application/json", **(headers or {})},
                    json.dumps(body).encode())
