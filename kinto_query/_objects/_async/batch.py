"""Bulk writes through ``POST /batch``, chunk by chunk, with a report of every item (async
source of ``kinto_query._objects._blocking.batch``).

A chunk whose answer is clear is filed item by item. When it is not (no answer, a 5xx, a
malformed answer, or a 409 or 5xx inside it: Kinto on PostgreSQL then rolls the whole batch
back, yet may answer 201 for the items before), nothing is guessed: the chunk's objects are
read back in one batch of GETs, each item found applied is filed as saved, and only those
proven not applied are sent again, as often as the client's retry policy allows. An item
whose fate cannot be learned is filed as unknown. Every exception leaving a bulk write,
``KeyboardInterrupt`` and a cancellation included, carries the report so far as ``.report``.
"""

from __future__ import annotations

import collections
import functools
import logging
from collections.abc import Iterable
from typing import Any

from ..._messages import Request
from ..._report import BatchItem, BatchReport
from ..._retry import Again, applied
from ..._wire._async.retry import with_retries
from ..._wire._async.transport import AsyncTransport
from ..._wire.concurrency import AsyncJob, AsyncWorkers
from ..._wire.http import AsyncOutcome
from ...exceptions import (
    BackoffRequested,
    Conflict,
    HTTPError,
    InvalidResponse,
    KintoConnectionError,
    KintoError,
    ServerError,
    TooManyRequests,
)
from ..bulk import (
    Pending,
    Progress,
    answers_of,
    batch_of,
    check_concurrency,
    checked_against,
    limit_of,
    size_to_check,
    status_and_body,
)

__all__ = ["checked_chunk_size", "chunk_size_of", "send_batch"]

logger = logging.getLogger("kinto_query")


async def chunk_size_of(transport: AsyncTransport) -> int:
    """The server's ``batch_max_requests`` (Kinto's default when it advertises none)."""
    return limit_of(await transport.server_info())


async def checked_chunk_size(transport: AsyncTransport, chunk_size: int | None) -> int:
    """``chunk_size``, or the server's limit when None; refused (``ValueError``) below 1 or
    above the server's limit, which would fail every item. The limit is read (one cached
    ``GET /v1/``) only for sizes above Kinto's default: below it, a server with a lower
    limit still refuses each chunk, saying its limit, in the report."""
    if not size_to_check(chunk_size):
        assert chunk_size is not None
        return chunk_size
    return checked_against(chunk_size, await chunk_size_of(transport))


class AsyncChunk:
    """One chunk on its way: the items not filed yet, and the report they go to."""

    def __init__(self, transport: AsyncTransport, pending: Pending, report: BatchReport) -> None:
        self.transport = transport
        self.pending = pending
        self.report = report
        self._retry_after: float | None = None
        self._unsure = False  # an earlier attempt may have been applied unbeknown to us
        self.lost: Pending = []  # filed unknown: read back at the end (see AsyncSender.settle)

    async def send(self) -> None:
        # Waits as the transport's own retries do: backoff, Retry-After, total time.
        await with_retries(
            self.transport.retry, self._attempt, "POST /batch (bulk write)", self.transport.wire)

    async def send_on(self, transport: AsyncTransport) -> None:
        """``send()`` on ``transport`` (a worker's own)."""
        self.transport = transport
        await self.send()

    async def _attempt(self) -> Again[AsyncOutcome[None]] | None:
        why = await self._try()
        if why is None or not self.pending:
            return None
        return Again(self._retry_after, functools.partial(self._give_up, why))

    async def _give_up(self, why: str, tries: int) -> None:
        while self.pending:
            index, item = self.pending.pop(0)
            self.report.fail(index, item, None, f"not applied after {tries} tries: {why}")

    async def _file(self, answers: list[tuple[int, Any]]) -> None:
        # A 412 on a resend may answer our own earlier attempt, landed late: what the server
        # holds tells (one batch of GETs). Unread, such an item is unknown, not a conflict.
        held: dict[str, Any] | None = {}
        if self._unsure:
            refused = [item for (status, _), (_, item) in zip(answers, self.pending, strict=True)
                       if status == 412]
            held = await self._held(refused)
        # Each item leaves ``pending`` as it is filed: an interruption never files it twice.
        for status, body in answers:
            index, item = self.pending.pop(0)
            if status != 412 or not self._unsure:
                self.report.answer(index, item, status, body)
            elif held is None:
                self._lose(index, item, "refused (412) when sent again after an unclear "
                           "answer, and reading it back failed")
            elif applied(item.request, current := held.get(item.request.path)):
                self.report.saved(index, item, current)
            else:
                self.report.answer(index, item, status, body)

    async def _held(self, items: list[BatchItem]) -> dict[str, Any] | None:
        """The objects the server holds (``{path: {data, permissions}}``) for ``items``, or
        None when they cannot be read."""
        if not items:
            return {}
        self.report.requests_sent += 1
        try:
            reads = batch_of(Request("GET", item.request.path) for item in items)
            found = answers_of(await self.transport.send(reads), len(items))
        except KintoError:
            return None
        return {item.request.path: body for item, (status, body) in zip(items, found, strict=True)
                if status == 200 and isinstance(body, dict)}

    async def _try(self) -> str | None:
        """One attempt: files what it can; returns why the rest must be sent again, or None."""
        self._retry_after = None
        try:
            self.report.requests_sent += 1
            chunk = batch_of(item.request for _, item in self.pending)
            response = await self.transport.send(chunk)
            answers = answers_of(response, len(self.pending))
        except BackoffRequested:
            # Raised before sending: nothing of this chunk went out.
            while self.pending:
                index, item = self.pending.pop(0)
                self.report.fail(index, item, None, "not sent: the server asked to back off")
            raise
        except (TypeError, ValueError) as error:
            if isinstance(error, KintoError):
                raise
            # The chunk's body could not be encoded (a NaN, an object JSON cannot hold), so
            # nothing of it went out: not sent, rather than unknown.
            while self.pending:
                index, item = self.pending.pop(0)
                self.report.fail(index, item, None, f"not sent: {error}")
            raise
        except TooManyRequests as error:  # refused before anything was applied
            self._retry_after = error.retry_after
            return str(error)
        except (ServerError, Conflict, KintoConnectionError, InvalidResponse) as error:
            # A 409 on the batch is PostgreSQL's "please retry": read back, send the rest again.
            self._retry_after = error.retry_after if isinstance(error, HTTPError) else None
            return await self._read_back(f"no clear answer ({error})")
        except HTTPError as error:  # the batch itself refused (400, 401, 403): nothing applied
            await self._file([(error.status, error.response.json_or_none())] * len(self.pending))
            return None
        if any(status == 409 or status >= 500 for status, _ in answers):
            why = ("a request of the batch failed (409 or 5xx), so Kinto may have rolled the "
                   "whole batch back")
            return await self._read_back(why)
        await self._file(answers)
        return None

    async def _read_back(self, why: str) -> str:
        """Files the items the server holds; keeps in ``pending`` those it does not."""
        self._unsure = True
        self.report.requests_sent += 1
        try:
            reads = batch_of(Request("GET", item.request.path) for _, item in self.pending)
            found = answers_of(await self.transport.send(reads), len(self.pending))
        except ServerError:  # one bad read fails the whole batch: read them one by one
            found = [await self._read_one(item.request.path) for _, item in self.pending]
        except KintoError as error:
            while self.pending:
                index, item = self.pending.pop(0)
                self._lose(index, item, f"{why}; reading it back failed too ({error})")
            return why
        # Each item leaves ``pending`` once filed; those found not applied stay in it.
        for entry, (status, body) in zip(list(self.pending), found, strict=True):
            index, item = entry
            if status not in (200, 404):
                self.pending.remove(entry)
                self._lose(index, item, f"{why}; reading it back answered {status}")
                continue
            current = body if status == 200 and isinstance(body, dict) else None
            if applied(item.request, current):
                self.pending.remove(entry)
                self.report.saved(index, item, current)
        logger.info("batch: %s; read back, %d of %d not applied", why, len(self.pending),
                    len(found))
        return why

    def _lose(self, index: int, item: BatchItem, why: str) -> None:
        self.report.lose(index, item, why)
        self.lost.append((index, item))

    async def _read_one(self, path: str) -> tuple[int, Any]:
        self.report.requests_sent += 1
        try:
            response = await self.transport.send(Request("GET", path))
        except HTTPError as error:
            return status_and_body(error)
        except KintoError:
            return 0, None  # no answer: the item stays unknown
        return response.status, response.json_or_none()


async def _send_alone(
    transport: AsyncTransport, index: int, item: BatchItem, report: BatchReport,
) -> None:
    """A write ``POST /batch`` cannot carry (a JSON-Patch), sent on its own at its place."""
    report.requests_sent += 1
    try:
        answer = await transport.send(item.request)
    except HTTPError as error:
        report.answer(index, item, *status_and_body(error))
    except KintoConnectionError as lost:
        report.lose(index, item, f"no answer: {lost}")
    else:
        report.answer(index, item, answer.status, answer.json_or_none())


class AsyncSender:
    """Chunks on their way, ``concurrency`` of them at most, filed in the input's order."""

    def __init__(
        self, transport: AsyncTransport, report: BatchReport, progress: Progress | None,
        concurrency: int,
    ) -> None:
        self.transport = transport
        self.report = report
        self.progress = progress
        self.concurrency = concurrency
        self.in_flight: collections.deque[tuple[AsyncChunk, AsyncJob | None]] = (
            collections.deque())
        # Per side (kinto_query._wire.concurrency): threads for the sync code, tasks for async.
        self.workers = AsyncWorkers(transport, concurrency) if concurrency > 1 else None
        self.lost: Pending = []

    async def submit(self, pending: Pending) -> None:
        chunk = AsyncChunk(self.transport, list(pending), BatchReport())
        if self.workers is None:
            self.in_flight.append((chunk, None))
            await chunk.send()
            await self._file_oldest()
            return
        while len(self.in_flight) >= self.concurrency:  # memory: in flight x chunk size
            await self._file_oldest()
        self.in_flight.append((chunk, self.workers.start(chunk.send_on)))

    async def _file_oldest(self) -> None:
        chunk, job = self.in_flight[0]
        if job is not None:
            await job.result()
        self.in_flight.popleft()
        self._file(chunk)

    def _file(self, chunk: AsyncChunk) -> None:
        self.report.merge(chunk.report)
        self.lost.extend(chunk.lost)
        self.report.chunks += 1
        logger.info("batch: chunk %d done, %d of %d items succeeded so far",
                    self.report.chunks, len(self.report.succeeded), self.report.total)
        if self.progress is not None:
            self.progress(self.report)

    async def drain(self) -> None:
        while self.in_flight:
            await self._file_oldest()

    async def settle(self, size: int) -> None:
        """Read back, once more, the items no answer told about: the server may answer again
        by now (restarted, say); what it holds is filed, the rest stays unknown."""
        for start in range(0, len(self.lost), size):
            part = self.lost[start:start + size]
            self.report.requests_sent += 1
            try:
                reads = batch_of(Request("GET", item.request.path) for _, item in part)
                found = answers_of(await self.transport.send(reads), len(part))
            except KintoError:
                return  # still no answer: they stay unknown
            for (index, item), (status, body) in zip(part, found, strict=True):
                if status in (200, 404):
                    current = body if status == 200 and isinstance(body, dict) else None
                    self.report.settle(index, item, current, "not applied: its answer was lost "
                                       "and the server, read back later, does not hold it")
        logger.info("batch: read back %d items of unknown outcome", len(self.lost))

    async def abandon(self, error: BaseException) -> None:
        """An error stops the write: keep what every chunk in flight learned (each has ended
        once ``workers.stop`` returns: finished, or cancelled on a cancellation)."""
        try:
            if self.workers is not None:
                await self.workers.stop(error)
        finally:
            while self.in_flight:
                chunk, _ = self.in_flight.popleft()
                self.report.merge(chunk.report)
                for index, item in chunk.pending:
                    self.report.lose(index, item,
                                     f"interrupted ({type(error).__name__}) in flight")

    async def aclose(self) -> None:
        if self.workers is not None:
            await self.workers.aclose()


async def send_batch(
    transport: AsyncTransport,
    items: Iterable[BatchItem | None],
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    concurrency: int = 1,
) -> BatchReport:
    """Send writes in chunks of the server's ``batch_max_requests``, reading ``items`` lazily.

    Each item is one request, so an object's data and permission changes land together.
    ``progress`` is called with the report after each chunk. ``concurrency`` chunks may be
    in flight at once (sync: each thread with its own session; async: tasks on the one
    client); the report stays in input order. An item None is an input with nothing to
    send: it keeps the numbering of the others.

    Any exception leaving it (``KeyboardInterrupt``, a cancellation...) carries the report so
    far as ``.report``: chunks in flight are waited for (or, on a cancellation of the async
    side, cancelled and waited for), and their items not filed are reported unknown.
    """
    check_concurrency(concurrency)
    report = BatchReport()
    sender = AsyncSender(transport, report, progress, concurrency)
    try:
        size = await checked_chunk_size(transport, chunk_size)
        pending: Pending = []
        for index, item in enumerate(items):
            if item is None:
                continue
            if item.request.batchable():
                pending.append((index, item))
                if len(pending) == size:
                    await sender.submit(pending)
                    pending = []
            else:
                if pending:
                    await sender.submit(pending)
                    pending = []
                await sender.drain()  # in order: what came before is filed first
                await _send_alone(transport, index, item, report)
        if pending:
            await sender.submit(pending)
        await sender.drain()
        await sender.settle(size)
    except BaseException as error:
        error.report = report  # type: ignore[attr-defined]
        try:
            await sender.abandon(error)
        except BaseException as again:  # cancelled (or interrupted) once more meanwhile
            again.report = report  # type: ignore[attr-defined]
            raise
        raise
    finally:
        await sender.aclose()
    return report
