"""The pure part of bulk writes, shared by both sides: the ``POST /batch`` request of a chunk,
the reading of its answer, and the chunking decisions (sizes, their checks).

What sends them is written once, async (``kinto_query._objects._async.batch``), and generated into
the
sync side (``kinto_query._objects._blocking.batch``); how chunks run at once differs per side and
lives in ``kinto_query._wire.concurrency``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._messages import Request, Response
from .._report import BatchItem, BatchReport
from ..exceptions import HTTPError, InvalidResponse

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Pending",
    "Progress",
    "answers_of",
    "batch_of",
    "check_concurrency",
    "checked_against",
    "limit_of",
    "size_to_check",
    "status_and_body",
]

# Kinto's default batch_max_requests, used when the server advertises none (0 or absent).
DEFAULT_CHUNK_SIZE = 25
Progress = Callable[[BatchReport], None]
"""Called with the report after each chunk (a plain function on both sides)."""
Pending = list[tuple[int, BatchItem]]
"""Items not filed yet, each with its position in the input."""


def limit_of(info: dict[str, Any]) -> int:
    """The ``batch_max_requests`` of a server's ``GET /v1/`` (Kinto's default when none)."""
    settings = info.get("settings") or {}
    size = settings.get("batch_max_requests") if isinstance(settings, dict) else None
    return size if isinstance(size, int) and size > 0 else DEFAULT_CHUNK_SIZE


def size_to_check(chunk_size: int | None) -> bool:
    """Whether ``chunk_size`` needs the server's limit (None, or above Kinto's default); a
    size that is not a whole number >= 1 is refused (``ValueError``)."""
    if chunk_size is None:
        return True
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
    return chunk_size > DEFAULT_CHUNK_SIZE


def checked_against(chunk_size: int | None, limit: int) -> int:
    """``chunk_size`` (the limit when None), refused (``ValueError``) above ``limit``, which
    would fail every item."""
    if chunk_size is None:
        return limit
    if chunk_size > limit:
        raise ValueError(f"chunk_size={chunk_size} is above the server's limit of {limit} "
                         "requests per batch (batch_max_requests)")
    return chunk_size


def check_concurrency(concurrency: int) -> None:
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")


def batch_of(requests: Iterable[Request]) -> Request:
    """The ``POST /batch`` carrying ``requests``."""
    return Request("POST", "/batch", {"requests": [
        {"method": r.method, "path": r.path, "headers": dict(r.headers)}
        | ({"body": r.body} if r.body is not None else {})
        for r in requests
    ]})


def answers_of(response: Response, count: int) -> list[tuple[int, Any]]:
    """(status, body) of each sub-response, or ``InvalidResponse``."""
    body = response.json()
    answers = body.get("responses") if isinstance(body, dict) else None
    if not isinstance(answers, list) or len(answers) != count:
        raise InvalidResponse(f"POST /batch: expected {count} responses, got {str(body)[:200]}")
    result = []
    for answer in answers:
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, int):
            raise InvalidResponse(f"POST /batch: a response has no status: {str(answer)[:200]}")
        result.append((status, answer.get("body")))
    return result


def status_and_body(error: HTTPError) -> tuple[int, Any]:
    return error.status, error.response.json_or_none()
