"""Bulk writes through ``POST /batch``, chunk by chunk, with a report of every item."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from ._messages import Request
from ._transport import Transport
from .exceptions import (
    HTTPError,
    KintoConnectionError,
    ServerError,
    already_exists,
    describe,
    names_itself,
    object_named,
)

__all__ = ["BatchItem", "BatchReport", "ItemFailure", "send_batch"]

# Longest pause before retrying a chunk the server rolled back, whatever Retry-After says.
_MAX_RETRY_DELAY = 10.0
# Kinto's default batch_max_requests, used when the server advertises none (0 or absent).
DEFAULT_CHUNK_SIZE = 25


@dataclasses.dataclass(frozen=True)
class BatchItem:
    """One write of a bulk operation; ``on_success`` receives the server's answer body."""

    request: Request
    id: str | None
    on_success: Callable[[dict[str, Any]], None] | None = None
    missing_ok: bool = False
    """A 404 counts as done (a delete of what is already gone)."""

    @property
    def kind(self) -> str:
        """What the request writes: ``record``, ``collection``..."""
        return object_named(self.request.path)[0]


@dataclasses.dataclass(frozen=True)
class ItemFailure:
    """One item the server did not apply, and why."""

    index: int
    """Position of the item in the input."""
    id: str | None
    status: int | None
    """The item's HTTP status, or None when the chunk got no answer."""
    message: str
    existing: dict[str, Any] | None = None
    """On a conflict (412): the server's current version."""


class BatchReport:
    """What a bulk write did, item by item: ``succeeded`` ids, ``conflicts``, ``missing``,
    ``failed``. Nothing counts as succeeded unless the server said so.
    """

    def __init__(self) -> None:
        self.succeeded: list[str | None] = []
        self.conflicts: list[ItemFailure] = []
        self.missing: list[ItemFailure] = []
        self.failed: list[ItemFailure] = []
        self.requests_sent = 0

    @property
    def ok(self) -> bool:
        """True when every item succeeded."""
        return not (self.conflicts or self.missing or self.failed)

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.conflicts) + len(self.missing) + len(self.failed)

    def summary(self) -> str:
        """One line: ``3 of 5 succeeded; 1 conflict ['r2']; 1 failed ['r4']``."""
        text = f"{len(self.succeeded)} of {self.total} succeeded"
        for label, items in (
            ("conflict", self.conflicts),
            ("missing", self.missing),
            ("failed", self.failed),
        ):
            if items:
                shown = [item.id for item in items[:5]] + (["..."] if len(items) > 5 else [])
                text += f"; {len(items)} {label} {shown}"
                if len({item.message for item in items}) == 1:
                    text += f" ({items[0].message})"
        return text

    def __repr__(self) -> str:
        return f"<BatchReport {self.summary()}>"

    def _record(self, index: int, item: BatchItem, status: int, body: Any) -> None:
        body = body if isinstance(body, dict) else {}
        details = body.get("details")
        if status < 400 or (status == 404 and item.missing_ok and names_itself(details, item.kind)):
            self.succeeded.append(item.id)
            if item.on_success is not None and status < 400:
                item.on_success(body)
            return
        message = describe(status, body, item.request.path) or f"status {status}"
        if status == 412:
            if item.request.headers.get("If-None-Match") == "*":
                message = already_exists(item.request.path)
            existing = details.get("existing") if isinstance(details, dict) else None
            self.conflicts.append(ItemFailure(index, item.id, status, message, existing))
        elif status == 404 and names_itself(details, item.kind):
            self.missing.append(ItemFailure(index, item.id, status, message))
        else:
            # Includes a 404 of the collection or bucket the item was to be written in.
            self.failed.append(ItemFailure(index, item.id, status, message))

    def _fail_all(self, start: int, chunk: list[BatchItem], status: int | None, why: str) -> None:
        for offset, item in enumerate(chunk):
            self.failed.append(ItemFailure(start + offset, item.id, status, why))


def _retry_delay(error: HTTPError | None) -> float:
    after = error.retry_after if error is not None else None
    return min(float(after), _MAX_RETRY_DELAY) if after is not None else 0.5


def _send_chunk(
    transport: Transport, chunk: list[BatchItem], start: int, report: BatchReport
) -> None:
    payload = {
        "requests": [
            {"method": r.method, "path": r.path, "headers": dict(r.headers)}
            | ({"body": r.body} if r.body is not None else {})
            for r in (item.request for item in chunk)
        ]
    }
    # Kinto runs a batch as one transaction, rolled back on any 5xx: such a chunk was not
    # applied at all, so it is safe to send once more.
    for attempt in (1, 2):
        report.requests_sent += 1
        error: HTTPError | None = None
        try:
            responses = transport.send(Request("POST", "/batch", payload)).json()["responses"]
        except ServerError as server_error:
            error, responses = server_error, None
        except KintoConnectionError as lost:
            # No answer: the chunk may or may not have been applied. Never call it saved.
            report._fail_all(start, chunk, None, f"outcome unknown, no answer: {lost}")
            return
        statuses = [r["status"] for r in responses] if responses is not None else []
        if responses is not None and all(status < 500 for status in statuses):
            for offset, (item, answer) in enumerate(zip(chunk, responses, strict=True)):
                report._record(start + offset, item, answer["status"], answer.get("body"))
            return
        if attempt == 1:
            time.sleep(_retry_delay(error))
    status = error.status if error is not None else max(statuses)
    report._fail_all(
        start, chunk, status, f"server error {status}; the chunk was rolled back (tried twice)"
    )


def _send_alone(transport: Transport, item: BatchItem, index: int, report: BatchReport) -> None:
    """A write ``POST /batch`` cannot carry (a JSON-Patch), sent on its own at its place."""
    report.requests_sent += 1
    try:
        answer = transport.send(item.request)
    except HTTPError as error:
        report._record(index, item, error.status, error.response.json_or_none())
    except KintoConnectionError as lost:
        report._fail_all(index, [item], None, f"outcome unknown, no answer: {lost}")
    else:
        report._record(index, item, answer.status, answer.json_or_none())


def chunk_size_of(transport: Transport) -> int:
    """The server's ``batch_max_requests`` (Kinto's default when it advertises none)."""
    settings = transport.server_info().get("settings") or {}
    size = settings.get("batch_max_requests") if isinstance(settings, dict) else None
    return size if isinstance(size, int) and size > 0 else DEFAULT_CHUNK_SIZE


def send_batch(
    transport: Transport, items: Iterable[BatchItem], *, chunk_size: int | None = None
) -> BatchReport:
    """Send writes in chunks of the server's ``batch_max_requests``, reading ``items`` lazily.

    Each item is one request, so an object's data and permission changes land together.
    """
    size = chunk_size or chunk_size_of(transport)
    report = BatchReport()
    chunk: list[BatchItem] = []
    start = 0
    for index, item in enumerate(items):
        if not item.request.batchable():
            if chunk:
                _send_chunk(transport, chunk, start, report)
                chunk = []
            _send_alone(transport, item, index, report)
            continue
        if not chunk:
            start = index
        chunk.append(item)
        if len(chunk) == size:
            _send_chunk(transport, chunk, start, report)
            chunk = []
    if chunk:
        _send_chunk(transport, chunk, start, report)
    return report
