"""Copying the records of one collection into another, on the same server or another one: the
I/O, written once (see ``kinto_query._server.replication`` for how a run reads, writes and resumes;
its report and the filing of each window are pure, there)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ..._changes import own_fields
from ..._messages import Request
from ..._objects._async.batch import checked_chunk_size, send_batch
from ..._objects._async.collection import AsyncCollection
from ..._report import BatchItem, BatchReport
from ...exceptions import Forbidden, KintoError, NotFound, ReplicationError
from ..replication import ReplicationReport, change_of, check_pair, file_window
from .changes_feed import AsyncChanges

if TYPE_CHECKING:
    import datetime

    from ..replication import Change

__all__ = ["replicate"]

logger = logging.getLogger("kinto_query")


async def _ensure_target(source: AsyncCollection, target: AsyncCollection) -> None:
    """Create the target collection (and bucket) if missing, with the source's collection
    data and permissions, as kinto-http's replication does; one GET when it exists."""
    try:
        await target.transport.send(Request("GET", target.path))
        return
    except NotFound:
        pass  # the bucket exists, the collection does not
    except Forbidden:
        # Kinto answers 403 for a bucket that does not exist (or that we may not read).
        await target.bucket.create(exist_ok=True)
    body = (await source.transport.send(Request("GET", source.path))).json_object()
    await target.bucket.create_collection(target.id, data=own_fields(body["data"]),
                                          permissions=body.get("permissions") or None,
                                          exist_ok=True)


async def replicate(
    source: AsyncCollection,
    target: AsyncCollection,
    *,
    since: int | str | datetime.datetime | None = None,
    create: bool = True,
    chunk_size: int | None = None,
    concurrency: int = 1,
    page_size: int | None = 1000,
    progress: Callable[[ReplicationReport], None] | None = None,
    raise_on_error: bool = True,
) -> ReplicationReport:
    """Copy the records of ``source`` into ``target`` (another collection, on the same server
    or not); with ``since``, only what changed after it, deletions included.

    Returns a report (counts, failures, and ``timestamp``: pass it as ``since`` next time). A
    run that could not apply everything raises ``ReplicationError`` (a ``BatchError``)
    carrying the report, whose ``timestamp`` resumes it:
    ``replicate(source, target, since=error.report.timestamp)``
    (with ``raise_on_error=False`` the report is returned instead). With ``create`` (the
    default), a missing target collection (and bucket) is created with the source
    collection's data and permissions. Record permissions are not copied: a list of records
    does not carry them. ``progress(report)`` is called after each window of chunks.
    The source is read ``page_size`` records per request (1,000 by default, so that memory
    holds one page however big the collection; ``None`` for the server's maximum).

    Example::

        report = kinto_query.replicate(prod.collection("todo"), backup.collection("todo"))
        later = kinto_query.replicate(..., since=report.timestamp)   # only what changed since
    """
    check_pair(source, target, AsyncCollection)
    changes = AsyncChanges(source, since, page_size=page_size)
    report = ReplicationReport(timestamp=changes.timestamp)
    try:
        size = await checked_chunk_size(target.transport, chunk_size)
        logger.info("replicating %s%s to %s%s since %s", source.transport.server_url,
                    source.path, target.transport.server_url, target.path, report.timestamp)
        if create:
            await _ensure_target(source, target)
    except KintoError as error:  # nothing copied yet; the report still says why
        report.stopped_by = f"preparing the target failed: {error}"
        if raise_on_error:
            raise ReplicationError(report) from error
        return report
    try:
        cause = await _run(changes, target, size, concurrency, progress, report)
    except BaseException as error:
        # As the bulk writes do: what was done leaves with any error, even an interrupt.
        error.report = report  # type: ignore[attr-defined]
        raise
    logger.info("replication of %s%s: %s", source.transport.server_url, source.path,
                report.summary())
    if raise_on_error and not report.ok:
        raise ReplicationError(report) from cause
    return report


async def _run(changes: AsyncChanges, target: AsyncCollection, size: int, concurrency: int,
               progress: Callable[[ReplicationReport], None] | None,
               report: ReplicationReport) -> KintoError | None:
    """Read, apply and file window after window; the error that stopped the run, if any."""
    reading = aiter(changes)
    cause: KintoError | None = None
    while report.stopped_by is None:
        window: list[Change] = []
        try:
            async for record in reading:
                window.append(change_of(target, record))
                if len(window) == size * concurrency:
                    break
        except KintoError as error:  # the source failed: apply what was read, then stop
            cause = error
            report.stopped_by = f"reading the source failed: {error}"
        offset = report.read
        report.read += len(window)
        cause = await _send(target, window, offset, size, concurrency, report) or cause
        if report.failed and report.stopped_by is None:
            report.stopped_by = "the target did not apply every change"
        if report.stopped_by is None and changes.complete:
            report.complete = True
            report.timestamp = changes.timestamp
        if progress is not None:
            progress(report)
        if report.complete:
            break
    return cause


async def _send(target: AsyncCollection, window: list[Change], offset: int, size: int,
                concurrency: int, report: ReplicationReport) -> KintoError | None:
    """Apply a window of changes and file what it did; the error that stopped it, if any."""
    if not window:
        return None
    items: Iterator[BatchItem] = (change.item for change in window)
    try:
        batch = await send_batch(target.transport, items, chunk_size=size,
                                 concurrency=concurrency)
    except BaseException as error:
        # Bulk writes attach what they did to any exception leaving them, even an interrupt.
        done = getattr(error, "report", None)
        file_window(window, done if isinstance(done, BatchReport) else BatchReport(), offset,
                    report)
        report.requests += done.requests_sent if isinstance(done, BatchReport) else 0
        report.stopped_by = f"{type(error).__name__}: {error}"
        if isinstance(error, KintoError):
            return error
        error.report = report  # type: ignore[attr-defined]
        raise
    report.requests += batch.requests_sent
    file_window(window, batch, offset, report)
    return None
