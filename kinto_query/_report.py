"""What a bulk write did, item by item: the report every bulk write returns or raises with."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable
from typing import Any

from ._messages import Request
from ._retry import applied
from ._wording import already_exists, describe, names_itself, object_named

__all__ = ["BatchItem", "BatchReport", "ItemFailure"]


@dataclasses.dataclass(frozen=True)
class BatchItem:
    """One write of a bulk operation; ``on_success`` receives the server's answer body."""

    request: Request
    id: str | None
    on_success: Callable[[dict[str, Any]], None] | None = None
    missing_ok: bool = False
    """A 404 of the object itself counts as done (a delete of what is already gone)."""

    @property
    def kind(self) -> str:
        """What the request writes: ``record``, ``collection``..."""
        return object_named(self.request.path)[0]


@dataclasses.dataclass(frozen=True)
class ItemFailure:
    """One item the server did not apply (or whose fate is unknown), and why."""

    index: int
    """Position of the item in the input."""
    id: str | None
    status: int | None
    """The item's HTTP status, or None when there was no answer for it."""
    message: str
    existing: dict[str, Any] | None = None
    """On a conflict (412): the server's current version."""
    body: dict[str, Any] | None = None
    """The server's answer for the item (Kinto's error body: errno, details...), if any."""


class BatchReport:
    """What a bulk write did, item by item: ``succeeded`` ids, ``conflicts``, ``missing``,
    ``failed``, and ``unknown`` (no answer, and the server could not be asked afterwards).
    Nothing counts as succeeded unless the server said so or holds the write.
    """

    def __init__(self) -> None:
        self.succeeded: list[str | None] = []
        self.conflicts: list[ItemFailure] = []
        self.missing: list[ItemFailure] = []
        self.failed: list[ItemFailure] = []
        self.unknown: list[ItemFailure] = []
        self.requests_sent = 0
        self.chunks = 0
        self._succeeded_at: list[int] = []  # the input position of each succeeded id
        self.created: list[str | None] = []
        """Ids of the succeeded items the server answered ``201 Created`` (a PUT that made
        the object rather than replaced it); an item found applied by a read-back is not in
        it, as whether it existed before cannot be told."""

    @property
    def succeeded_at(self) -> list[int]:
        """The input position of each ``succeeded`` id, in the same order."""
        return list(self._succeeded_at)

    @property
    def ok(self) -> bool:
        """True when every item succeeded."""
        return not (self.conflicts or self.missing or self.failed or self.unknown)

    @property
    def total(self) -> int:
        """How many items the report speaks of."""
        return len(self.succeeded) + sum(len(group) for _, group in self._failures())

    def _failures(self) -> list[tuple[str, list[ItemFailure]]]:
        return [("conflict", self.conflicts), ("missing", self.missing),
                ("failed", self.failed), ("unknown", self.unknown)]

    def summary(self) -> str:
        """One line: ``3 of 5 succeeded; 1 conflict ['r2']; 1 failed ['r4'] (why)``."""
        return f"{len(self.succeeded)} of {self.total} succeeded{self.failures_text()}"

    def failures_text(self) -> str:
        """The failures part of ``summary()``: ``; 1 conflict ['r2']; 1 failed ['r4'] (why)``,
        or ``""`` when none failed (``SyncReport.summary()`` ends with it too)."""
        text = ""
        for label, items in self._failures():
            if items:
                shown = [item.id for item in items[:5]] + (["..."] if len(items) > 5 else [])
                text += f"; {len(items)} {label} {shown}"
                if len({item.message for item in items}) == 1:
                    text += f" ({items[0].message})"
        return text

    def __repr__(self) -> str:
        return f"<BatchReport {self.summary()}>"

    def merge(self, other: BatchReport) -> None:
        """Add another report's items after ours (a chunk's), each list in input order."""
        order = sorted(range(len(other.succeeded)), key=other._succeeded_at.__getitem__)
        self.succeeded.extend(other.succeeded[i] for i in order)
        self._succeeded_at.extend(other._succeeded_at[i] for i in order)
        for mine, theirs in zip((self.conflicts, self.missing, self.failed, self.unknown),
                                (other.conflicts, other.missing, other.failed, other.unknown),
                                strict=True):
            mine.extend(sorted(theirs, key=lambda failure: failure.index))
        self.requests_sent += other.requests_sent
        self.created.extend(other.created)

    def answer(self, index: int, item: BatchItem, status: int, body: Any) -> None:
        """File the server's answer to one item."""
        body = body if isinstance(body, dict) else {}
        details = body.get("details")
        if status < 400 or (status == 404 and item.missing_ok and names_itself(details, item.kind)):
            self.succeeded.append(item.id)
            self._succeeded_at.append(index)
            if status == 201:
                self.created.append(item.id)
            if item.on_success is not None and status < 400:
                item.on_success(body)
            return
        message = describe(status, body, item.request.path) or f"status {status}"
        if status == 412:
            if item.request.headers.get("If-None-Match") == "*":
                message = already_exists(item.request.path)
            existing = details.get("existing") if isinstance(details, dict) else None
            self.conflicts.append(ItemFailure(index, item.id, status, message, existing,
                                              body or None))
        elif status == 404 and names_itself(details, item.kind):
            self.missing.append(ItemFailure(index, item.id, status, message, None, body or None))
        else:
            # Includes a 404 of the collection or bucket the item was to be written in.
            self.failed.append(ItemFailure(index, item.id, status, message, None, body or None))

    def saved(self, index: int, item: BatchItem, current: dict[str, Any] | None) -> None:
        """File an item found applied by reading the server back (``current``: its object)."""
        self.succeeded.append(item.id)
        self._succeeded_at.append(index)
        if item.on_success is not None and current is not None:
            item.on_success(current)

    def settle(self, index: int, item: BatchItem, current: dict[str, Any] | None,
               why: str) -> None:
        """Re-file an unknown item once the server could be read: saved when ``current`` (its
        object, None when absent) shows the write, else failed for ``why``."""
        self.unknown[:] = [failure for failure in self.unknown if failure.index != index]
        if applied(item.request, current):
            at = bisect.bisect(self._succeeded_at, index)
            self.succeeded.insert(at, item.id)
            self._succeeded_at.insert(at, index)
            if item.on_success is not None and current is not None:
                item.on_success(current)
            return
        at = bisect.bisect([failure.index for failure in self.failed], index)
        self.failed.insert(at, ItemFailure(index, item.id, None, why))

    def fail(self, index: int, item: BatchItem, status: int | None, why: str) -> None:
        """File an item that was not applied."""
        self.failed.append(ItemFailure(index, item.id, status, why))

    def lose(self, index: int, item: BatchItem, why: str) -> None:
        """File an item whose fate is unknown."""
        self.unknown.append(ItemFailure(index, item.id, None, why))
