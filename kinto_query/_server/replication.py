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

The report and the filing of each window are pure, here; the run itself is written once,
async, in ``kinto_query._server._async.replicate`` (``kinto_query.aio.replicate``), generated into
``kinto_query._server._blocking.replicate`` (``kinto_query.replicate``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._data import raw_of
from .._objects.state import RecordState
from .._report import BatchItem, BatchReport, ItemFailure

__all__ = ["Change", "ReplicationReport", "change_of", "check_pair", "file_window"]


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
class Change:
    """One change read from the source, as the request that applies it to the target."""

    item: BatchItem
    modified: int
    deleted: bool


def change_of(target: Any, record: RecordState) -> Change:
    """The idempotent write applying ``record`` (a change of the source) to ``target``."""
    assert record.last_modified is not None  # Changes hands out only dated records
    if record.deleted:
        request = target.record(id=record.id).delete_request(force=True)
        return Change(BatchItem(request, record.id, missing_ok=True), record.last_modified,
                       True)
    # A new Record of the target: PUT without If-Match, no permissions (the target's stay).
    copy = target.record(raw_of(record.data), id=record.id)
    return Change(BatchItem(copy.create_request(force=True), record.id),
                   record.last_modified, False)


def file_window(window: list[Change], batch: BatchReport, offset: int,
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


def check_pair(source: Any, target: Any, kind: type) -> None:
    """``replicate()`` takes two collections (of ``kind``), not one twice."""
    for name, value in (("source", source), ("target", target)):
        if not isinstance(value, kind):
            raise TypeError(f"replicate() copies a {kind.__name__} into a {kind.__name__}; "
                            f"{name} is {type(value).__name__} {value!r:.60}")
    if (source.transport.server_url, source.path) == (
            target.transport.server_url, target.path):
        raise ValueError(f"source and target are the same collection "
                         f"({source.path}): replicating it onto "
                         "itself would rewrite every record")
