"""Making a collection hold a list of records: the diff applied as one bulk write.

The writes are the bulk writes' own requests, sent through their engine (``send_batch``:
``POST /batch`` chunks of the server's ``batch_max_requests``, unclear answers read back,
never guessed), so whatever covers the bulk writes (retries, a dry run) covers a sync too.
Each write is guarded by the version the diff read: a create is ``If-None-Match: *``, an
update a ``PUT`` with ``If-Match`` on the ``last_modified`` scanned, a delete a ``DELETE``
with that ``If-Match``. A record someone changed between the scan and the write is a
conflict in the report, never overwritten.

This module is pure (the plan's requests, the report); ``sync()`` itself is written once,
async, in ``kinto_query._objects._async.collection`` (generated into ``_blocking``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from .._changes import own_fields
from .._objects.state import ResourceState
from .._report import BatchItem, BatchReport, ItemFailure
from .diff import RecordsDiff

__all__ = ["SyncReport", "file_sync_report", "has_writes", "sync_items"]

_ACTIONS = ("create", "update", "delete")


@dataclasses.dataclass(frozen=True)
class SyncReport:
    """What a sync did: the ``diff`` it applied, the ids ``created``, ``updated`` and
    ``deleted``, and the writes' item-by-item ``report`` (a ``BatchReport``: ``conflicts``,
    ``missing``, ``failed``, ``unknown``; an item's ``index`` is its place in the plan: the
    diff's creates, then its updates, then its deletes when ``delete=True``).

    >>> records = [{"id": "r1", "title": "milk"}, {"id": "r3", "title": "jam", "status": "done"},
    ...            {"id": "r4", "title": "tea"}, {"id": "r5", "title": "rice"}]
    >>> report = todo.sync(records, delete=True)
    >>> report.summary()
    'created 2, updated 1, deleted 1, unchanged 1'
    """

    diff: RecordsDiff
    report: BatchReport
    deleting: bool
    """Whether the records the list does not hold were to be deleted."""
    created: tuple[str | None, ...] = ()
    updated: tuple[str | None, ...] = ()
    deleted: tuple[str | None, ...] = ()

    @classmethod
    def of(cls, diff: RecordsDiff, report: BatchReport, deleting: bool) -> SyncReport:
        """The sync's report, from the writes' (each succeeded item by its place in the plan)."""
        done: dict[str, list[str | None]] = {action: [] for action in _ACTIONS}
        ends = (len(diff.to_create), len(diff.to_create) + len(diff.to_update))
        for index, record_id in zip(report.succeeded_at, report.succeeded, strict=True):
            action = "create" if index < ends[0] else "update" if index < ends[1] else "delete"
            done[action].append(record_id)
        return cls(diff, report, deleting, *(tuple(done[action]) for action in _ACTIONS))

    @property
    def ok(self) -> bool:
        """True when every write of the plan succeeded."""
        return self.report.ok

    @property
    def conflicts(self) -> list[ItemFailure]:
        """Records changed (or created) by someone else since the scan: left as they are."""
        return self.report.conflicts

    @property
    def failed(self) -> list[ItemFailure]:
        """Writes the server refused for another reason, or that never got an answer."""
        return [*self.report.missing, *self.report.failed, *self.report.unknown]

    @property
    def kept(self) -> int:
        """Records the list does not hold, left in the collection (``delete=False``)."""
        return 0 if self.deleting else len(self.diff.to_delete)

    def summary(self) -> str:
        """One line: ``created 2, updated 1, deleted 0, unchanged 7; 1 conflict ['r3']``."""
        text = (f"created {len(self.created)}, updated {len(self.updated)}, deleted "
                f"{len(self.deleted)}, unchanged {len(self.diff.unchanged)}")
        if self.kept:
            text += f", {self.kept} not in the list kept (delete=True deletes them)"
        return text + self.report.failures_text()

    def __repr__(self) -> str:
        return f"<SyncReport {self.summary()}>"


class _Collection(Protocol):
    def record(self, data: Mapping[str, Any] | None = None, *,
               id: str | None = None) -> ResourceState: ...


def sync_items(collection: _Collection, diff: RecordsDiff,
               delete: bool) -> Iterator[BatchItem]:
    """The guarded writes applying ``diff`` to ``collection``, in the plan's order."""
    for wanted in diff.to_create:
        # Only the record's own data: a last_modified from elsewhere (a dump) is not ours.
        record = collection.record(own_fields(wanted), id=wanted.get("id"))
        yield BatchItem(record.create_request(), record.id)
    for change in diff.to_update:
        data: dict[str, Any] = {k: v for k, v in own_fields(change.wanted).items()
                                if k not in diff.ignore}
        # Fields not compared are the server's (schema, attachment): kept as they are.
        data.update((k, v) for k, v in own_fields(change.current).items() if k in diff.ignore)
        record = collection.record({**data, "last_modified": change.last_modified},
                                   id=change.id)
        yield BatchItem(record.replace_request(permissions=False), change.id)
    if delete:
        for current in diff.to_delete:
            record = collection.record({"last_modified": current.get("last_modified")},
                                       id=current["id"])
            # Deleted meanwhile by someone else: gone either way, as the list wants.
            yield BatchItem(record.delete_request(), record.id, missing_ok=True)


def has_writes(diff: RecordsDiff, delete: bool) -> bool:
    """Whether applying ``diff`` writes anything (else only the scan was sent)."""
    return bool(diff.to_create or diff.to_update or (delete and diff.to_delete))


def file_sync_report(error: BaseException, diff: RecordsDiff, delete: bool) -> None:
    """An exception leaving the writes carries the ``SyncReport`` so far as ``.report``
    (instead of the bulk writes' own ``BatchReport``)."""
    done = getattr(error, "report", None)
    if isinstance(done, BatchReport):
        error.report = SyncReport.of(diff, done, delete)  # type: ignore[attr-defined]
