"""Bulk writes through ``POST /batch``, chunk by chunk, with a report of every item.

A chunk whose answer is clear is filed item by item. When it is not (no answer, a 5xx, a
malformed answer, or a 409 or 5xx inside it: Kinto on PostgreSQL then rolls the whole batch
back, yet may answer 201 for the items before), nothing is guessed: the chunk's objects are
read back in one batch of GETs, each item found applied is filed as saved, and only those
proven not applied are sent again, as often as the client's retry policy allows. An item
whose fate cannot be learned is filed as unknown. Every exception leaving a bulk write,
``KeyboardInterrupt`` included, carries the report so far as ``.report``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from ._messages import Request, Response
from ._report import BatchItem, BatchReport, ItemFailure
from ._retry import applied
from ._transport import Transport
from ._values import dumps
from .exceptions import (
    BackoffRequested,
    Conflict,
    HTTPError,
    InvalidResponse,
    KintoConnectionError,
    KintoError,
    ServerError,
    TooManyRequests,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchItem",
    "BatchReport",
    "ItemFailure",
    "Progress",
    "chunk_size_of",
    "send_batch",
]

logger = logging.getLogger("kinto_query")

# Kinto's default batch_max_requests, used when the server advertises none (0 or absent).
DEFAULT_CHUNK_SIZE = 25
Progress = Callable[[BatchReport], None]
Pending = list[tuple[int, BatchItem]]


def chunk_size_of(transport: Transport) -> int:
    """The server's ``batch_max_requests`` (Kinto's default when it advertises none)."""
    settings = transport.server_info().get("settings") or {}
    size = settings.get("batch_max_requests") if isinstance(settings, dict) else None
    return size if isinstance(size, int) and size > 0 else DEFAULT_CHUNK_SIZE


def _batch(requests: Iterable[Request]) -> Request:
    return Request("POST", "/batch", {"requests": [
        {"method": r.method, "path": r.path, "headers": dict(r.headers)}
        | ({"body": r.body} if r.body is not None else {})
        for r in requests
    ]})


def _answers(response: Response, count: int) -> list[tuple[int, Any]]:
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


class _Chunk:
    """One chunk on its way: the items not filed yet, and the report they go to."""

    def __init__(self, transport: Transport, pending: Pending, report: BatchReport) -> None:
        self.transport = transport
        self.pending = pending
        self.report = report
        self._retry_after: float | None = None

    def send(self) -> None:
        policy = self.transport.retry
        started = time.monotonic()
        retry = 0
        while True:
            why = self._try()
            if why is None or not self.pending:
                return
            # Waits as the transport's own retries do: backoff, Retry-After, total time.
            wait = policy.next_wait(retry, started, self._retry_after) if policy else None
            if wait is None:
                break
            policy.sleep(wait)  # type: ignore[union-attr]  # a wait means a policy
            retry += 1
        tries = retry + 1
        while self.pending:
            index, item = self.pending.pop(0)
            self.report.fail(index, item, None, f"not applied after {tries} tries: {why}")

    def _file(self, answers: list[tuple[int, Any]]) -> None:
        # Each item leaves ``pending`` as it is filed: an interruption never files it twice.
        for status, body in answers:
            index, item = self.pending.pop(0)
            self.report.answer(index, item, status, body)

    def _try(self) -> str | None:
        """One attempt: files what it can; returns why the rest must be sent again, or None."""
        self._retry_after = None
        try:
            self.report.requests_sent += 1
            response = self.transport.send(_batch(item.request for _, item in self.pending))
            answers = _answers(response, len(self.pending))
        except BackoffRequested:
            # Raised before sending: nothing of this chunk went out.
            while self.pending:
                index, item = self.pending.pop(0)
                self.report.fail(index, item, None, "not sent: the server asked to back off")
            raise
        except TooManyRequests as error:  # refused before anything was applied
            self._retry_after = error.retry_after
            return str(error)
        except (ServerError, Conflict, KintoConnectionError, InvalidResponse) as error:
            # A 409 on the batch is PostgreSQL's "please retry": read back, send the rest again.
            self._retry_after = error.retry_after if isinstance(error, HTTPError) else None
            return self._read_back(f"no clear answer ({error})")
        except HTTPError as error:  # the batch itself refused (400, 401, 403): nothing applied
            self._file([(error.status, error.response.json_or_none())] * len(self.pending))
            return None
        if any(status == 409 or status >= 500 for status, _ in answers):
            return self._read_back("a request of the batch failed (409 or 5xx), so Kinto may "
                                   "have rolled the whole batch back")
        self._file(answers)
        return None

    def _read_back(self, why: str) -> str:
        """Files the items the server holds; keeps in ``pending`` those it does not."""
        self.report.requests_sent += 1
        try:
            reads = _batch(Request("GET", item.request.path) for _, item in self.pending)
            found = _answers(self.transport.send(reads), len(self.pending))
        except ServerError:  # one bad read fails the whole batch: read them one by one
            found = [self._read_one(item.request.path) for _, item in self.pending]
        except KintoError as error:
            while self.pending:
                index, item = self.pending.pop(0)
                self.report.lose(index, item, f"{why}; reading it back failed too ({error})")
            return why
        # Each item leaves ``pending`` once filed; those found not applied stay in it.
        for entry, (status, body) in zip(list(self.pending), found, strict=True):
            index, item = entry
            if status not in (200, 404):
                self.pending.remove(entry)
                self.report.lose(index, item, f"{why}; reading it back answered {status}")
                continue
            current = body if status == 200 and isinstance(body, dict) else None
            sent = json.loads(dumps(item.request.body)) if item.request.body is not None else None
            if applied(item.request, sent, current):
                self.pending.remove(entry)
                self.report.saved(item, current)
        logger.info("batch: %s; read back, %d of %d not applied", why, len(self.pending),
                    len(found))
        return why

    def _read_one(self, path: str) -> tuple[int, Any]:
        self.report.requests_sent += 1
        try:
            response = self.transport.send(Request("GET", path))
        except HTTPError as error:
            return _status_and_body(error)
        except KintoError:
            return 0, None  # no answer: the item stays unknown
        return response.status, response.json_or_none()


def _status_and_body(error: HTTPError) -> tuple[int, Any]:
    return error.status, error.response.json_or_none()


def _send_alone(transport: Transport, index: int, item: BatchItem, report: BatchReport) -> None:
    """A write ``POST /batch`` cannot carry (a JSON-Patch), sent on its own at its place."""
    report.requests_sent += 1
    try:
        answer = transport.send(item.request)
    except HTTPError as error:
        report.answer(index, item, *_status_and_body(error))
    except KintoConnectionError as lost:
        report.lose(index, item, f"no answer: {lost}")
    else:
        report.answer(index, item, answer.status, answer.json_or_none())


def send_batch(
    transport: Transport,
    items: Iterable[BatchItem],
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    """Send writes in chunks of the server's ``batch_max_requests``, reading ``items`` lazily.

    Each item is one request, so an object's data and permission changes land together.
    ``progress`` is called with the report after each chunk.
    """
    report = BatchReport()
    chunk: _Chunk | None = None
    try:
        size = chunk_size or chunk_size_of(transport)
        pending: Pending = []

        def flush() -> None:
            nonlocal chunk
            if pending:
                chunk = _Chunk(transport, list(pending), report)
                pending.clear()
                chunk.send()
                report.chunks += 1
                logger.info("batch: chunk %d sent, %d of %d items succeeded so far",
                            report.chunks, len(report.succeeded), report.total)
                if progress is not None:
                    progress(report)
                chunk = None

        for index, item in enumerate(items):
            if item.request.batchable():
                pending.append((index, item))
                if len(pending) == size:
                    flush()
            else:
                flush()
                _send_alone(transport, index, item, report)
        flush()
    except BaseException as error:
        if chunk is not None:  # interrupted with a chunk in flight: its fate is unknown
            for index, item in chunk.pending:
                report.lose(index, item, f"interrupted ({type(error).__name__}) in flight")
        error.report = report  # type: ignore[attr-defined]
        raise
    return report
