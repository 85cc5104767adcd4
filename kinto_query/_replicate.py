"""Copying the records of one collection into another, on the same server or another one.

The source is read as a stream of changes (``Collection.changes``: oldest first, with
tombstones when ``since`` is given) and written to the target through the bulk writes'
engine (``send_batch``: ``POST /batch`` in chunks of the target's ``batch_max_requests``,
unclear answers read back, never guessed), a window of chunks at a time: memory holds one
window, whatever the size of the collection.

Each change becomes one idempotent request: a ``PUT`` of the record (created, or replaced
whole) or a ``DELETE`` of it (already gone counts as done). So a replication can always be
resumed from a place where every change before was applied: the report's ``timestamp``. The run
stops at the first window with a failure (the target refused an item, or its fate could not
be learned), and the place to go on from is just before the first change not applied;
resuming sends again what came after it, harmlessly.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ._batch import checked_chunk_size, send_batch
from ._changes import own_fields
from ._changes_feed import Changes
from ._collection import Collection
from ._data import raw_of
from ._messages import Request
from ._report import BatchItem, BatchReport, ItemFailure
from .exceptions import Forbidden, KintoError, NotFound, ReplicationError

if TYPE_CHECKING:
    import datetime

    from ._record import Record

__all__ = ["ReplicationReport", "replicate"]

logger = logging.getLogger("kinto_query")


@dataclasses.dataclass
class ReplicationReport:
    """What a replication did: counts, failures, and where to go on from."""

    created: int = 0
    """Records the target did not have (it answered 201)."""
    updated: int = 0
    """Records the target had, replaced (or found written after a lost answer)."""
    deleted: int = 0
    """Deletions applied (a record the target did not have counts: it is gone either way)."""
    failed: list[ItemFailure] = dataclasses.field(default_factory=list)
    """Changes not applied, with why (``index``: position in the stream of changes read)."""
    read: int = 0
    """Changes read from the source."""
    requests: int = 0
    """``POST /batch`` requests sent to the target (writes and read-backs; the few requests
    that check or create the target collection are not counted)."""
    timestamp: int | None = None
    """Pass it as ``since`` to go on (milliseconds): every change of the source up to it was
    applied. At the end of a complete run, the source's timestamp when the reading began."""
    complete: bool = False
    """Whether every change was read from the source and applied."""
    stopped_by: str | None = None
    """Why the run stopped before the end, or None."""

    @property
    def ok(self) -> bool:
        """True when the run is complete and nothing failed."""
        return self.complete and not self.failed

    def summary(self) -> str:
        """One line: ``read 12 changes: 10 created, 1 updated, 1 deleted; ... next since "..."``."""
        changes = "change" if self.read == 1 else "changes"
        text = (f"read {self.read} {changes}: {self.created} created, {self.updated} updated, "
                f"{self.deleted} deleted")
        if self.failed:
            shown = [f.id for f in self.failed[:5]] + (["..."] if len(self.failed) > 5 else [])
            text += f"; {len(self.failed)} failed {shown} ({self.failed[0].message})"
        if not self.complete:
            text += (f"; stopped ({self.stopped_by or 'incomplete'}): resume with "
                     f"since={self.timestamp}")
        else:
            text += f"; next since={self.timestamp}"
        return text

    def __repr__(self) -> str:
        return f"<ReplicationReport {self.summary()}>"


@dataclasses.dataclass(frozen=True)
class _Change:
    item: BatchItem
    modified: int
    deleted: bool


def _change(target: Collection, record: Record) -> _Change:
    assert record.last_modified is not None  # Changes hands out only dated records
    if record.deleted:
        request = target.record(id=record.id).delete_request(force=True)
        return _Change(BatchItem(request, record.id, missing_ok=True), record.last_modified,
                       True)
    # A new Record of the target: PUT without If-Match, no permissions (the target's stay).
    copy = target.record(raw_of(record.data), id=record.id)
    return _Change(BatchItem(copy.create_request(force=True), record.id),
                   record.last_modified, False)


def _ensure_target(source: Collection, target: Collection) -> None:
    """Create the target collection (and bucket) if missing, with the source's collection
    data and permissions, as kinto-http's replication does; one GET when it exists."""
    try:
        target.transport.send(Request("GET", target.path))
        return
    except NotFound:
        pass  # the bucket exists, the collection does not
    except Forbidden:
        # Kinto answers 403 for a bucket that does not exist (or that we may not read).
        target.bucket.create(exist_ok=True)
    body = source.transport.send(Request("GET", source.path)).json_object()
    target.bucket.create_collection(target.id, data=own_fields(body["data"]),
                                    permissions=body.get("permissions") or None, exist_ok=True)


def _file(window: list[_Change], batch: BatchReport, offset: int,
          report: ReplicationReport) -> None:
    """Count what a window did; move ``report.timestamp`` past the changes applied in order."""
    done = set(batch.succeeded)
    created = set(batch.created)
    failures = {f.index: f for f in (*batch.conflicts, *batch.missing, *batch.failed,
                                     *batch.unknown)}
    in_order = True
    for index, change in enumerate(window):
        if change.item.id in done:
            if change.deleted:
                report.deleted += 1
            elif change.item.id in created:
                report.created += 1
            else:
                report.updated += 1
            if in_order:
                report.timestamp = change.modified
            continue
        in_order = False
        failure = failures.get(index) or ItemFailure(index, change.item.id, None, "not sent")
        report.failed.append(dataclasses.replace(failure, index=offset + index))


def replicate(
    source: Collection,
    target: Collection,
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
    for name, value in (("source", source), ("target", target)):
        if not isinstance(value, Collection):
            raise TypeError(f"replicate() copies a Collection into a Collection; {name} is "
                            f"{type(value).__name__} {value!r:.60}")
    if (source.transport.server_url, source.path) == (target.transport.server_url, target.path):
        raise ValueError(f"source and target are the same collection ({source.path}): "
                         "replicating it onto itself would rewrite every record")
    size = checked_chunk_size(target.transport, chunk_size)
    changes = Changes(source, since, page_size=page_size)
    report = ReplicationReport(timestamp=changes.timestamp)
    logger.info("replicating %s%s to %s%s since %s", source.transport.server_url, source.path,
                target.transport.server_url, target.path, report.timestamp)
    if create:
        _ensure_target(source, target)
    try:
        cause = _run(changes, target, size, concurrency, progress, report)
    except BaseException as error:
        # As the bulk writes do: what was done leaves with any error, even an interrupt.
        error.report = report  # type: ignore[attr-defined]
        raise
    logger.info("replication of %s%s: %s", source.transport.server_url, source.path,
                report.summary())
    if raise_on_error and not report.ok:
        raise ReplicationError(report) from cause
    return report


def _run(changes: Changes, target: Collection, size: int, concurrency: int,
         progress: Callable[[ReplicationReport], None] | None,
         report: ReplicationReport) -> KintoError | None:
    """Read, apply and file window after window; the error that stopped the run, if any."""
    reading = iter(changes)
    cause: KintoError | None = None
    while report.stopped_by is None:
        window: list[_Change] = []
        try:
            for record in reading:
                window.append(_change(target, record))
                if len(window) == size * concurrency:
                    break
        except KintoError as error:  # the source failed: apply what was read, then stop
            cause = error
            report.stopped_by = f"reading the source failed: {error}"
        offset = report.read
        report.read += len(window)
        cause = _send(target, window, offset, size, concurrency, report) or cause
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


def _send(target: Collection, window: list[_Change], offset: int, size: int, concurrency: int,
          report: ReplicationReport) -> KintoError | None:
    """Apply a window of changes and file what it did; the error that stopped it, if any."""
    if not window:
        return None
    items: Iterator[BatchItem] = (change.item for change in window)
    try:
        batch = send_batch(target.transport, items, chunk_size=size, concurrency=concurrency)
    except BaseException as error:
        # Bulk writes attach what they did to any exception leaving them, even an interrupt.
        done = getattr(error, "report", None)
        _file(window, done if isinstance(done, BatchReport) else BatchReport(), offset, report)
        report.requests += done.requests_sent if isinstance(done, BatchReport) else 0
        report.stopped_by = f"{type(error).__name__}: {error}"
        if isinstance(error, KintoError):
            return error
        error.report = report  # type: ignore[attr-defined]
        raise
    report.requests += batch.requests_sent
    _file(window, batch, offset, report)
    return None
